"""The tree cache: a run over one file of an unchanged project takes the project's file
list from the cache instead of walking it; any change the walk would see (a new,
deleted or renamed file or folder, an edited ignore or config file) makes it walk again,
and the files are always those a fresh walk finds.

Files and folders are made older than the racy window first: a folder modified within
it is walked again whatever its mtime says, which would hide what is tested here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import ONLY_LC201
from support import run_cli, write_project

from layercheck import discovery, tree_cache
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace, forget_files
from layercheck.discovery import SourceFile, discover, source_file
from layercheck.engine import Engine
from layercheck.rules import CATALOG

FILES = {
    "app/__init__.py": "",
    "app/core/errors.py": "class AppError(Exception):\n    pass\n",
    "app/services/__init__.py": "",
    "app/services/users.py": "from app.core.errors import AppError\n",
    "app/repositories/users.py": "def find(session):\n    return None\n",
    "app/models/user.py": "class User:\n    pass\n",
    "tests/test_users.py": "def test_find():\n    pass\n",
}
TARGET = "app/services/users.py"
CACHE = ".layercheck_cache"

Row = tuple[object, ...]


def age(root: Path, seconds: int = 600) -> None:
    """Every file and folder under root, root too, modified `seconds` ago."""
    then = time.time_ns() - seconds * 1_000_000_000
    for path in [*root.rglob("*"), root]:
        os.utime(path, ns=(then, then))


def rows(files: list[SourceFile]) -> list[Row]:
    return [
        (
            str(file.path),
            file.module,
            file.is_package,
            file.path_layer,
            file.layer_folder,
            file.is_test,
            file.layer_given,
            file.outer_layers,
            file.settings.config_path,
            file.settings.root,
            file.settings.exclude,
        )
        for file in files
    ]


def project_rows(root: Path, overrides: Overrides | None = None) -> list[Row]:
    """The files one run over the target puts in the project (as a new process: config
    files read afresh)."""
    forget_files()
    workspace = Workspace(CATALOG, overrides or Overrides(), cwd=root)
    target = root / TARGET
    groups = Engine(workspace).projects([source_file(target, workspace.settings_for(target))])
    return rows(groups[root])


def walked_rows(root: Path) -> list[Row]:
    """What a fresh walk of the project finds, no cache involved."""
    forget_files()
    workspace = Workspace(CATALOG, cwd=root)
    found = discover([root], workspace).files
    target = [file for file in found if file.path == root / TARGET]
    others = [file for file in found if file.path != root / TARGET]
    return rows(target + [file for file in others if file.settings.root == root])


def ordered(found: list[Row], target: Path) -> list[Row]:
    """The target first, as `projects` puts it, then the rest in walk order."""
    return [row for row in found if row[0] == str(target)] + [
        row for row in found if row[0] != str(target)
    ]


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Each folder a walk lists."""
    listed: list[Path] = []
    original = discovery._walk

    def spy(folder: Path, *args: object) -> None:
        listed.append(folder)
        original(folder, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(discovery, "_walk", spy)
    return listed


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    write_project(root, FILES, ONLY_LC201)
    (root / ".gitignore").write_text("# nothing ignored yet\n")
    age(root)
    return root


def warm(root: Path, walks: list[Path]) -> list[Row]:
    """A cold run (it makes the cache folder: the root changes), a run that records the
    tree, then a run that must not walk."""
    cold = project_rows(root)
    age(root)
    assert project_rows(root) == cold
    walks.clear()
    again = project_rows(root)
    assert walks == []
    assert again == cold
    return cold


def test_an_unchanged_project_is_not_walked(project: Path, walks: list[Path]) -> None:
    assert warm(project, walks) == ordered(walked_rows(project), project / TARGET)
    assert list((project / CACHE).glob("tree-*.json"))


def _new_file(root: Path) -> None:
    (root / "app/services/orders.py").write_text("x = 1\n")


def _deleted_file(root: Path) -> None:
    (root / "app/models/user.py").unlink()


def _renamed_folder(root: Path) -> None:
    (root / "app/repositories").rename(root / "app/repository")


def _new_folder(root: Path) -> None:
    (root / "app/core/schemas").mkdir()
    (root / "app/core/schemas/user.py").write_text("x = 1\n")


def _edited_gitignore(root: Path) -> None:
    # In place: the root folder's mtime does not change, only the file's.
    with (root / ".gitignore").open("a") as handle:
        handle.write("app/models/\n")


def _edited_config(root: Path) -> None:
    with (root / "pyproject.toml").open("a") as handle:
        handle.write('exclude = ["tests"]\n')


def _file_in_cache_folder(root: Path) -> None:
    (root / CACHE / "stray.py").write_text("x = 1\n")
    (root / CACHE / ".gitignore").write_text("# no longer ignoring\n")


@pytest.mark.parametrize(
    "change",
    [
        _new_file,
        _deleted_file,
        _renamed_folder,
        _new_folder,
        _edited_gitignore,
        _edited_config,
        _file_in_cache_folder,
    ],
)
def test_a_change_the_walk_would_see_is_seen(
    project: Path, walks: list[Path], change: Callable[[Path], None]
) -> None:
    before = warm(project, walks)
    change(project)
    after = project_rows(project)
    assert walks, "the cache no longer holds: the project is walked"
    assert after == ordered(walked_rows(project), project / TARGET)
    assert after != before


def test_a_folder_modified_a_moment_ago_is_walked_again(project: Path, walks: list[Path]) -> None:
    (project / "app/services/orders.py").write_text("x = 1\n")  # app/services: racy
    project_rows(project)
    walks.clear()
    project_rows(project)
    assert walks


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"layercheck": "0"}'])
def test_a_damaged_tree_file_is_a_walk(project: Path, walks: list[Path], damage: bytes) -> None:
    expected = warm(project, walks)
    (found,) = (project / CACHE).glob("tree-*.json")
    found.write_bytes(damage)
    assert project_rows(project) == expected
    assert walks


def test_an_edited_tree_file_is_a_walk(project: Path, walks: list[Path]) -> None:
    expected = warm(project, walks)
    (found,) = (project / CACHE).glob("tree-*.json")
    found.write_text(found.read_text().replace('"app.models.user"', '"app.models.other"'))
    assert project_rows(project) == expected
    assert walks


def test_no_cache_neither_reads_nor_writes_it(project: Path, walks: list[Path]) -> None:
    expected = ordered(walked_rows(project), project / TARGET)
    assert project_rows(project, Overrides(no_cache=True)) == expected
    assert not (project / CACHE).exists()
    assert walks
    warm(project, walks)
    walks.clear()
    assert project_rows(project, Overrides(no_cache=True)) == expected
    assert walks, "--no-cache walks even when a tree file is there"


def test_a_run_without_the_cache_walks_the_project_once(project: Path, walks: list[Path]) -> None:
    # The targets' walk of a root named on the command line is the project's walk too.
    forget_files()
    workspace = Workspace(CATALOG, Overrides(no_cache=True), cwd=project)
    result = Engine(workspace, jobs=1).check([project])
    assert walks
    assert len(walks) == len(set(walks))
    expected = [file.path for file in discover([project], Workspace(CATALOG, cwd=project)).files]
    assert result.files == expected
    assert not (project / CACHE).exists()


def test_every_file_a_run_writes_in_the_cache_folder_is_the_caches_own(
    project: Path, walks: list[Path]
) -> None:
    """A cache file taken for a stranger in the cache folder (which the walk knows by its
    other entries) made every run that wrote one walk the project again next time."""
    assert run_cli("--exit-zero", ".", cwd=project).returncode == 0
    age(project)
    assert run_cli("--exit-zero", ".", cwd=project).returncode == 0  # records the tree
    written = sorted(item.name for item in (project / CACHE).iterdir())
    assert {name.split("-", 1)[0] for name in written} >= {"index", "warm", "tree", "findings"}
    assert tree_cache._foreign(str(project / CACHE)) == []
    walks.clear()
    project_rows(project)
    assert walks == []
