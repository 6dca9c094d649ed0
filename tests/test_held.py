"""What a run keeps for its report (held.py): the texts on disk read back as they were,
findings made of shared parts equal to the findings themselves, and the report of a run
the same in every format as the report made from the texts and findings as objects."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from support import FIXTURES

from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.discovery import SourceFile
from layercheck.engine import Engine
from layercheck.held import HeldTexts, Pool, SourceLines
from layercheck.model import Applicability, Edit, Finding, Fix, Location
from layercheck.report import REPORTERS
from layercheck.report.options import ReportOptions
from layercheck.rules import CATALOG
from layercheck.source import decode_source, split_lines

_TEXTS = {
    Path("a.py"): "import os\n",
    Path("b.py"): "s = 'çà €'\r\nt = 1\x0cu = 2\n",
    Path("c.py"): "x = '\udcff'\n",  # an undecodable byte, as decoding keeps it
    Path("d.py"): "",
}


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_texts_come_back_as_they_were_and_leave_nothing_behind(scratch: Path) -> None:
    held = HeldTexts()
    for path, text in _TEXTS.items():
        held[path] = text
    assert os.listdir(scratch) == []  # unlinked as soon as it is made
    assert dict(held) == _TEXTS
    assert [held[path] for path in reversed(list(_TEXTS))] == list(reversed(_TEXTS.values()))
    held[Path("a.py")] = "import sys\n"  # a fixed file's new text
    assert held[Path("b.py")] == _TEXTS[Path("b.py")]
    assert held[Path("a.py")] == "import sys\n"
    del held[Path("d.py")]
    assert Path("d.py") not in held
    assert len(held) == 3
    assert held.get(Path("e.py")) is None


def test_lines_are_split_as_python_numbers_them() -> None:
    lines = SourceLines(_TEXTS)
    for path, text in _TEXTS.items():
        assert lines[path] == split_lines(text)
    assert Path("b.py") in lines
    assert lines.get(Path("e.py")) is None
    assert len(lines) == len(_TEXTS)


def _finding(message: str, row: int) -> Finding:
    start, end = Location(row, 5), Location(row, 9)
    edit = Edit(Location(row, 5), Location(row, 9), "status.HTTP_404_NOT_FOUND")
    fix = Fix(Applicability.SAFE, "Use `status.HTTP_404_NOT_FOUND`", (edit,))
    return Finding("LC301", message, Path("a.py"), start, end, fix, row)


def test_pooled_findings_equal_the_findings_and_share_their_parts() -> None:
    pool = Pool()
    # Built apart, as findings unpickled from different workers' messages are.
    first = _finding("".join(["a ", "message"]), 3)
    second = _finding("".join(["a ", "message"]), 3)
    assert first.message is not second.message
    one, two = pool.finding(first), pool.finding(second)
    assert (one, two) == (first, second)
    assert one.message is two.message
    assert one.fix is two.fix
    assert one.start is two.start
    other = pool.finding(_finding("another", 4))
    assert other == _finding("another", 4)
    assert other.fix is not None
    assert one.fix is not None
    assert other.fix.message is one.fix.message


def test_a_run_reports_the_same_in_every_format_from_what_it_held(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    roots = [FIXTURES / "bad_app", FIXTURES / "errors_app", FIXTURES / "routes_app"]
    monkeypatch.chdir(FIXTURES)
    result = Engine(Workspace(CATALOG, cwd=FIXTURES), jobs=2).check(roots)
    assert isinstance(result.sources, HeldTexts)
    assert result.findings
    # Every file with findings but one that cannot be decoded.
    assert set(result.sources) < {finding.path for finding in result.findings}
    assert len(result.sources) > 3
    assert os.listdir(scratch) == []
    # The texts and findings as plain objects: the file read again, each finding copied.
    texts = {path: decode_source(path.read_bytes()) for path in result.sources}
    assert dict(result.sources) == texts
    plain = [
        Finding(*(getattr(item, name) for name in Finding.__slots__)) for item in result.findings
    ]
    for name, reporter in REPORTERS.items():
        held = reporter(
            result.findings, ReportOptions(cwd=FIXTURES, sources=SourceLines(result.sources))
        )
        lines = {path: split_lines(text) for path, text in texts.items()}
        assert held == reporter(plain, ReportOptions(cwd=FIXTURES, sources=lines)), name


def test_what_a_worker_sends_holds_the_file_s_own_path(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker's message makes a new `Path` for each file: the outcome and its findings
    # hold the one of the file's record instead, not a second one for every file.
    checked: list[Path] = []
    rules_pass = Engine._rules_pass

    def recorded(self: Engine, root: Path, files: Sequence[SourceFile], *args: Any) -> Any:
        checked.extend(file.path for file in files)
        return rules_pass(self, root, files, *args)

    monkeypatch.setattr(Engine, "_rules_pass", recorded)
    roots = [FIXTURES / "bad_app", FIXTURES / "errors_app", FIXTURES / "routes_app"]
    workspace = Workspace(CATALOG, Overrides(no_cache=True), cwd=FIXTURES)
    result = Engine(workspace, jobs=2).check(roots)
    own = {id(path) for path in checked}
    assert result.findings
    assert len(result.files) > 10
    assert all(id(path) in own for path in result.files)
    # A config file's own findings (LC004) come from no worker.
    found = [finding for finding in result.findings if finding.path in set(checked)]
    assert len(found) > 10
    assert all(id(finding.path) in own for finding in found)
