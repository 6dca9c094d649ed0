"""The index's state kept in the cache folder (index_state.py): a run whose facts are those
of the last index takes the index from it, decides no file's layer, and reports what a
run without any cache reports; any change of the facts builds the index again."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest
from support import write_project
from test_cache import DOMAIN, age, fixture_facts
from test_findings_cache import LC201, project, run, shown

from layercheck import engine, flake8_project, orm
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.engine import Engine
from layercheck.facts import FileFacts
from layercheck.index import IndexState, ProjectIndex, state_of
from layercheck.index_state import IndexStateFile
from layercheck.layer_evidence import LayerDecision, LayerEvidence
from layercheck.layers import Layer
from layercheck.rules import CATALOG
from layercheck.server.live import LiveChecker

__all__ = ["project"]  # the fixture, used by name


def spy_decisions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files whose layer is decided from now on."""
    decided: list[str] = []
    real = LayerEvidence.decide

    def decide(self: LayerEvidence, item: FileFacts) -> LayerDecision:
        decided.append(item.path)
        return real(self, item)

    monkeypatch.setattr(LayerEvidence, "decide", decide)
    return decided


def spy_states(monkeypatch: pytest.MonkeyPatch) -> list[IndexState | None]:
    """The state each index the engine makes from now on was given."""
    given: list[IndexState | None] = []
    real = engine.ProjectIndex

    def build(facts: Iterable[FileFacts], state: IndexState | None = None) -> ProjectIndex:
        given.append(state)
        return real(facts, state)

    monkeypatch.setattr(engine, "ProjectIndex", build)
    return given


def state_files(root: Path) -> list[Path]:
    return sorted((root / ".layercheck_cache").glob("index-*.json"))


def test_an_edit_that_keeps_the_facts_decides_no_layer(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shown(run(project)) == LC201
    assert len(state_files(project)) == 1
    users = project / "app/services/users.py"
    users.write_text(users.read_text() + "# a comment: the same facts\n")
    age(project)
    decided, given = spy_decisions(monkeypatch), spy_states(monkeypatch)
    result = run(project)
    assert shown(result) == LC201
    assert decided == []
    assert [state is not None for state in given] == [True]
    assert result.layers == run(project, cache=False).layers


def test_an_edit_that_changes_the_facts_builds_the_index_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shown(run(project)) == LC201
    (project / "app/core/errors.py").write_text(DOMAIN)  # AppError is no HTTPException
    age(project)
    decided, given = spy_decisions(monkeypatch), spy_states(monkeypatch)
    assert shown(run(project)) == []
    assert decided != []
    assert given == [None]
    # Kept for those facts: the next edit that keeps them takes it.
    users = project / "app/services/users.py"
    users.write_text(users.read_text() + "# a comment\n")
    age(project)
    decided.clear()
    assert shown(run(project)) == []
    assert decided == []


def test_a_damaged_state_is_no_state(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert shown(run(project)) == LC201
    [kept] = state_files(project)
    data = kept.read_bytes()
    kept.write_bytes(data[:-40] + b"x" * 40)
    users = project / "app/services/users.py"
    users.write_text(users.read_text() + "# a comment\n")
    age(project)
    given = spy_states(monkeypatch)
    assert shown(run(project)) == LC201
    assert given == [None]
    assert kept.read_bytes() == data  # written again, as it was


def test_the_state_read_back_is_the_one_kept(tmp_path: Path) -> None:
    """Every fixture project's facts: the index given the state read back holds what the
    index built from the facts holds, and answers the same."""
    facts = list(fixture_facts())
    built = ProjectIndex(facts)
    state = state_of(built)
    assert any(decision.note for decision in state.decisions)
    # No fixture's decisions ask a derived question: one is kept all the same, and the
    # tables of the whole project a rule asks for.
    state = state._replace(
        memo={**state.memo, ("shows-data-access", "app.repos"): True},
        bodies={"app.schemas.UserIn": (("POST", "/users"), ("PUT", "/users/{id}"))},
        routes={"app.schemas.UserOut": ("read_user", "list_users")},
        handled=("app.errors.Gone", "app.errors.Missing"),
        caught=((("routes", "services"), True, ("KeyError",)),),
        caught_outside_tests=("KeyError", "app.errors.Gone"),
    )
    assert state.routers is not None, "the constructor's layer evidence made them"
    kept = IndexStateFile(tmp_path, Path("/project"), "code")
    kept.save("digest", state)
    assert kept.load("another digest") is None
    assert IndexStateFile(tmp_path, Path("/project"), "other code").load("digest") is None
    read = kept.load("digest")
    assert read == state
    given = ProjectIndex(facts, read)
    assert state_of(given) == state
    assert given.memo[("shows-data-access", "app.repos")] is True
    assert given.request_bodies("app.schemas.UserIn") == (
        ("POST", "/users"),
        ("PUT", "/users/{id}"),
    )
    assert given.response_routes("app.schemas.UserOut") == ("read_user", "list_users")
    assert given.handled_exceptions() == {"app.errors.Gone", "app.errors.Missing"}
    assert given.caught_outside_tests() == {"KeyError", "app.errors.Gone"}
    assert given.caught_in(frozenset({Layer.ROUTES, Layer.SERVICES}), unlayered=True) == {
        "KeyError"
    }
    for item in facts:
        assert given.layer_of_path(item.path) == built.layer_of_path(item.path)
        assert given.layer_folder(item.path) == built.layer_folder(item.path)
    names = list(built.class_names())
    assert names
    assert list(given.class_names()) == names
    for name in names:
        assert given.ancestors(name) == built.ancestors(name)
        assert given.class_fact(name) == built.class_fact(name)


def test_the_language_server_starts_from_the_state_a_run_kept(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shown(run(project)) == LC201
    decided = spy_decisions(monkeypatch)
    checker = LiveChecker(project)
    users = project / "app/services/users.py"
    checked = checker.check(users, users.read_text())
    assert checked is not None
    assert [(f.path.name, f.start.row, f.code) for f in checked.findings] == LC201
    assert decided == []


def test_the_flake8_plugin_starts_from_the_state_a_run_kept(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shown(run(project)) == LC201
    decided = spy_decisions(monkeypatch)
    monkeypatch.chdir(project)
    users = project / "app/services/users.py"
    index = flake8_project._project_for(users, write_warm=False).project_index()
    assert str(users) in index.by_path
    assert decided == []


MODELS = {
    "app/__init__.py": "",
    "app/models/__init__.py": "",
    "app/models/base.py": (
        "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"
    ),
    "app/models/mixins.py": (
        "from sqlalchemy import Column, Integer\n\n\nclass Stamped:\n"
        "    created = Column(Integer)\n"
    ),
    "app/models/user.py": (
        "from sqlalchemy import Column, Integer\n\nfrom app.models.base import Base\n"
        "from app.models.mixins import Stamped\n\n\nclass User(Stamped, Base):\n"
        '    __tablename__ = "users"\n    id = Column(Integer, primary_key=True)\n'
    ),
}


def test_an_answer_about_the_whole_project_is_kept_for_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that checks one file asks which classes are model ancestors, a scan of
    every class of the project: the state is kept again with the answer, and a run
    after an edit that keeps the facts scans nothing and finds the same."""
    write_project(tmp_path, MODELS, 'select = ["LC401"]')
    age(tmp_path)
    mixins = tmp_path / "app/models/mixins.py"
    scans: list[int] = []
    real = orm._mark_model_ancestors

    def scan(index: ProjectIndex) -> None:
        scans.append(1)
        real(index)

    monkeypatch.setattr(orm, "_mark_model_ancestors", scan)

    def check(cache: bool = True) -> list[tuple[str, int, str]]:
        workspace = Workspace(CATALOG, Overrides(no_cache=not cache), cwd=tmp_path)
        return shown(Engine(workspace, jobs=1).check([mixins]))

    expected = [("mixins.py", 5, "LC401")]
    assert check() == expected
    assert len(scans) == 1
    for edit in ("# a comment: the same facts\n", "# and another\n"):
        mixins.write_text(mixins.read_text() + edit)
        age(tmp_path)
        given = spy_states(monkeypatch)
        assert check() == expected
        assert [state is not None for state in given] == [True]
        assert len(scans) == 1
    assert check(cache=False) == expected
    assert len(scans) == 2


ROUTES = {
    "app/__init__.py": "",
    "app/errors.py": "class Gone(Exception):\n    pass\n",
    "app/main.py": (
        "from fastapi import FastAPI\n"
        "from app.errors import Gone\n"
        "from app.routes.users import router\n\n"
        "app = FastAPI()\n"
        "app.include_router(router)\n\n\n"
        "@app.exception_handler(Gone)\n"
        "async def gone(request, exc):\n"
        "    return None\n"
    ),
    "app/routes/__init__.py": "",
    "app/routes/users.py": (
        "from fastapi import APIRouter\n"
        "from app.services.users import read\n\n"
        "router = APIRouter()\n\n\n"
        '@router.get("/users/{user_id}")\n'
        "async def get_user(user_id: int) -> dict[str, int]:\n"
        "    try:\n"
        "        return read(user_id)\n"
        "    except KeyError:\n"
        "        raise\n"
    ),
    "app/models/__init__.py": "",
    "app/models/user.py": (
        "from sqlalchemy import Column, Integer\n"
        "from sqlalchemy.orm import DeclarativeBase\n\n\n"
        "class Base(DeclarativeBase):\n"
        "    pass\n\n\n"
        "class User(Base):\n"
        '    __tablename__ = "users"\n'
        "    id = Column(Integer, primary_key=True)\n"
    ),
    "app/services/__init__.py": "",
    "app/services/users.py": (
        "from app.errors import Gone\n\n\n"
        "def read(user_id: int) -> dict[str, int]:\n"
        "    if user_id < 0:\n"
        "        raise Gone()\n"
        '    return {"id": user_id}\n'
    ),
}


def test_the_scans_a_one_file_run_makes_are_kept_for_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exceptions handled and caught (by layer and outside tests), and the router
    instances the layer evidence reads, each a scan of every file's facts: a run that
    checks one file keeps them with the state, and a run after an edit that keeps the
    facts scans none of them and finds the same."""
    write_project(tmp_path, ROUTES)
    age(tmp_path)
    service = tmp_path / "app/services/users.py"
    model = tmp_path / "app/models/user.py"
    scans: list[str] = []
    handled, caught, routers, outside = (
        ProjectIndex.handled_exceptions,
        ProjectIndex.caught_in,
        ProjectIndex._router_instances,
        ProjectIndex.caught_outside_tests,
    )

    def spy_handled(self: ProjectIndex) -> frozenset[str]:
        if self._handled is None:
            scans.append("handled")
        return handled(self)

    def spy_caught(self: ProjectIndex, layers: frozenset[Layer], **kwargs: bool) -> frozenset[str]:
        if (layers, kwargs.get("unlayered", False)) not in self._caught:
            scans.append("caught")
        return caught(self, layers, **kwargs)

    def spy_routers(self: ProjectIndex) -> frozenset[str]:
        if self._routers is None:
            scans.append("routers")
        return routers(self)

    def spy_outside(self: ProjectIndex) -> frozenset[str]:
        if self._caught_outside_tests is None:
            scans.append("outside")
        return outside(self)

    monkeypatch.setattr(ProjectIndex, "handled_exceptions", spy_handled)
    monkeypatch.setattr(ProjectIndex, "caught_outside_tests", spy_outside)
    monkeypatch.setattr(ProjectIndex, "caught_in", spy_caught)
    monkeypatch.setattr(ProjectIndex, "_router_instances", spy_routers)

    def check(cache: bool = True) -> list[tuple[str, int, str]]:
        workspace = Workspace(CATALOG, Overrides(no_cache=not cache), cwd=tmp_path)
        return shown(Engine(workspace, jobs=1).check([service, model]))

    expected = check(cache=False)
    assert ("user.py", 9, "LC405") in expected
    assert sorted(set(scans)) == ["caught", "handled", "outside", "routers"]
    scans.clear()
    assert check() == expected
    assert scans
    for edit in ("# a comment: the same facts\n", "# and another\n"):
        for path in (service, model):
            path.write_text(path.read_text() + edit)
        age(tmp_path)
        scans.clear()
        given = spy_states(monkeypatch)
        assert check() == expected
        assert [state is not None for state in given] == [True]
        assert scans == []
