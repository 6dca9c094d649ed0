"""Every --output-format, through the command line."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest
from projects import MESSAGE, ONLY_LC201, VIOLATION
from support import run_cli, write_project

from layercheck import __version__
from layercheck.explain import docs_body, summary_line
from layercheck.model import Applicability, Edit, Finding, Fix, Location
from layercheck.report import REPORTERS
from layercheck.report.junit import write as write_junit
from layercheck.report.options import ReportOptions
from layercheck.rules import ALL_RULES

RUFF_KEYS = [
    "cell",
    "code",
    "end_location",
    "filename",
    "fix",
    "location",
    "message",
    "noqa_row",
    "url",
]
# Two findings on one line of b.py, one in a.py, and an LC001 in c.py: sorting is by
# file, then row, then column, then code.
NON_ASCII = (
    "from fastapi import HTTPException\n\n\n"
    "def f():\n    s = 'çà'; raise HTTPException(1) from HTTPException(2)\n"
)


@pytest.fixture(autouse=True)
def _no_gitlab_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """`gitlab` paths follow `$CI_PROJECT_DIR`; these tests must not depend on where they run."""
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_project(
        tmp_path,
        {
            "app/services/b.py": NON_ASCII,
            "app/services/a.py": VIOLATION,
            "app/c.py": "x = (\n",
        },
        ONLY_LC201,
    )
    return tmp_path


def test_json(project: Path) -> None:
    proc = run_cli("--output-format", "json", cwd=project)
    assert proc.returncode == 1
    findings = json.loads(proc.stdout)
    assert [sorted(item) for item in findings] == [RUFF_KEYS] * 4
    assert [
        (
            Path(item["filename"]).relative_to(project).as_posix(),
            item["location"],
            item["end_location"],
            item["code"],
        )
        for item in findings
    ] == [
        ("app/c.py", {"row": 1, "column": 5}, {"row": 1, "column": 5}, "LC001"),
        ("app/services/a.py", {"row": 5, "column": 11}, {"row": 5, "column": 24}, "LC201"),
        # characters, not UTF-8 bytes: `    s = 'çà'; raise ` is 20 characters
        ("app/services/b.py", {"row": 5, "column": 21}, {"row": 5, "column": 34}, "LC201"),
        ("app/services/b.py", {"row": 5, "column": 43}, {"row": 5, "column": 56}, "LC201"),
    ]
    first = findings[1]
    assert Path(first["filename"]).is_absolute()
    assert first["message"] == MESSAGE
    assert (first["fix"], first["cell"], first["url"], first["noqa_row"]) == (None, None, None, 5)


def test_json_without_findings(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/x.py": "x = 1\n"})
    proc = run_cli("--output-format", "json", cwd=tmp_path)
    assert (proc.returncode, json.loads(proc.stdout)) == (0, [])


def test_json_lines(project: Path) -> None:
    lines = run_cli("--output-format", "json-lines", cwd=project).stdout.splitlines()
    full = json.loads(run_cli("--output-format", "json", cwd=project).stdout)
    assert [json.loads(line) for line in lines] == full


def test_concise_is_sorted_the_same_way(project: Path) -> None:
    proc = run_cli(cwd=project)
    assert proc.stdout.splitlines() == [
        "app/c.py:1:5: LC001 SyntaxError: '(' was never closed",
        f"app/services/a.py:5:11: LC201 {MESSAGE}",
        f"app/services/b.py:5:21: LC201 {MESSAGE}",
        f"app/services/b.py:5:43: LC201 {MESSAGE}",
        "Found 4 errors.",
    ]


def test_full_shows_the_code_with_the_span_underlined(project: Path) -> None:
    proc = run_cli("--output-format", "full", "app/services", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.split("\n\n")[0].splitlines() == [
        f"app/services/a.py:5:11: LC201 {MESSAGE}",
        "  |",
        "4 | def get(user):",
        "5 |     raise HTTPException(404)",
        "  |           ^^^^^^^^^^^^^ LC201",
        "  |",
    ]
    # Columns count characters, so the carets sit under the name on a non-ASCII line.
    assert (
        "  |                     ^^^^^^^^^^^^^ LC201" in proc.stdout.split("\n\n")[1].splitlines()
    )
    assert proc.stdout.endswith("\nFound 3 errors.\n")


def test_github(project: Path) -> None:
    proc = run_cli("--output-format", "github", cwd=project)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[1] == (
        "::error title=layercheck (LC201),file=app/services/a.py,"
        f"line=5,col=11,endLine=5,endColumn=24::LC201 {MESSAGE}"
    )
    assert lines[0].startswith("::error title=layercheck (LC001),file=app/c.py,line=1,col=5,")
    assert len(lines) == 4


def test_pylint(project: Path) -> None:
    proc = run_cli("--output-format", "pylint", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[1:3] == [
        f"app/services/a.py:5: [LC201] {MESSAGE}",
        f"app/services/b.py:5: [LC201] {MESSAGE}",
    ]


@pytest.mark.parametrize(
    "output_format", ["json", "json-lines", "github", "gitlab", "junit", "pylint", "sarif"]
)
def test_machine_formats_have_no_summary(project: Path, output_format: str) -> None:
    proc = run_cli("--output-format", output_format, cwd=project)
    assert "Found 4 errors" not in proc.stdout  # not "Found": rule docs say `NotFoundError`
    assert "All checks passed" not in proc.stdout


def test_paths_are_relative_to_the_working_folder(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = project / "app/services/a.py"
    inside = run_cli(target, cwd=project / "app")
    assert inside.stdout.splitlines()[0] == f"services/a.py:5:11: LC201 {MESSAGE}"
    outside = run_cli(target, cwd=tmp_path_factory.mktemp("elsewhere"))
    assert outside.stdout.splitlines()[0] == f"{target}:5:11: LC201 {MESSAGE}"


# Where the fixture project's findings are, as (path, start, end, code).
POSITIONS = [
    ("app/c.py", (1, 5), (1, 5), "LC001"),
    ("app/services/a.py", (5, 11), (5, 24), "LC201"),
    ("app/services/b.py", (5, 21), (5, 34), "LC201"),
    ("app/services/b.py", (5, 43), (5, 56), "LC201"),
]


def uri_path(uri: str, root: Path) -> str:
    parsed = urlparse(uri)
    assert parsed.scheme == "file", uri
    return Path(url2pathname(parsed.path)).resolve().relative_to(root.resolve()).as_posix()


def test_sarif(project: Path) -> None:
    proc = run_cli("--output-format", "sarif", cwd=project)
    assert proc.returncode == 1
    log = json.loads(proc.stdout)
    assert (log["$schema"], log["version"]) == (
        "https://json.schemastore.org/sarif-2.1.0.json",
        "2.1.0",
    )
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["informationUri"]) == (
        "layercheck",
        __version__,
        "https://pypi.org/project/layercheck/",
    )
    # Every registered rule once, in registry order, fired or not (preview ones too).
    rules = driver["rules"]
    assert [rule["id"] for rule in rules] == [rule.meta.code for rule in ALL_RULES]
    assert [rule["name"] for rule in rules] == [rule.meta.name for rule in ALL_RULES]
    results = run["results"]
    assert [
        (
            uri_path(
                result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], project
            ),
            (region["startLine"], region["startColumn"]),
            (region["endLine"], region["endColumn"]),
            result["ruleId"],
        )
        for result in results
        for region in [result["locations"][0]["physicalLocation"]["region"]]
    ] == POSITIONS  # 1-based character columns: `çà` counts two, not four UTF-8 bytes
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error"
        assert "fixes" not in result
        # ruff's shape: an absolute file URI, so no base id to resolve it against.
        assert "uriBaseId" not in result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert results[1]["message"] == {"text": MESSAGE}


def test_sarif_describes_every_rule_from_its_docs(tmp_path: Path) -> None:
    log = json.loads(REPORTERS["sarif"]([], ReportOptions(cwd=tmp_path)))
    [run] = log["runs"]
    assert run["results"] == []
    rules = run["tool"]["driver"]["rules"]
    assert len(rules) == len(ALL_RULES) == len({rule["id"] for rule in rules})
    for descriptor, rule in zip(rules, ALL_RULES, strict=True):
        body = docs_body(rule)
        assert descriptor["shortDescription"] == {"text": summary_line(rule)}
        assert descriptor["help"] == {"markdown": body, "text": body}
        full = descriptor["fullDescription"]["text"]
        assert full.startswith(summary_line(rule))
        assert full in " ".join(body.split())
        assert len(full) <= 1024  # GitHub's limit
        assert descriptor["defaultConfiguration"] == {"level": "error"}
        assert descriptor["properties"]["status"] == rule.meta.status.value
        assert len(descriptor["properties"]["tags"]) == 1


def test_sarif_fix_is_ruffs_artifact_change(tmp_path: Path) -> None:
    path = tmp_path / "app/services/a.py"
    fix = Fix(
        Applicability.SAFE,
        "Replace with `UserNotFound`",
        (
            Edit(Location(1, 1), Location(2, 1), ""),  # a deletion has no insertedContent
            Edit(Location(5, 11), Location(5, 24), "UserNotFound"),
        ),
    )
    finding = Finding("LC201", MESSAGE, path, Location(5, 11), Location(5, 24), fix=fix)
    [result] = json.loads(REPORTERS["sarif"]([finding], ReportOptions(cwd=tmp_path)))["runs"][0][
        "results"
    ]
    assert result["fixes"] == [
        {
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": path.as_uri()},
                    "replacements": [
                        {
                            "deletedRegion": {
                                "endColumn": 1,
                                "endLine": 2,
                                "startColumn": 1,
                                "startLine": 1,
                            }
                        },
                        {
                            "deletedRegion": {
                                "endColumn": 24,
                                "endLine": 5,
                                "startColumn": 11,
                                "startLine": 5,
                            },
                            "insertedContent": {"text": "UserNotFound"},
                        },
                    ],
                }
            ],
            "description": {"text": "Replace with `UserNotFound`"},
        }
    ]


def test_gitlab(project: Path) -> None:
    proc = run_cli("--output-format", "gitlab", cwd=project)
    assert proc.returncode == 1
    issues = json.loads(proc.stdout)
    # ruff's keys, in ruff's order
    assert [list(issue) for issue in issues] == [
        ["check_name", "description", "severity", "fingerprint", "location"]
    ] * 4
    assert [
        (
            issue["location"]["path"],
            tuple(issue["location"]["positions"]["begin"].values()),
            tuple(issue["location"]["positions"]["end"].values()),
            issue["check_name"],
        )
        for issue in issues
    ] == POSITIONS
    assert issues[1]["description"] == f"LC201: {MESSAGE}"
    assert {issue["severity"] for issue in issues} == {"major"}
    fingerprints = [issue["fingerprint"] for issue in issues]
    # b.py's two findings have the same path, code and message: still two fingerprints.
    assert len(set(fingerprints)) == 4
    again = json.loads(run_cli("--output-format", "gitlab", cwd=project).stdout)
    assert [issue["fingerprint"] for issue in again] == fingerprints


def test_gitlab_fingerprint_survives_moved_lines(project: Path) -> None:
    before = json.loads(run_cli("--output-format", "gitlab", cwd=project).stdout)
    target = project / "app/services/a.py"
    target.write_text("# a new first line\n" + target.read_text(encoding="utf-8"), encoding="utf-8")
    after = json.loads(run_cli("--output-format", "gitlab", cwd=project).stdout)
    assert after[1]["location"]["positions"]["begin"]["line"] == 6
    assert [issue["fingerprint"] for issue in after] == [issue["fingerprint"] for issue in before]


def test_gitlab_paths_are_relative_to_ci_project_dir(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_PROJECT_DIR", str(project.parent))
    issues = json.loads(run_cli("--output-format", "gitlab", cwd=project).stdout)
    assert issues[1]["location"]["path"] == f"{project.name}/app/services/a.py"


def test_gitlab_without_findings(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/x.py": "x = 1\n"})
    proc = run_cli("--output-format", "gitlab", cwd=tmp_path)
    assert (proc.returncode, json.loads(proc.stdout)) == (0, [])


def test_junit(project: Path) -> None:
    proc = run_cli("--output-format", "junit", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    root = ET.fromstring(proc.stdout)
    assert root.tag == "testsuites"
    assert root.attrib == {
        "name": "layercheck",
        "tests": "4",
        "skipped": "0",
        "failures": "4",
        "errors": "0",
    }
    suites = root.findall("testsuite")
    assert [(suite.get("name"), suite.get("tests"), suite.get("failures")) for suite in suites] == [
        ("app/c.py", "1", "1"),
        ("app/services/a.py", "1", "1"),
        ("app/services/b.py", "2", "2"),
    ]
    assert {suite.get("package") for suite in suites} == {"org.layercheck"}
    cases = root.findall("testsuite/testcase")
    assert [
        (case.get("classname"), case.get("line"), case.get("column"), case.get("name"))
        for case in cases
    ] == [
        ("app/c", "1", "5", "org.layercheck.LC001"),
        ("app/services/a", "5", "11", "org.layercheck.LC201"),
        ("app/services/b", "5", "21", "org.layercheck.LC201"),
        ("app/services/b", "5", "43", "org.layercheck.LC201"),
    ]
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("message") == MESSAGE
    assert failure.text == f"line 5, col 11, {MESSAGE}"
    assert [prop.attrib for prop in cases[1].iterfind("properties/property")] == [
        {"name": "severity", "value": "error"}
    ]


def test_junit_without_findings(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/x.py": "x = 1\n"})
    proc = run_cli("--output-format", "junit", cwd=tmp_path)
    assert proc.returncode == 0
    root = ET.fromstring(proc.stdout)
    assert (root.get("tests"), root.get("failures")) == ("1", "0")
    [suite] = root.findall("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == (
        "layercheck",
        "1",
        "0",
    )
    [case] = suite.findall("testcase")
    assert case.attrib == {"name": "No errors found", "classname": "layercheck"}
    assert list(case) == []


def test_junit_escapes_what_xml_cannot_hold(tmp_path: Path) -> None:
    message = 'a <tag> & "quotes"\x01 ]]> end'
    path = tmp_path / 'odd <&> "dir"/x.py'
    finding = Finding("LC201", message, path, Location(1, 1), Location(1, 2))
    root = ET.fromstring(REPORTERS["junit"]([finding], ReportOptions(cwd=tmp_path)))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    shown = 'a <tag> & "quotes"\\x01 ]]> end'  # the control character is spelled out
    assert failure.get("message") == shown
    assert failure.text == f"line 1, col 1, {shown}"
    assert [suite.get("name") for suite in root.iter("testsuite")] == ['odd <&> "dir"/x.py']


def _junit_whole(text: str) -> str:
    """The document ElementTree writes when it holds it whole and indents it once."""
    root = ET.fromstring(text)
    ET.indent(root, space="    ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


@pytest.mark.parametrize("count", [0, 1, 5])
def test_junit_written_a_suite_at_a_time_is_the_whole_document(tmp_path: Path, count: int) -> None:
    findings = [
        Finding(
            "LC201",
            f'message {n} <&> "q"\x01 é',
            tmp_path / f"app/mod{n % 3} <&>.py",
            Location(n + 1, 2),
            Location(n + 1, 9),
        )
        for n in range(count)
    ]
    pieces: list[str] = []
    write_junit(findings, ReportOptions(cwd=tmp_path), pieces.append)
    text = "".join(pieces)
    assert text == _junit_whole(text)
    # One piece opens the document, one closes it, and one holds each file's suite.
    assert len(pieces) == 2 + max(1, len({f.path for f in findings}))
    assert all(piece.endswith("\n") for piece in pieces)
