"""Suppression: `# noqa` on the reported line, file-level directives, per-file-ignores."""

from __future__ import annotations

from pathlib import Path

import pytest
from projects import LINE, ONLY_LC201, VIOLATION
from support import check_project, run_cli, write_project

from layercheck.noqa import parse_noqa

IMPORT = "from fastapi import HTTPException\n"
RAISE = "raise HTTPException(404)"


def rows(root: Path, source: str, config: str = "") -> list[int]:
    root.mkdir(exist_ok=True)
    write_project(root, {"app/services/users.py": source}, config)
    result = check_project(root, select=("LC201",))
    return [finding.start.row for finding in result.findings]


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa",
        "#noqa",
        "# NOQA",
        "# noqa: LC201",
        "# noqa:LC201",
        "# noqa: lc201",
        "# noqa:LC201,E501",
        "# noqa: E501, LC201",
        "# noqa: E501 LC201",
        "# type: ignore  # noqa: LC201",
        "# noqa - the reason",
    ],
)
def test_line_noqa_silences(tmp_path: Path, comment: str) -> None:
    assert rows(tmp_path, f"{IMPORT}{RAISE}  {comment}\n{RAISE}\n") == [3]


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa: E501",
        "# noqa: LC202",
        "# noqa:E501,W291",
        "# ruff: noqa",
        "# flake8: noqa: E501",
        "# layercheck: noqa: LC202",
    ],
)
def test_comments_that_do_not_silence_lc201(tmp_path: Path, comment: str) -> None:
    assert rows(tmp_path, f"{IMPORT}{RAISE}  {comment}\n") == [2]


def test_noqa_belongs_on_the_reported_line(tmp_path: Path) -> None:
    source = (
        f"{IMPORT}raise HTTPException(  # noqa: LC201\n    404,\n)\n"
        "raise HTTPException(\n    404,\n)  # noqa: LC201\n"
        "# noqa: LC201\n"
        f"{RAISE}\n"
    )
    assert rows(tmp_path, source) == [5, 9]


def test_noqa_inside_a_string_does_not_count(tmp_path: Path) -> None:
    source = (
        f'{IMPORT}{RAISE[:-1]}, "# noqa")\n'
        'text = """\n# noqa\n"""; ' + RAISE + "\n"
        '"# layercheck: noqa"\n'
    )
    assert rows(tmp_path, source) == [2, 5]


@pytest.mark.parametrize(
    "directive",
    [
        "# layercheck: noqa",
        "# layercheck: noqa: LC201",
        "#layercheck:noqa:LC2",
        "# layercheck: noqa: E501, LC201",
        "# LAYERCHECK: NOQA",
    ],
)
def test_file_level_directive(tmp_path: Path, directive: str) -> None:
    source = f'"""Module docs."""\n{directive}\n{IMPORT}{RAISE}\n\n\ndef f():\n    {RAISE}\n'
    assert rows(tmp_path, source) == []


def test_file_level_directive_for_another_code(tmp_path: Path) -> None:
    source = f"# layercheck: noqa: LC001\n{IMPORT}{RAISE}\n"
    assert rows(tmp_path, source) == [3]


def test_ruff_file_directive_does_not_silence_layercheck(tmp_path: Path) -> None:
    source = f"# ruff: noqa\n# flake8: noqa\n{IMPORT}{RAISE}\n"
    assert rows(tmp_path, source) == [4]


def test_per_file_ignores(tmp_path: Path) -> None:
    config = '[tool.layercheck.per-file-ignores]\n"app/services/*.py" = ["LC201"]'
    assert rows(tmp_path / "a", VIOLATION, config) == []
    other = '[tool.layercheck.per-file-ignores]\n"other.py" = ["LC2"]'
    assert rows(tmp_path / "b", VIOLATION, other) == [5]


def test_noqa_applies_to_lc001(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/bad.py": "x = (  # noqa: LC001\n"})
    assert check_project(tmp_path).findings == []


def test_through_the_command_line(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "app/services/users.py": VIOLATION,
            "app/services/quiet.py": VIOLATION.replace("(404)", "(404)  # noqa: LC201"),
            "app/services/off.py": "# layercheck: noqa\n" + VIOLATION,
        },
        ONLY_LC201,
    )
    proc = run_cli(cwd=tmp_path)
    assert proc.stdout == f"{LINE}\nFound 1 error.\n"


def test_parse_noqa_map() -> None:
    noqa = parse_noqa("x = 1  # noqa: LC201, E501\ny = 2  # noqa\n# layercheck: noqa: LC3\n")
    assert noqa.suppresses("LC201", 1)
    assert not noqa.suppresses("LC202", 1)
    assert noqa.suppresses("LC999", 2)
    assert noqa.suppresses("LC301", 99)
    assert not noqa.suppresses("LC201", 99)
    assert not noqa.suppresses("LC201", None)


def test_parse_noqa_counts_rows_like_python() -> None:
    # A lone CR ends a line for ast; the noqa map must count rows the same way.
    noqa = parse_noqa("a = 1\rb = 2  # noqa: LC201\r")
    assert noqa.suppresses("LC201", 2)
    assert not noqa.suppresses("LC201", 1)


def test_parse_noqa_survives_broken_code() -> None:
    noqa = parse_noqa("x = 1  # noqa: LC001\ny = (\n")
    assert noqa.suppresses("LC001", 1)


def test_parse_noqa_reads_no_further_than_the_last_noqa_line() -> None:
    # The text below the last line naming noqa is not tokenized; a string still open
    # there, or a row inside a string that ends on a noqa line, is read as before.
    open_below = parse_noqa('x = 1  # noqa: LC201\ny = """\nnoqa\n""" + (\n')
    assert open_below.suppresses("LC201", 1)
    assert not any(open_below.suppresses("LC201", row) for row in (2, 3, 4, 5))
    closing = parse_noqa('y = """\n\n"""  # noqa: LC201\nz = """\n"""\n')
    assert all(closing.suppresses("LC201", row) for row in (1, 2, 3))
    assert not any(closing.suppresses("LC201", row) for row in (4, 5))
    continued = parse_noqa("a = 1 + \\\n    2  # NOQA: LC201\nb = 3\n")
    assert continued.suppresses("LC201", 1)
    assert not continued.suppresses("LC201", 3)
