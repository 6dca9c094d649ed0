"""The project's own library versions: rules that assume a major it rules out stay quiet."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from support import check_project, run_cli, write_project

from layercheck.config.libraries import allowed_majors, declared_versions, poetry_specifier


@pytest.mark.parametrize(
    ("specifier", "majors"),
    [
        ("<2", {0, 1}),
        (">=1.10,<2", {1}),
        (">=1.10,<3", {1, 2}),  # near miss: v2 is allowed, the v2 rules run
        ("==1.10.13", {1}),
        ("==1.10.*", {1}),
        ("~=2.5", {2}),
        (">2.0,<2.1", {2}),
        ("!=2.0.0,<3", {0, 1, 2}),
        (">=2", set(range(2, 10))),
    ],
)
def test_allowed_majors(specifier: str, majors: set[int]) -> None:
    assert allowed_majors(SpecifierSet(specifier)) == majors


@pytest.mark.parametrize(
    ("constraint", "majors"),
    [("^1.10", {1}), ("^0.4", {0}), ("~1.10", {1}), ("1.10.2", {1}), (">=1.8,<2.0", {1})],
)
def test_poetry_constraints(constraint: str, majors: set[int]) -> None:
    specifier = poetry_specifier(constraint)
    assert specifier is not None
    assert allowed_majors(specifier) == majors


def test_poetry_alternatives_are_not_read() -> None:
    assert poetry_specifier("^1.10 || ^2.0") is None


def test_declarations_from_every_source(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["pydantic[email]>=1.10,<2", "fastapi"]\n'
        '[tool.poetry.dependencies]\nsqlalchemy = {version = "^1.4", extras = ["asyncio"]}\n',
        encoding="utf-8",
    )
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements/base.txt").write_text(
        "-r other.txt\nalembic==1.13.1  # migrations\nnot a requirement ((\n", encoding="utf-8"
    )
    found = declared_versions(tmp_path)
    assert {name: set(d.majors) for name, d in found.items()} == {
        "pydantic": {1},
        "sqlalchemy": {1},
        "alembic": {1},
    }
    assert found["alembic"].source == "requirements/base.txt: alembic==1.13.1"


def test_a_lock_file_gives_the_installed_version(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("pydantic>=1.10\n", encoding="utf-8")
    (tmp_path / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "pydantic"\nversion = "1.10.13"\n', encoding="utf-8"
    )
    found = declared_versions(tmp_path)
    assert found["pydantic"].majors == {1}
    assert found["pydantic"].source == "uv.lock: pydantic 1.10.13"


def test_unreadable_declarations_count_as_absent(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\n", encoding="utf-8")
    (tmp_path / "poetry.lock").write_bytes(b"\xff\xfe")
    (tmp_path / "requirements.txt").write_text("pydantic>=5,<3\n", encoding="utf-8")
    assert declared_versions(tmp_path) == {}


V1_SCHEMA = (
    "from pydantic import BaseModel\n\n\nclass UserOut(BaseModel):\n"
    "    class Config:\n        orm_mode = True\n"
)


def _lc603(tmp_path: Path, dependencies: str, config: str = "") -> int:
    write_project(tmp_path, {"app/__init__.py": "", "app/schemas.py": V1_SCHEMA}, config)
    text = (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\ndependencies = [{dependencies}]\n\n{text}', encoding="utf-8"
    )
    return len(check_project(tmp_path, select=("LC603",)).findings)


def test_a_project_that_pins_pydantic_1_gets_no_v2_findings(tmp_path: Path) -> None:
    assert _lc603(tmp_path, '"pydantic<2"') == 0


def test_a_project_that_allows_pydantic_2_gets_them(tmp_path: Path) -> None:
    assert _lc603(tmp_path, '"pydantic>=1.10,<3"') == 1


def test_a_project_that_declares_nothing_gets_them(tmp_path: Path) -> None:
    assert _lc603(tmp_path, '"fastapi"') == 1


def test_upgrading_runs_them(tmp_path: Path) -> None:
    assert _lc603(tmp_path, '"pydantic<2"', 'upgrading = ["pydantic"]') == 1


def test_verbose_says_which_rules_were_skipped(tmp_path: Path) -> None:
    _lc603(tmp_path, '"pydantic<2"')
    proc = run_cli("--no-cache", "--verbose", ".", cwd=tmp_path)
    assert (
        "pydantic 2 is ruled out by pyproject.toml: pydantic<2: skipped LC601, LC602, LC603"
        in proc.stderr
    )


def test_upgrading_takes_known_libraries_only(tmp_path: Path) -> None:
    write_project(tmp_path, {"app.py": "x = 1\n"}, 'upgrading = ["django"]')
    proc = run_cli(".", cwd=tmp_path)
    assert proc.returncode == 2
    assert "upgrading" in proc.stderr


def test_component_folders_declare_too(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["pydantic>=1.10,<1.10.15"]\n', encoding="utf-8"
    )
    (tmp_path / "extras-requirements.txt").write_text("sqlalchemy~=1.4\n", encoding="utf-8")
    (tmp_path / "dockerfiles/api").mkdir(parents=True)
    (tmp_path / "dockerfiles/api/requirements.txt").write_text(
        "sqlalchemy~=1.4\nalembic~=1.9\n", encoding="utf-8"
    )
    for skipped in ("tests/assets", "docs", ".venv", "node_modules/pkg"):
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "requirements.txt").write_text("sqlalchemy>=2\n", encoding="utf-8")
    found = declared_versions(tmp_path, frozenset({"tests", "docs"}))
    assert {name: set(d.majors) for name, d in found.items()} == {
        "pydantic": {1},
        "sqlalchemy": {1},
        "alembic": {1},
    }
    assert found["sqlalchemy"].source == (
        "extras-requirements.txt: sqlalchemy~=1.4; "
        "dockerfiles/api/requirements.txt: sqlalchemy~=1.4"
    )


def test_a_component_lock_gives_its_installed_version(tmp_path: Path) -> None:
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend/uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "sqlalchemy"\nversion = "2.0.41"\n', encoding="utf-8"
    )
    (tmp_path / "backend/requirements.txt").write_text("sqlalchemy>=1.4\n", encoding="utf-8")
    found = declared_versions(tmp_path)
    assert found["sqlalchemy"].majors == {2}
    assert found["sqlalchemy"].source == "backend/uv.lock: sqlalchemy 2.0.41"


def _two_components(tmp_path: Path, legacy: str) -> None:
    write_project(tmp_path, {"app/__init__.py": "", "app/schemas.py": V1_SCHEMA})
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend/pyproject.toml").write_text(
        '[project]\nname = "b"\ndependencies = ["pydantic>=2.5"]\n', encoding="utf-8"
    )
    (tmp_path / legacy).mkdir(parents=True)
    (tmp_path / legacy / "requirements.txt").write_text("pydantic<2\n", encoding="utf-8")


def test_components_that_disagree_leave_the_rules_quiet(tmp_path: Path) -> None:
    _two_components(tmp_path, "worker")
    assert declared_versions(tmp_path)["pydantic"].majors == frozenset()
    assert len(check_project(tmp_path, select=("LC603",)).findings) == 0
    proc = run_cli("--no-cache", "--verbose", "--select", "LC603", ".", cwd=tmp_path)
    assert (
        "pydantic 2 is ruled out by backend/pyproject.toml: pydantic>=2.5; "
        "worker/requirements.txt: pydantic<2: skipped LC603" in proc.stderr
    )


def test_a_pin_in_an_example_folder_is_not_the_applications(tmp_path: Path) -> None:
    _two_components(tmp_path, "examples/legacy")
    assert len(check_project(tmp_path, select=("LC603",)).findings) == 1


def test_a_lock_file_is_read_in_the_entries_of_the_libraries_only(tmp_path: Path) -> None:
    """The other entries are not parsed: a large lock file costs a scan, not a parse."""
    (tmp_path / "uv.lock").write_text(
        'version = 1\n\n[[package]]\nname = "anyio"\nversion = = "4"\n\n'
        '[[package]]\nname = "SQLAlchemy"\nversion = "1.4.52"\n'
        'dependencies = [\n    { name = "greenlet" },\n]\n\n'
        '[package.optional-dependencies]\nasyncio = [{ name = "greenlet" }]\n\n'
        '[[package]]\nname = "pydantic"\nversion = "2.9.2"\n',
        encoding="utf-8",
    )
    found = declared_versions(tmp_path)
    assert found["sqlalchemy"].source == "uv.lock: sqlalchemy 1.4.52"
    assert found["pydantic"].source == "uv.lock: pydantic 2.9.2"


def test_a_lock_file_laid_out_otherwise_is_parsed_whole(tmp_path: Path) -> None:
    (tmp_path / "pdm.lock").write_text(
        'package = [{ name = "pydantic", version = "1.10.13" }]\n', encoding="utf-8"
    )
    assert declared_versions(tmp_path)["pydantic"].source == "pdm.lock: pydantic 1.10.13"
