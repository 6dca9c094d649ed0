"""Facts kept on disk (spill.py) read as the facts they stand for: the index built from
them answers as the index built from the objects, however few files stay decoded; the
file they are kept in is never seen in the project or the temporary folder."""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import weakref
from pathlib import Path

import pytest
from support import FIXTURES, write_project

from layercheck import index as index_module
from layercheck import orm
from layercheck import spill as spill_module
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.discovery import discover
from layercheck.engine import Engine
from layercheck.facts import FileFacts, ImportFact
from layercheck.import_roots import misrooted_imports_warning
from layercheck.index import ProjectIndex, trim
from layercheck.layers import Layer
from layercheck.loading import load_file
from layercheck.orm import loaded_async
from layercheck.rules import CATALOG
from layercheck.spill import FactsSpill, Packed, SpilledFacts, packed

pytestmark = pytest.mark.skipif(not hasattr(os, "pread"), reason="no os.pread here")

_PROJECTS = ("bad_app", "errors_app", "routes_app", "sessions_app", "alembic_app")


def _facts(root: Path) -> list[FileFacts]:
    files = discover([root], Workspace(CATALOG, cwd=root)).files
    return [load_file(file, keep_tree=False).facts for file in files]


def _answers(index: ProjectIndex) -> list[object]:
    """Every question the rules ask, about every name the project defines or imports."""
    names = sorted(
        {target for item in index.by_path.values() for _, target in item.bindings}
        | {name for name, _, _ in index.classes()}
    )
    layers = frozenset(Layer)
    found: list[object] = [
        sorted(index.handled_exceptions()),
        sorted(index.caught_in(layers, unlayered=True)),
        sorted(index.raised_in(layers)),
        [(name, cls, item.path) for name, cls, item in index.classes()],
        index.shows_request_bodies(),
    ]
    for item in index.by_path.values():
        found.append((index.decision(item), index.layer_of_path(item.path)))
        found.append(index.imports_of(item.module, type_checking=True))
        found.append(index.shows_data_access(item.module))
    for name in names:
        found.append(
            (
                index.resolve(name),
                index.class_fact(name),
                index.function(name),
                index.instance_of(name),
                index.type_alias(name),
                index.base_mixin(name),
                index.ancestors(name),
                index.response_routes(name),
                index.request_bodies(name),
                index.layer_of_module(name),
            )
        )
    return found


@pytest.mark.parametrize("project", _PROJECTS)
@pytest.mark.parametrize("decoded", [1, 3, 1000])
def test_an_index_of_spilled_facts_answers_as_one_of_objects(project: str, decoded: int) -> None:
    facts = _facts(FIXTURES / project)
    spill = FactsSpill(decoded=decoded)
    kept = [spill.keep(item) for item in facts]
    assert any(isinstance(item, SpilledFacts) for item in kept)
    assert _answers(ProjectIndex(kept)) == _answers(ProjectIndex(facts))
    spill.close()


def test_spilled_facts_read_back_equal_the_facts_and_pickle_as_them() -> None:
    facts = _facts(FIXTURES / "bad_app")
    spill = FactsSpill(decoded=1)
    kept = [spill.keep(item) for item in facts]
    # All but the last are emptied again: each field is read back from the file.
    for item, original in zip(kept, facts, strict=True):
        assert item == original
        assert original == item
        assert hash(item) == hash(original)
        for name in ("imports", "bindings", "classes", "functions", "raises"):
            assert getattr(item, name) == getattr(original, name)
        back = pickle.loads(pickle.dumps(item))
        assert type(back) is FileFacts
        assert back == original
    spill.close()


def test_facts_packed_by_a_worker_read_back_equal_the_facts() -> None:
    facts = _facts(FIXTURES / "errors_app")
    spill = FactsSpill(decoded=2)
    # As a worker sends them: pickled, and unpickled in the process that keeps them.
    kept = [spill.keep(pickle.loads(pickle.dumps(packed(item)))) for item in facts]
    assert any(isinstance(item, SpilledFacts) for item in kept)
    for item, original in zip(kept, facts, strict=True):
        for name in ("module", "imports", "classes", "functions", "raises", "revision"):
            assert getattr(item, name) == getattr(original, name)
        assert item == original
    assert _answers(ProjectIndex(kept)) == _answers(ProjectIndex(facts))
    spill.close()


def _strings(value: object) -> list[str]:
    """Every string `value` holds, inside tuples and facts too."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple):
        return [text for item in value for text in _strings(item)]
    names = getattr(value, "__dataclass_fields__", None)
    if names is None:
        return []
    return [text for name in names for text in _strings(getattr(value, name))]


@pytest.mark.parametrize("project", _PROJECTS)
def test_every_field_read_back_is_the_fact_with_its_strings_interned(project: str) -> None:
    facts = _facts(FIXTURES / project)
    spill = FactsSpill(decoded=1)
    kept = [spill.keep(pickle.loads(pickle.dumps(packed(item)))) for item in facts]
    read_back = 0
    for item, original in zip(kept, facts, strict=True):
        for name in spill_module._TUPLES:
            value = getattr(item, name)
            assert value == getattr(original, name)
            assert [type(fact) for fact in value] == [type(f) for f in getattr(original, name)]
            for text in _strings(value):
                assert text is sys.intern(text), (name, text)
            read_back += isinstance(item, SpilledFacts) and bool(value)
        assert item == original
    assert read_back
    spill.close()


def test_facts_sent_by_a_worker_are_the_facts_field_by_field() -> None:
    # As a worker of a project that spills nothing sends them: pickled whole.
    facts = [item for project in _PROJECTS for item in _facts(FIXTURES / project)]
    assert any(item.path_layer is not None for item in facts)
    assert any(item.revision is not None for item in facts)
    for item in facts:
        back = pickle.loads(pickle.dumps(item))
        assert type(back) is FileFacts
        for name in spill_module._FIELDS:
            value, given = getattr(back, name), getattr(item, name)
            assert value == given, name
            assert type(value) is type(given), name
        assert back.path_layer is item.path_layer
        for text in _strings(back):
            assert text is sys.intern(text)


def test_the_bindings_kept_are_bounded_and_answer_as_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    facts = _facts(FIXTURES / "errors_app") + _facts(FIXTURES / "sessions_app")
    names = sorted({target for item in facts for _, target in item.bindings})
    expected = [ProjectIndex(facts).resolve(name) for name in names]
    monkeypatch.setattr(index_module, "_BINDINGS_KEPT", 2)
    spill = FactsSpill(decoded=1)
    index = ProjectIndex([spill.keep(item) for item in facts])
    for _ in range(2):  # the second time, some from those kept
        found = []
        for name in names:
            found.append(index.resolve(name))
            assert len(index._bindings) <= 2
            index._resolved.clear()
        assert found == expected
    spill.close()


def test_packed_facts_hold_the_path_string_the_caller_holds() -> None:
    facts = _facts(FIXTURES / "errors_app")
    spill = FactsSpill(decoded=2)
    for item in facts:
        sent = pickle.loads(pickle.dumps(packed(item)))
        if not isinstance(sent, Packed):
            continue
        mine = "".join(item.path)  # an equal string, not the one that came with the facts
        kept = spill.keep(sent, mine)
        assert kept.path is mine
        assert kept == item
        # A string that is not the file's own path is not taken for it.
        assert spill.keep(sent, mine + "x").path == item.path
    spill.close()


def test_facts_with_nothing_to_spill_stay_as_they_are() -> None:
    spill = FactsSpill()
    bare = FileFacts("app/empty.py", "app.empty", False, None, False)
    assert spill.keep(bare) is bare
    spill.close()


def _listing(project: Path) -> list[Path]:
    """The project's files, its cache folder aside."""
    found = (path.relative_to(project) for path in project.rglob("*"))
    return sorted(path for path in found if path.parts[0] != ".layercheck_cache")


def test_a_project_spills_only_when_it_has_more_files_than_stay_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert not spill_module.spilling(spill_module.DECODED)
    assert spill_module.spilling(spill_module.DECODED + 1)
    monkeypatch.setattr(spill_module, "DECODED", 10)
    assert spill_module.spilling(11)
    assert FactsSpill()._capacity == 10


def test_the_spill_file_is_never_seen_and_a_run_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spill_module, "DECODED", 10)
    made: list[FactsSpill] = []
    real = FactsSpill.__init__

    def counted(self: FactsSpill, decoded: int | None = None) -> None:
        made.append(self)
        real(self, decoded)

    monkeypatch.setattr(FactsSpill, "__init__", counted)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    spill = FactsSpill()
    spill.keep(_facts(FIXTURES / "bad_app")[0])
    assert os.listdir(scratch) == []  # unlinked as soon as it is made
    spill.close()

    project = tmp_path / "project"
    files = {"pyproject.toml": "[tool.layercheck]\n"}
    files.update({f"app/services/s{n}.py": "import app.models.m\n" for n in range(400)})
    files["app/models/m.py"] = "from sqlalchemy.orm import DeclarativeBase\n"
    project.mkdir()
    write_project(project, files)
    before = _listing(project)
    for jobs in (1, 2):
        engine = Engine(Workspace(CATALOG, cwd=project), jobs=jobs)
        result = engine.check([project])
        assert not result.errors
    assert _listing(project) == before
    assert os.listdir(scratch) == []
    assert len(made) == 3  # this test's, and one a run


def test_a_failed_worker_leaves_no_spill_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spill_module, "DECODED", 10)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    project = tmp_path / "project"
    files = {"pyproject.toml": "[tool.layercheck]\n"}
    files.update({f"app/services/s{n}.py": "import os\n" for n in range(400)})
    project.mkdir()
    write_project(project, files)
    parent = os.getpid()
    real = Engine._outcome

    def dies(self: Engine, *args: object) -> object:
        if os.getpid() != parent:
            os._exit(3)  # a worker of the rules pass, after the facts were spilled
        return real(self, *args)

    monkeypatch.setattr(Engine, "_outcome", dies)
    result = Engine(Workspace(CATALOG, cwd=project), jobs=2).check([project])
    assert any("worker process" in error for error in result.errors)
    assert len(result.files) == 400
    assert os.listdir(scratch) == []


def test_the_classes_an_index_keeps_are_bounded_within_one_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scan of every class (the model ancestors) asks about each within one file, with
    no trim between: what the index keeps of their facts stays bounded all the same."""
    facts = _facts(FIXTURES / "errors_app")
    expected = _answers(ProjectIndex(facts))
    assert len(list(ProjectIndex(facts).class_names())) > 2
    monkeypatch.setattr(index_module, "_CLASSES_REMEMBERED", 2)
    index = ProjectIndex(facts)
    assert _answers(index) == expected
    assert 0 < len(index._class_facts) <= 2


def test_an_index_that_forgets_its_answers_answers_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    facts = _facts(FIXTURES / "errors_app")
    expected = _answers(ProjectIndex(facts))
    monkeypatch.setattr(index_module, "_REMEMBERED", 0)
    monkeypatch.setattr(index_module, "_CLASSES_REMEMBERED", 0)
    monkeypatch.setattr(index_module, "_NAMES_KEPT", 0)
    index = ProjectIndex(facts)
    trim(index)
    assert _answers(index) == expected
    assert index._resolved  # the answers of the last pass are kept until the next trim
    assert index._class_facts
    assert index._bases_of
    trim(index)
    assert not index._resolved
    assert not index._class_facts
    assert not index._bases_of
    # What is left is about the whole project: nothing about one name.
    assert not [key for key in index.memo if key[1] and key[0] in index_module.DERIVED]


def test_the_bases_kept_are_those_a_scan_finds() -> None:
    index = ProjectIndex(_facts(FIXTURES / "errors_app"))
    names = [name for name, _, _ in index.classes()]
    assert names
    names += [f"{name}.Missing" for name in names] + ["fastapi.HTTPException", "", "x"]
    for _ in range(2):  # computed, then kept
        assert [index._bases(name) for name in names] == [index._scan_bases(name) for name in names]
    assert any(index._bases(name) is not None for name in names)


def test_a_whole_project_answer_outlives_the_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    # Forgotten, an answer given for every module at once is computed again by a scan of
    # every file's facts for the next file that asks: quadratic in a large project.
    index = ProjectIndex(_facts(FIXTURES / "sessions_app"))
    monkeypatch.setattr(index_module, "_REMEMBERED", 0)
    monkeypatch.setattr(index_module, "_NAMES_KEPT", 0)
    scans: list[ProjectIndex] = []
    scan = orm._scan_loaded_async
    monkeypatch.setattr(orm, "_scan_loaded_async", lambda index: scans.append(index) or scan(index))
    first, second = list(index.by_module)[:2]
    expected = loaded_async(second, ProjectIndex(_facts(FIXTURES / "sessions_app")))
    scans.clear()
    loaded_async(first, index)
    assert ("loaded-async-scan", "") in index.memo
    trim(index)
    assert loaded_async(second, index) is expected
    assert scans == [index]  # one scan, before the trim


def test_the_answers_kept_about_names_stay_bounded_within_a_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A scan of every class within one file (no trim until it ends) keeps no more than
    # the bound, with the same answers.
    facts = _facts(FIXTURES / "errors_app")
    expected = _answers(ProjectIndex(facts))
    monkeypatch.setattr(index_module, "_NAMES_KEPT", 3)
    index = ProjectIndex(facts)
    assert _answers(index) == expected
    assert 0 < len(index._resolved) <= 3
    assert len(index._inherits_cache) <= 3


def _module(n: int, *imports: ImportFact) -> FileFacts:
    return FileFacts(f"/p/app/m{n}.py", f"app.m{n}", False, None, False, imports=imports)


def test_the_loaded_async_scan_keeps_only_the_answers_that_differ() -> None:
    asynchronous = ImportFact("sqlalchemy.ext.asyncio.AsyncSession", "sqlalchemy", 1, False)
    sync = ImportFact("sqlalchemy.orm.Session", "sqlalchemy.orm", 1, False)
    # Mostly sync: the async module and what it imports are loaded async, no other.
    facts = [_module(0, asynchronous, ImportFact("app.m1", None, 2, False))]
    facts += [_module(n, sync) for n in (1, 2, 3)]
    index = ProjectIndex(facts)
    answers = [loaded_async(f"app.m{n}", index) for n in range(4)]
    assert answers == [True, True, False, False]
    kept = sorted(key[1] for key in index.memo if key[0] == "loaded-async-module")
    assert kept == ["app.m0", "app.m1"]
    # Mostly async: every module is, and none needs an answer of its own.
    index = ProjectIndex([_module(n, asynchronous) for n in range(3)] + [_module(3, sync)])
    assert all(loaded_async(f"app.m{n}", index) for n in range(4))
    assert not [key for key in index.memo if key[0] == "loaded-async-module"]


def test_findings_do_not_depend_on_the_answers_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    roots = [FIXTURES / name for name in _PROJECTS]

    def found() -> list[tuple[str, int, str]]:
        result = Engine(Workspace(CATALOG, cwd=FIXTURES), jobs=1).check(roots)
        return [(str(item.path), item.start.row, item.code) for item in result.findings]

    kept = found()
    assert kept
    monkeypatch.setattr(index_module, "_REMEMBERED", 0)
    monkeypatch.setattr(index_module, "_NAMES_KEPT", 0)
    assert found() == kept
    monkeypatch.setattr(spill_module, "DECODED", 2)  # spilled, and read back
    assert found() == kept


def test_facts_dropped_close_their_spill_file_without_the_collector() -> None:
    facts = _facts(FIXTURES / "bad_app")
    spill = FactsSpill(decoded=2)
    kept = [spill.keep(item) for item in facts]
    assert [item.imports for item in kept] == [item.imports for item in facts]
    file = weakref.ref(spill._file)
    del spill, kept
    assert file() is None  # closed as it is freed


def test_a_class_asked_about_again_is_not_looked_up_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    facts = _facts(FIXTURES / "sessions_app")
    names = [name for name, _, _ in ProjectIndex(facts).classes()]
    names += [f"{name}Missing" for name in names]
    index = ProjectIndex(facts)
    looked: list[str] = []
    bases = index._bases
    monkeypatch.setattr(index, "_bases", lambda name: looked.append(name) or bases(name))
    first = [index.class_fact(name) for name in names]
    assert looked
    assert any(found is not None for found in first)
    assert any(found is None for found in first)
    looked.clear()
    assert [index.class_fact(name) for name in names] == first
    assert looked == []
    assert first == [ProjectIndex(facts).class_fact(name) for name in names]


def _decoded(item: SpilledFacts, name: str) -> bool:
    """The field, kept on disk, is set on the facts too (read back and kept)."""
    if not spill_module._on_disk(item._where)[spill_module._AT[name]]:
        return False
    try:
        spill_module._SLOTS[name].__get__(item, SpilledFacts)
    except AttributeError:
        return False
    return True


def test_settled_facts_keep_none_decoded_then_a_few(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = _facts(FIXTURES / "errors_app")
    spill = FactsSpill(decoded=1000)
    kept = [spill.keep(pickle.loads(pickle.dumps(packed(item)))) for item in facts]
    spilled = [item for item in kept if isinstance(item, SpilledFacts)]
    assert len(spilled) > 2
    expected = _answers(ProjectIndex(facts))
    assert [item.imports for item in spilled]  # every one read back, and kept
    assert all(_decoded(item, "imports") for item in spilled if item.imports)
    monkeypatch.setattr(spill_module, "DECODED_CHECKING", 2)
    spill.settle()
    assert not any(_decoded(item, name) for item in spilled for name in spill_module._TUPLES)
    assert _answers(ProjectIndex(kept)) == expected
    held = [item for item in spilled if any(_decoded(item, n) for n in spill_module._TUPLES)]
    assert 0 < len(held) <= 2
    spill.close()


def test_a_scan_of_every_file_keeps_none_of_their_fields() -> None:
    # A question about the whole project reads one field of every file: kept, those
    # fields fill what stays decoded with files nobody asks about again.
    facts = _facts(FIXTURES / "sessions_app") + _facts(FIXTURES / "errors_app")
    spill = FactsSpill(decoded=1000)
    kept = [spill.keep(pickle.loads(pickle.dumps(packed(item)))) for item in facts]
    index = ProjectIndex(kept)
    spill.settle()
    layers = frozenset(Layer)
    index.handled_exceptions()
    index.caught_in(layers, unlayered=True)
    index.raised_in(layers)
    index.response_routes("app.Missing")
    index.request_bodies("app.Missing")
    index.base_mixin("app.Missing")
    orm.uses_async(index)
    loaded_async(next(iter(index.by_module)), index)
    misrooted_imports_warning(kept)
    spilled = [item for item in kept if isinstance(item, SpilledFacts)]
    assert spilled
    scanned = ("handlers", "catches", "raises", "response_models", "request_bodies")
    scanned += ("union_aliases", "base_mixins", "imports")
    assert not any(_decoded(item, name) for item in spilled for name in scanned)
    spill.close()


@pytest.mark.parametrize("jobs", [1, 2])
def test_findings_do_not_depend_on_the_files_kept_decoded(
    monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    roots = [FIXTURES / name for name in _PROJECTS]

    def found() -> list[tuple[str, int, str]]:
        workspace = Workspace(CATALOG, Overrides(no_cache=True), cwd=FIXTURES)
        result = Engine(workspace, jobs=jobs).check(roots)
        assert not result.errors
        return [(str(item.path), item.start.row, item.code) for item in result.findings]

    kept = found()
    assert kept
    settled: list[FactsSpill] = []
    settle = FactsSpill.settle
    monkeypatch.setattr(FactsSpill, "settle", lambda self: settled.append(self) or settle(self))
    monkeypatch.setattr(spill_module, "DECODED", 2)  # spilled, and read back
    monkeypatch.setattr(spill_module, "DECODED_CHECKING", 1)
    assert found() == kept
    assert settled  # each project's spill, before its rules pass


def test_where_a_files_fields_are_reads_back_as_packed() -> None:
    # Every field on disk or none, wide sizes and narrow, far into the file.
    count = len(spill_module._TUPLES)
    assert count <= 64  # a bit a field in the mask
    for sizes in (
        [0] * (count - 1) + [3],
        [7] + [0] * (count - 1),
        list(range(1, count + 1)),
        [0, 70_000] + [0, 5] * ((count - 2) // 2) + [0] * (count % 2),
    ):
        packed_sizes = spill_module._packed([b"x" * size for size in sizes])
        at = 5_000_000_000
        where = spill_module._where(at, packed_sizes)
        assert spill_module._HEAD.unpack_from(where)[0] == at  # where the fields start
        assert spill_module._on_disk(where) == [size > 0 for size in sizes]
        offset = at
        for field, size in enumerate(sizes):
            assert spill_module._span(where, field) == (offset if size else at, size)
            offset += size
