"""LC003: noqa codes that silence nothing, and the fix each finding carries."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import ONLY_LC201, VIOLATION
from support import check_project, run_cli, write_project

from layercheck.model import Applicability, Finding

SERVICE = "app/services/users.py"
RAISE = "    raise HTTPException(404)"


def _lc003(root: Path, source: str, config: str = "") -> list[Finding]:
    root.mkdir(exist_ok=True)
    write_project(root, {SERVICE: source}, config)
    return [f for f in check_project(root).findings if f.code == "LC003"]


def _apply(text: str, finding: Finding) -> str:
    """The text with the finding's fix applied (edits never overlap)."""
    assert finding.fix is not None
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for edit in sorted(finding.fix.edits, key=lambda e: e.start, reverse=True):
        start = offsets[edit.start.row - 1] + edit.start.column - 1
        end = offsets[edit.end.row - 1] + edit.end.column - 1
        text = text[:start] + edit.content + text[end:]
    return text


def test_used_code_is_not_reported(tmp_path: Path) -> None:
    source = VIOLATION.replace("(404)", "(404)  # noqa: LC201")
    assert _lc003(tmp_path, source) == []


@pytest.mark.parametrize(
    ("line", "fixed", "applicability"),
    [
        ("X = 1  # noqa: LC201\n", "X = 1\n", Applicability.SAFE),
        ("X = 1  # noqa: E501, LC201\n", "X = 1  # noqa: E501\n", Applicability.SAFE),
        ("X = 1  # noqa: LC201,E501 why\n", "X = 1  # noqa: E501 why\n", Applicability.SAFE),
        ("X = 1  # noqa: LC201 legacy\n", "X = 1\n", Applicability.SAFE),
        ("X = 1  # type: ignore  # noqa: LC201\n", "X = 1  # type: ignore\n", Applicability.SAFE),
        ("# layercheck: noqa\nX = 1\n", "X = 1\n", Applicability.SAFE),
        ("X = 1\n# noqa: LC201\n", "X = 1\n", Applicability.SAFE),
        ("# layercheck: noqa: LC201\nX = 1\n", "X = 1\n", Applicability.SAFE),
        (
            "# layercheck: noqa: E501, LC999\nX = 1\n",
            "# layercheck: noqa: E501\nX = 1\n",
            Applicability.SAFE,
        ),
    ],
)
def test_unused_and_its_fix(
    tmp_path: Path, line: str, fixed: str, applicability: Applicability
) -> None:
    found = _lc003(tmp_path, line)
    assert len(found) == 1
    finding = found[0]
    assert finding.fix is not None
    assert finding.fix.applicability is applicability
    assert _apply(line, finding) == fixed


def test_message_names_unused_and_unknown_codes(tmp_path: Path) -> None:
    source = VIOLATION.replace("(404)", "(404)  # noqa: LC201, LC202, LC998, E501")
    (finding,) = _lc003(tmp_path, source)
    assert finding.message == "Unused `noqa` directive (unused: `LC202`; unknown: `LC998`)"
    assert (finding.start.row, finding.start.column) == (5, 31)


def test_a_blanket_line_noqa_is_left_to_other_tools(tmp_path: Path) -> None:
    assert _lc003(tmp_path, "from app import models  # noqa\nX = 1  # NOQA\n") == []


def test_codes_of_rules_not_selected_are_not_judged(tmp_path: Path) -> None:
    source = "X = 1  # noqa: LC201\nY = 2  # noqa\n"
    write_project(tmp_path, {SERVICE: source}, 'select = ["LC1", "LC003"]')
    assert check_project(tmp_path).findings == []
    config = '[tool.layercheck.per-file-ignores]\n"app/services/*" = ["LC2"]'
    assert _lc003(tmp_path / "b", source.replace("Y = 2  # noqa\n", ""), config) == []


def test_not_judged_in_a_file_that_does_not_parse(tmp_path: Path) -> None:
    assert _lc003(tmp_path, "X = 1  # noqa: LC201\ndef broken(:\n") == []


def test_silenced_by_its_own_code_or_the_file(tmp_path: Path) -> None:
    assert _lc003(tmp_path / "a", "X = 1  # noqa: LC201, LC003\n") == []
    assert _lc003(tmp_path / "b", "# layercheck: noqa: LC003\nX = 1  # noqa: LC201\n") == []


def test_on_the_command_line(tmp_path: Path) -> None:
    write_project(tmp_path, {SERVICE: "X = 1  # noqa: LC201\n"}, ONLY_LC201)
    proc = run_cli(cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0] == (
        "app/services/users.py:1:8: LC003 [*] Unused `noqa` directive (unused: `LC201`)"
    )
