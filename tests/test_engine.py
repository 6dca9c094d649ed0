"""Engine-level behaviour: projects kept apart, worker processes equal to one process."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES, write_project

from layercheck import engine as engine_module
from layercheck.config.workspace import Workspace
from layercheck.engine import Engine, _Identities
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


class _Cycle:
    """Refers to itself, as the closure `ast.dump` makes does."""

    def __init__(self) -> None:
        self.me = self


def test_a_run_leaves_no_reference_cycle_of_a_file_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The collector is off during a run; what a file's rules leave in a cycle is freed
    between files, not kept for every file of the project."""
    real = engine_module.run_rules

    def run_rules(*args: Any) -> Any:
        _Cycle()
        return real(*args)

    monkeypatch.setattr(engine_module, "run_rules", run_rules)
    write_project(tmp_path, {f"app/services/s{n}.py": RAISES_GONE for n in range(4)})
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()  # as a caller that runs with the collector off: nothing collects but the run
    try:
        Engine(Workspace(CATALOG, cwd=tmp_path), jobs=1).check([tmp_path])
        left = sum(1 for item in gc.get_objects() if type(item) is _Cycle)
    finally:
        if was_enabled:
            gc.enable()
    assert left == 0


def test_the_targets_identities_hold_those_records_and_no_other() -> None:
    records = [object() for _ in range(60)]
    others = [object() for _ in range(60)]
    held = _Identities(records[::3])
    assert [id(record) in held for record in records] == [True, False, False] * 20
    assert not any(id(other) in held for other in others)
    assert "1" not in held
    assert id(records[0]) not in _Identities([])


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_run_that_shows_no_source_holds_no_text_and_finds_the_same(
    tmp_path: Path, jobs: int
) -> None:
    """`hold_texts` off (the concise and JSON reports): the same findings, no file's text
    held to the end of the run, whether its outcome came from the rules pass or from
    the findings cache (which would read the file again)."""
    import shutil

    def run(root: Path, hold: bool) -> tuple[list[tuple[str, int, str]], int]:
        engine = Engine(Workspace(CATALOG, cwd=root), jobs=jobs)
        engine.hold_texts = hold
        result = engine.check([root])
        shown = [(f.path.name, f.start.row, f.code) for f in result.findings]
        return shown, len(result.sources)

    held, without = tmp_path / "held", tmp_path / "without"
    for root in (held, without):
        shutil.copytree(FIXTURES / "bad_app", root)
    found, texts = run(held, True)
    assert found
    assert texts > 0
    assert run(without, False) == (found, 0)  # cold
    assert run(without, False) == (found, 0)  # from the findings cache
    assert run(held, True) == (found, texts)  # from the cache, the texts read again
