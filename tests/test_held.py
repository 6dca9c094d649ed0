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
from layercheck.held import HeldTexts, PathList, Pool, SourceLines
from layercheck.model import Applicability, Edit, Finding, Fix, Location
from layercheck.parallel import FileOutcome
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


def test_what_a_worker_sends_holds_the_file_s_own_name(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker's message makes new strings and paths for each file: the outcome holds the
    # name of the file's record instead, and a file's findings hold one path between them.
    checked: list[SourceFile] = []
    outcomes: list[FileOutcome] = []
    rules_pass = Engine._rules_pass

    def recorded(self: Engine, root: Path, files: Sequence[SourceFile], *args: Any) -> Any:
        checked.extend(files)
        found = rules_pass(self, root, files, *args)
        outcomes.extend(found)
        return found

    monkeypatch.setattr(Engine, "_rules_pass", recorded)
    roots = [FIXTURES / "bad_app", FIXTURES / "errors_app", FIXTURES / "routes_app"]
    workspace = Workspace(CATALOG, Overrides(no_cache=True), cwd=FIXTURES)
    result = Engine(workspace, jobs=2).check(roots)
    assert result.findings
    assert len(outcomes) == len(checked) > 10
    assert all(o.name is file.name for o, file in zip(outcomes, checked, strict=True))
    assert sorted(map(str, result.files)) == sorted(file.name for file in checked)
    with_findings = [outcome for outcome in outcomes if len(outcome.findings) > 1]
    assert len(with_findings) > 3
    for outcome in with_findings:
        assert len({id(finding.path) for finding in outcome.findings}) == 1


def test_a_path_list_reads_as_the_list_of_its_paths() -> None:
    names = ["/p/app/b.py", "/p/app-x/a.py", "/p/app/a.py"]
    held = PathList(names)
    paths = [Path(name) for name in names]
    assert len(held) == 3
    assert list(held) == paths
    assert held == paths
    assert held == PathList(list(names))
    assert held != PathList(names[:2])
    assert held[1] == paths[1]
    assert held[-1] == paths[-1]
    assert held[1:] == paths[1:]
    assert Path("/p/app/a.py") in held
    assert Path("/p/app/c.py") not in held
    assert "/p/app/a.py" not in held  # paths, not their text
    # A `Path` sorts by its parts, not by its text: the list sorts as paths.
    assert sorted(held) == sorted(paths) != [Path(name) for name in sorted(names)]
