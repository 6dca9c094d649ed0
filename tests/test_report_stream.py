"""The report written as it is made: byte for byte the text made whole, for every format,
on stdout and in `--output-file`, with one worker and two."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from projects import ONLY_LC201, VIOLATION
from support import FIXTURES, write_project

from layercheck import cli
from layercheck.choices import OUTPUT_FORMATS
from layercheck.model import Applicability, Edit, Finding, Fix, Location
from layercheck.report import json_format
from layercheck.report._json import ITEMS, write_json
from layercheck.report.options import ReportOptions

ITEMS_OF_ALL_KINDS: list[object] = [
    {"b": [1, {"c": []}], "a": "two\nlines", "z": {}},
    "NUL \0, escape \x1b[31m, \u00e7\u00e0 and \U0001f600",
    [],
    {"nested": [[1, 2], [3, {"x": None}]], "bool": True, "float": 1.5},
    17,
]


@pytest.mark.parametrize("count", [0, 1, 2, 5])
@pytest.mark.parametrize("sort_keys", [False, True])
@pytest.mark.parametrize(
    "shape",
    [
        lambda items: items,
        lambda items: {"z": 1, "list": items, "a": {"b": [1, 2]}},
        lambda items: {"runs": [{"results": items, "tool": {"rules": [{"id": "x"}]}}], "v": 2},
    ],
    ids=["top", "in-a-dict", "deep"],
)
def test_write_json_is_json_dumps_of_the_whole(
    count: int, sort_keys: bool, shape: Callable[[list[object]], object]
) -> None:
    items = ITEMS_OF_ALL_KINDS[:count]
    pieces: list[str] = []
    write_json(shape([ITEMS]), iter(items), pieces.append, sort_keys=sort_keys)
    whole = json.dumps(shape(items), indent=2, sort_keys=sort_keys) + "\n"
    assert "".join(pieces) == whole
    # The head, then a piece an item, each ending a line (what stdout strips of escape
    # sequences from each is then what it strips from the whole).
    assert len(pieces) == count + 1
    assert all(piece.endswith("\n") for piece in pieces)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        | st.dictionaries(st.integers() | st.booleans() | st.none(), inner, max_size=3)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(_JSON_VALUES, max_size=4), sort_keys=st.booleans())
def test_write_json_is_json_dumps_of_any_items(items: list[object], sort_keys: bool) -> None:
    """The items are written by an encoder of our own (json's indents in Python only):
    byte for byte json's, for every kind of value and key."""
    for shape in ({"a": [ITEMS], "b": 1}, [ITEMS]):
        pieces: list[str] = []
        document = json.loads(json.dumps(shape).replace(json.dumps(ITEMS), "null"))
        try:
            whole = json.dumps(
                _filled(document, items), indent=2, sort_keys=sort_keys, allow_nan=True
            )
        except TypeError:  # keys of several types, sorted: json refuses, and so do we
            with pytest.raises(TypeError):
                write_json(shape, iter(items), pieces.append, sort_keys=sort_keys)
            continue
        write_json(shape, iter(items), pieces.append, sort_keys=sort_keys)
        assert "".join(pieces) == whole + "\n"


def _filled(document: object, items: list[object]) -> object:
    if isinstance(document, dict):
        return {key: _filled(value, items) for key, value in document.items()}
    if document == [None]:
        return items
    return document


def test_a_json_finding_written_from_its_template_is_json_dumps_of_its_dict() -> None:
    """The JSON format writes each finding from one template, not from its dict."""
    here = Path('app/\u00e7a "odd".py')
    fix = Fix(
        Applicability.UNSAFE,
        "Replace \u00e0\n",
        (
            Edit(Location(1, 2), Location(3, 4), ""),
            Edit(Location(5, 1), Location(5, 9), 'x = "\\"\n\t\U0001f600'),
        ),
    )
    findings = [
        Finding("LC201", "plain", here, Location(1, 1), Location(1, 5)),
        Finding("LC301", "NUL \0, \u2028", here, Location(7, 3), Location(9, 1), fix, 4),
        Finding(
            "LC702",
            "no edits",
            here,
            Location(2, 1),
            Location(2, 2),
            Fix(fix.applicability, "", ()),
        ),
    ]
    for finding in findings:
        for pad in ("\n", "\n  ", "\n    "):
            expected = json.dumps(json_format.as_dict(finding), indent=2).replace("\n", pad)
            assert json_format._text(finding, pad) == expected
    pieces: list[str] = []
    json_format.write(findings, ReportOptions(), pieces.append)
    assert (
        "".join(pieces) == json.dumps([json_format.as_dict(f) for f in findings], indent=2) + "\n"
    )


@pytest.fixture
def with_findings(tmp_path: Path) -> Path:
    write_project(
        tmp_path,
        {
            "app/services/b.py": VIOLATION.replace("404", "404, 'çà'"),
            "app/services/a.py": VIOLATION,
            "app/c.py": "x = (\n",
        },
        ONLY_LC201,
    )
    return tmp_path


@pytest.fixture
def without_findings(tmp_path: Path) -> Path:
    write_project(tmp_path, {"app/x.py": "x = 1\n", "app/y.py": "y = 2\n"}, ONLY_LC201)
    return tmp_path


SORTED_JSON = {"sarif", "rdjson"}
PLAIN_JSON = {"json", "gitlab"}
LINES_ONLY = {"json-lines", "pylint", "github", "azure"}


@pytest.mark.parametrize("output_format", OUTPUT_FORMATS)
@pytest.mark.parametrize("findings", [True, False])
def test_report_is_the_same_on_stdout_and_in_a_file_with_one_worker_or_two(
    output_format: str,
    findings: bool,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project: Path = request.getfixturevalue("with_findings" if findings else "without_findings")
    monkeypatch.chdir(project)
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)
    # A piece at a time to stdout, so that gathering the pieces is exercised too.
    monkeypatch.setattr(cli, "_ECHOED", 1)
    texts: list[str] = []
    for jobs in ("1", "2"):
        args = ["--no-cache", "--exit-zero", "--output-format", output_format, "-j", jobs, "."]
        shown = CliRunner().invoke(cli.main, args)
        assert shown.exit_code == 0, shown.output
        target = project / "out" / f"report-{jobs}.txt"
        written = CliRunner().invoke(cli.main, [*args, "--output-file", str(target)])
        assert (written.exit_code, written.stdout) == (0, "")
        assert target.read_bytes() == shown.stdout_bytes
        texts.append(shown.stdout)
    assert texts[0] == texts[1]
    text = texts[0]
    # The formats with a line a finding and nothing else write nothing without one.
    assert bool(text) == (findings or output_format not in LINES_ONLY)
    if output_format in SORTED_JSON | PLAIN_JSON:
        document = json.loads(text)
        sort_keys = output_format in SORTED_JSON
        assert text == json.dumps(document, indent=2, sort_keys=sort_keys) + "\n"
    elif output_format == "json-lines":
        assert text == "".join(json.dumps(json.loads(line)) + "\n" for line in text.splitlines())


def test_a_reader_that_goes_away_ends_the_run_quietly() -> None:
    """`layercheck ... | head`: the rest of the report is not wanted; the run ends with
    its own exit status and says nothing (no internal error, no traceback)."""
    reader = subprocess.Popen(
        [sys.executable, "-m", "layercheck", "--no-cache", "--output-format", "json", "."],
        cwd=FIXTURES,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader.stdout is not None
    assert reader.stderr is not None
    # More than a pipe holds is still to come when the reader closes its end.
    assert len(reader.stdout.read(100)) == 100
    reader.stdout.close()
    stderr = reader.stderr.read()
    assert reader.wait(timeout=120) == 1
    assert stderr == b""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_stdout_that_cannot_be_written_is_one_line_and_exit_2() -> None:
    """A full disk behind `>` is no bug of layercheck's: one line saying so, exit 2."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "layercheck", "--no-cache", "--output-format", "json", "."],
            cwd=FIXTURES,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr == (
        "layercheck: error: cannot write the report to stdout: No space left on device\n"
    )
