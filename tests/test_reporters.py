"""Every --output-format, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from projects import MESSAGE, ONLY_LC201, VIOLATION
from support import run_cli, write_project

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


@pytest.mark.parametrize("output_format", ["json", "json-lines", "github", "pylint"])
def test_machine_formats_have_no_summary(project: Path, output_format: str) -> None:
    proc = run_cli("--output-format", output_format, cwd=project)
    assert "Found" not in proc.stdout
    assert "All checks passed" not in proc.stdout


def test_paths_are_relative_to_the_working_folder(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = project / "app/services/a.py"
    inside = run_cli(target, cwd=project / "app")
    assert inside.stdout.splitlines()[0] == f"services/a.py:5:11: LC201 {MESSAGE}"
    outside = run_cli(target, cwd=tmp_path_factory.mktemp("elsewhere"))
    assert outside.stdout.splitlines()[0] == f"{target}:5:11: LC201 {MESSAGE}"
