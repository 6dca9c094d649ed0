"""`--add-noqa[=REASON]`: noqa comments on the reported lines, on copies of projects."""

from __future__ import annotations

import shutil
from pathlib import Path

from projects import ONLY_LC201, VIOLATION, assert_usage_error
from support import FIXTURES, run_cli, write_project

from layercheck.add_noqa import add_noqa, edit_text
from layercheck.model import Finding, Location

SERVICE = "app/services/users.py"


def _added(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


def test_fixture_project_twice(tmp_path: Path) -> None:
    root = tmp_path / "bad_app"
    shutil.copytree(FIXTURES / "bad_app", root)
    before = run_cli("--no-cache", ".", cwd=root)
    assert before.returncode == 1
    first = run_cli("--no-cache", "--add-noqa", ".", cwd=root)
    assert first.returncode == 0, first.stderr
    count = int(_added(first.stderr).split()[1])
    assert count > 20
    assert _added(first.stderr) == f"Added {count} noqa directives."
    second = run_cli("--no-cache", "--add-noqa", ".", cwd=root)
    assert _added(second.stderr) == "Added 0 noqa directives."
    after = run_cli("--no-cache", "--output-format", "json-lines", ".", cwd=root)
    # Files that cannot be decoded or parsed are never edited; an unused noqa is left to
    # be removed.
    assert {line.split('"code": "')[1][:5] for line in after.stdout.splitlines()} == {
        "LC001",
        "LC002",
        "LC003",
    }


def test_merges_into_another_tools_noqa_and_keeps_the_reason(tmp_path: Path) -> None:
    source = VIOLATION.replace("(404)", "(404)  # noqa: E501 long line, on purpose")
    write_project(tmp_path, {SERVICE: source}, ONLY_LC201)
    proc = run_cli("--add-noqa", cwd=tmp_path)
    assert _added(proc.stderr) == "Added 1 noqa directive."
    line = (tmp_path / SERVICE).read_text().splitlines()[4]
    assert line == "    raise HTTPException(404)  # noqa: E501, LC201 long line, on purpose"
    assert run_cli(cwd=tmp_path).returncode == 0


def test_reason_after_the_codes(tmp_path: Path) -> None:
    write_project(tmp_path, {SERVICE: VIOLATION}, ONLY_LC201)
    proc = run_cli("--add-noqa=legacy, see #12", ".", cwd=tmp_path)
    assert proc.returncode == 0
    line = (tmp_path / SERVICE).read_text().splitlines()[4]
    assert line == "    raise HTTPException(404)  # noqa: LC201 legacy, see #12"


def test_comment_goes_where_a_multiline_string_ends(tmp_path: Path) -> None:
    source = (
        "from fastapi import HTTPException\n\n\ndef get(user):\n"
        '    raise HTTPException(404, """no\n    such user""")\n'
    )
    write_project(tmp_path, {SERVICE: source}, ONLY_LC201)
    run_cli("--add-noqa", cwd=tmp_path)
    lines = (tmp_path / SERVICE).read_text().splitlines()
    assert lines[4] == '    raise HTTPException(404, """no'
    assert lines[5] == '    such user""")  # noqa: LC201'
    assert run_cli(cwd=tmp_path).returncode == 0
    assert _added(run_cli("--add-noqa", cwd=tmp_path).stderr) == "Added 0 noqa directives."


def test_only_the_selected_rules(tmp_path: Path) -> None:
    source = "from fastapi import status\n" + VIOLATION + "\n\nCODE = status.HTTP_404_NOT_FOUND\n"
    write_project(tmp_path, {SERVICE: source}, 'select = ["LC2"]')
    assert "LC204" in run_cli(cwd=tmp_path).stdout
    run_cli("--add-noqa", "--select", "LC201", cwd=tmp_path)
    text = (tmp_path / SERVICE).read_text()
    assert "# noqa: LC201" in text
    assert "LC204" not in text


def test_stdin_cannot_be_edited(tmp_path: Path) -> None:
    proc = run_cli("--add-noqa", "-", cwd=tmp_path, stdin=VIOLATION.encode())
    assert_usage_error(proc, "--add-noqa", "stdin")


def test_continued_line_takes_the_comment_where_it_ends() -> None:
    text, changed = edit_text("x = 1 + \\\n    2\ny = 3\n", {1: {"LC101"}})
    assert (text, changed) == ("x = 1 + \\\n    2  # noqa: LC101\ny = 3\n", 1)


def test_line_endings_and_other_comments_are_kept() -> None:
    text, _ = edit_text("a = 1  # type: ignore\r\nb = 2   \r\n", {1: {"LC2"}, 2: {"LC1", "LC0"}})
    assert text == "a = 1  # type: ignore  # noqa: LC2\r\nb = 2  # noqa: LC0, LC1\r\n"


def test_blanket_or_covering_noqa_is_left_alone() -> None:
    source = "a = 1  # noqa\nb = 2  # noqa: LC2\n"
    assert edit_text(source, {1: {"LC201"}, 2: {"LC201"}}) == (source, 0)


def test_encoding_is_kept(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\n" + VIOLATION.replace("user):", "user):  # café")
    write_project(tmp_path, {SERVICE: source.encode("latin-1")}, ONLY_LC201)
    run_cli("--add-noqa", cwd=tmp_path)
    data = (tmp_path / SERVICE).read_bytes()
    assert "café".encode("latin-1") in data
    assert data.decode("latin-1").splitlines()[5].endswith("(404)  # noqa: LC201")


def test_a_file_gone_or_changed_into_non_python_is_left_with_a_warning(tmp_path: Path) -> None:
    """Between the check and the edit a file can vanish, or become bytes that do not
    decode: nothing is written, a warning says why, the other files are edited."""
    kept = tmp_path / "kept.py"
    kept.write_text("import os\n", encoding="utf-8")
    broken = tmp_path / "broken.py"
    broken.write_bytes(b"x = '\xff'\n")
    where = Location(1, 1)
    findings = [
        Finding("LC201", "m", path, where, where) for path in (tmp_path / "gone.py", broken, kept)
    ]
    warnings: list[str] = []
    assert add_noqa(findings, warn=warnings.append) == 1
    assert kept.read_text(encoding="utf-8") == "import os  # noqa: LC201\n"
    assert broken.read_bytes() == b"x = '\xff'\n"
    assert [w.split(":")[0] for w in warnings] == [str(broken), str(tmp_path / "gone.py")]
