"""Engine-level behaviour: projects kept apart, worker processes equal to one process."""

from __future__ import annotations

from pathlib import Path

from support import FIXTURES, write_project

from layercheck.config.workspace import Workspace
from layercheck.engine import Engine
from layercheck.rules import CATALOG

GONE_HTTP = "from fastapi import HTTPException\n\nclass Gone(HTTPException):\n    pass\n"
GONE_DOMAIN = "class Gone(Exception):\n    pass\n"
RAISES_GONE = "from app.errors import Gone\n\ndef f():\n    raise Gone()\n"


def _codes(root: Path, *paths: Path, jobs: int | None = None) -> list[tuple[str, int, str]]:
    engine = Engine(Workspace(CATALOG, cwd=root), jobs=jobs)
    result = engine.check(list(paths))
    return [(f.path.relative_to(root).as_posix(), f.start.row, f.code) for f in result.findings]


def test_two_projects_with_the_same_module_names_keep_their_own_index(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for root, errors in ((first, GONE_HTTP), (second, GONE_DOMAIN)):
        root.mkdir()
        write_project(root, {"app/errors.py": errors, "app/services/users.py": RAISES_GONE})
    expected = [("a/app/services/users.py", 4, "LC201")]
    assert _codes(tmp_path, first) == expected
    # In b, Gone is a domain exception without a handler (LC305), not an HTTPException.
    both = [*expected, ("b/app/services/users.py", 4, "LC305")]
    assert _codes(tmp_path, first, second) == both
    assert _codes(tmp_path, second, first) == both


def test_worker_processes_find_what_one_process_finds() -> None:
    roots = [FIXTURES / "bad_app", *sorted((FIXTURES / "layouts").iterdir())]
    serial = _codes(FIXTURES, *roots, jobs=1)
    assert serial, "the fixtures have findings"
    assert _codes(FIXTURES, *roots, jobs=2) == serial
