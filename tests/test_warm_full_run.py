"""A full run (`layercheck .`, the project root named) of an unchanged project takes its
file list from the tree cache and its findings from the findings cache: no folder is
listed, no file read or parsed. Any change a walk would see (a new, deleted or renamed
file) is seen, and the output is always that of a run without any cache, with one
worker or several."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import ONLY_LC201
from support import FIXTURES, run_cli, write_project
from test_cache import FILES, USERS, small_project, spy_parse, spy_reads

from layercheck import discovery
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace, forget_files
from layercheck.discovery import source_file
from layercheck.engine import CheckResult, Engine
from layercheck.rules import CATALOG

CACHE = ".layercheck_cache"


THEN = time.time_ns() - 600 * 1_000_000_000
"""Outside the racy window of the caches; one moment, so that ageing a folder twice
leaves its mtime as the tree cache recorded it."""


def age(root: Path) -> None:
    """Every file and folder under root, root too, modified at THEN."""
    then = THEN
    for path in [*root.rglob("*"), root]:
        os.utime(path, ns=(then, then), follow_symlinks=False)


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
    return small_project(tmp_path)


def run(root: Path, *, cache: bool = True, jobs: int = 1) -> CheckResult:
    """`layercheck <root>` as a new process runs it (config files read afresh)."""
    forget_files()
    engine = Engine(Workspace(CATALOG, Overrides(no_cache=not cache), cwd=root), jobs=jobs)
    return engine.check([root])


def shown(result: CheckResult) -> list[tuple[str, int, str]]:
    return [(f.path.name, f.start.row, f.code) for f in result.findings]


def settled(root: Path) -> CheckResult:
    """A cold run (it makes the cache folder: the root changes), then a run that
    records the tree as it now is."""
    run(root)
    age(root)
    return run(root)


def test_a_warm_full_run_lists_reads_and_parses_nothing(
    project: Path, walks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = settled(project)
    assert shown(expected) == [("users.py", 5, "LC201")]
    walks.clear()
    read, parsed = spy_reads(monkeypatch), spy_parse(monkeypatch)
    warm = run(project)
    assert walks == []
    assert read == []
    assert parsed == []
    assert warm.findings == expected.findings
    assert warm.files == expected.files
    assert warm.layers == expected.layers


def _new_file(root: Path) -> None:
    (root / "app/services/billing.py").write_text(USERS)


def _deleted_file(root: Path) -> None:
    (root / "app/services/users.py").unlink()


def _renamed_folder(root: Path) -> None:
    (root / "app/services").rename(root / "app/service")


def _new_folder(root: Path) -> None:
    (root / "app/services/admin").mkdir()
    (root / "app/services/admin/users.py").write_text(USERS)


@pytest.mark.parametrize("change", [_new_file, _deleted_file, _renamed_folder, _new_folder])
def test_a_change_a_walk_would_see_is_seen_by_a_full_warm_run(
    project: Path, walks: list[Path], change: Callable[[Path], None]
) -> None:
    before = settled(project)
    change(project)
    walks.clear()
    after = run(project)
    assert walks, "the tree cache no longer holds: the project is walked"
    uncached = run(project, cache=False)
    assert after.files == uncached.files != before.files
    assert after.findings == uncached.findings
    assert [f.path for f in after.findings] != [f.path for f in before.findings]


def test_a_walk_that_warned_is_never_taken_from_the_cache(project: Path) -> None:
    """A broken symlink rests on its target, which no folder of the project tracks."""
    elsewhere = project.parent / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "gone.py"
    link = project / "app/services/link.py"
    link.symlink_to(target)
    age(project)
    for _ in range(3):
        result = run(project)
        assert any("link.py: broken or looping symlink" in w for w in result.warnings)
        assert link not in result.files
        age(project)  # the cache folder, made or written, is no reason to walk again
    target.write_text("x = 1\n")  # the symlink works again: no folder of the project changed
    assert link in run(project).files


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_run_prints_the_same_cold_warm_and_uncached(tmp_path: Path, jobs: str) -> None:
    root = tmp_path / "bad_app"
    shutil.copytree(FIXTURES / "bad_app", root, ignore=shutil.ignore_patterns(CACHE))
    age(root)
    command = ("--output-format", "json", "--exit-zero", "-j", jobs, ".")
    uncached = run_cli(*command, "--no-cache", cwd=root)
    cold = run_cli(*command, cwd=root)
    age(root)
    recorded = run_cli(*command, cwd=root)
    warm = run_cli(*command, cwd=root)
    assert list((root / CACHE).glob("tree-*.json"))
    for proc in (uncached, cold, recorded, warm):
        assert (proc.returncode, proc.stderr) == (0, "")
    assert json.loads(uncached.stdout), "the fixture has findings"
    assert cold.stdout == recorded.stdout == warm.stdout == uncached.stdout


def test_a_long_lived_engine_sees_the_files_added_since_its_last_check(project: Path) -> None:
    """The language server keeps one engine: a check's walk is not the next one's."""
    engine = Engine(Workspace(CATALOG, cwd=project))
    engine.check([project])
    added = project / "app/services/billing.py"
    added.write_text(USERS)
    target = project / "app/services/users.py"
    groups = engine.projects([source_file(target, engine.workspace.settings_for(target.parent))])
    assert added in [file.path for file in groups[project]]
    assert added in engine.check([project]).files


@pytest.fixture
def projects(tmp_path: Path) -> Path:
    """A folder that is no project, holding two (the speed corpus's layout)."""
    folder = tmp_path / "corpus"
    for name in ("one", "two"):
        (folder / name).mkdir(parents=True)
        write_project(folder / name, FILES, ONLY_LC201)
    age(folder)
    return folder


def test_a_folder_of_projects_takes_each_projects_walk_from_its_tree_cache(
    projects: Path, walks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = settled(projects)
    assert [(f.path.parent.parent.parent.name, f.code) for f in expected.findings] == [
        ("one", "LC201"),
        ("two", "LC201"),
    ]
    walks.clear()
    read, parsed = spy_reads(monkeypatch), spy_parse(monkeypatch)
    warm = run(projects)
    assert walks == [projects], "only the folder above the projects is listed"
    assert (read, parsed) == ([], [])
    assert warm.findings == expected.findings
    assert warm.files == expected.files == run(projects, cache=False).files


@pytest.mark.parametrize("change", [_new_file, _deleted_file, _renamed_folder, _new_folder])
def test_a_change_in_one_of_the_projects_is_seen_from_the_folder_above(
    projects: Path, walks: list[Path], change: Callable[[Path], None]
) -> None:
    before = settled(projects)
    change(projects / "two")
    walks.clear()
    after = run(projects)
    assert projects / "two" in walks
    assert projects / "one" not in walks
    uncached = run(projects, cache=False)
    assert after.files == uncached.files != before.files
    assert after.findings == uncached.findings


def test_a_symlink_out_of_a_project_to_the_folder_above_is_walked_as_before(
    projects: Path,
) -> None:
    """From the project it is a way back in (a warning); from the folder above, a loop."""
    (projects / "one/app/up").symlink_to(projects, target_is_directory=True)
    age(projects)
    warm = settled(projects)
    uncached = run(projects, cache=False)
    assert warm.files == uncached.files
    assert warm.findings == uncached.findings
    assert warm.warnings == uncached.warnings
