"""The declared library versions are kept in the cache folder with the stats of the
folders and files they were read from: an unchanged project reads no declaration (and
loads no `packaging`); a changed, added or removed declaration is read again; a damaged
record is ignored with the same answer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import run_cli

from layercheck.config import libraries
from layercheck.config.libraries import Declared, declared_versions

CACHE = ".layercheck_cache"


def age(root: Path, seconds: int = 600) -> None:
    """Every file and folder under root modified `seconds` ago: outside the racy window."""
    then = time.time_ns() - seconds * 1_000_000_000
    for path in [*root.rglob("*"), root]:
        os.utime(path, ns=(then, then))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["pydantic>=1.10,<2"]\n', encoding="utf-8"
    )
    (tmp_path / CACHE).mkdir()
    age(tmp_path)
    return tmp_path


def declared(root: Path) -> dict[str, set[int]]:
    found = declared_versions(root, record_in=root / CACHE)
    return {name: set(item.majors) for name, item in found.items()}


def not_read(root: Path, *args: object) -> dict[str, Declared]:
    raise AssertionError("the declarations were read again")


def records(root: Path) -> list[Path]:
    return sorted((root / CACHE).glob("libraries-*.json"))


def test_unchanged_declarations_come_from_the_record(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert declared(project) == {"pydantic": {1}}
    assert len(records(project)) == 1
    with monkeypatch.context() as patched:
        patched.setattr(libraries, "_declared", not_read)
        assert declared(project) == {"pydantic": {1}}
        held = declared_versions(project, record_in=project / CACHE)
    assert held == declared_versions(project)  # the same source texts too


def test_a_changed_declaration_is_read_again(project: Path) -> None:
    assert declared(project) == {"pydantic": {1}}
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["pydantic>=2"]\n', encoding="utf-8"
    )
    assert declared(project) == {"pydantic": set(range(2, 10))}


def test_an_added_requirements_file_in_a_new_folder_is_read(project: Path) -> None:
    assert declared(project) == {"pydantic": {1}}
    (project / "backend").mkdir()
    (project / "backend/requirements.txt").write_text("sqlalchemy>=2\n", encoding="utf-8")
    age(project, 300)  # even when its stats look old: the root's entries changed
    assert declared(project) == {"pydantic": {1}, "sqlalchemy": set(range(2, 10))}
    (project / "backend/requirements.txt").unlink()
    age(project, 200)
    assert declared(project) == {"pydantic": {1}}


def test_a_damaged_record_is_ignored(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert declared(project) == {"pydantic": {1}}
    (record,) = records(project)
    record.write_bytes(record.read_bytes().replace(b"pydantic", b"sqlalchemy"))
    read: list[Path] = []
    real = libraries._declared

    def counted(root: Path, folders: list[Path]) -> dict[str, Declared]:
        read.append(root)
        return real(root, folders)

    monkeypatch.setattr(libraries, "_declared", counted)
    assert declared(project) == {"pydantic": {1}}
    assert read == [project]


def test_nothing_is_kept_while_a_stat_is_too_recent(project: Path) -> None:
    (project / "requirements.txt").write_text("alembic>=1\n", encoding="utf-8")
    assert declared(project)["alembic"] == set(range(1, 10))
    assert records(project) == []


def test_a_run_on_an_unchanged_project_does_not_load_packaging(project: Path) -> None:
    (project / "app").mkdir()
    (project / "app/main.py").write_text("x = 1\n", encoding="utf-8")
    age(project)
    assert run_cli("--quiet", ".", cwd=project).returncode == 0
    assert records(project)
    (project / "app/main.py").write_text("x = 2\n", encoding="utf-8")  # not the warm path
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "layercheck", "--quiet", "app/main.py"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "layercheck.config.libraries" in proc.stderr  # the settings were made
    assert re.search(r"\| +packaging\b", proc.stderr) is None
