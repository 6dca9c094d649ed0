from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path

from layercheck.model import Applicability, Finding


@functools.lru_cache(maxsize=4096)
def display_path(path: Path, cwd: Path) -> str:
    """Asked once a finding, and a file's findings come together."""
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return str(path)


def display_name(name: str, cwd: str) -> str:
    """`display_path` of an absolute, normalised name, on its text where paths are
    POSIX ones (the warm path shows thousands of names from its record)."""
    if os.sep != "/":
        return display_path(Path(name), Path(cwd))
    prefix = cwd if cwd.endswith("/") else cwd + "/"
    if name.startswith(prefix):
        return name[len(prefix) :]
    return "." if name == cwd else name


def fixable(finding: Finding, unsafe_fixes: bool) -> bool:
    """The finding has a fix that `--fix` applies under these options."""
    fix = finding.fix
    if fix is None or not fix.edits:
        return False
    return unsafe_fixes or fix.applicability is Applicability.SAFE


def summary(findings: Sequence[Finding], *, unsafe_fixes: bool = False, fixed: int = 0) -> str:
    """ruff's closing lines: the count (fixed and remaining after `--fix`), then how
    many `--fix` would fix and how many more `--unsafe-fixes` would."""
    available = sum(1 for finding in findings if fixable(finding, unsafe_fixes))
    hidden = sum(
        1 for finding in findings if fixable(finding, True) and not fixable(finding, unsafe_fixes)
    )
    return summary_of(len(findings), available, hidden, fixed)


def summary_of(count: int, available: int, hidden: int, fixed: int = 0) -> str:
    """`summary` from its counts: `available` findings that `--fix` fixes under the
    options, `hidden` more that `--unsafe-fixes` would."""
    if fixed:
        total = count + fixed
        text = (
            f"Found {total} error{'s' if total != 1 else ''} ({fixed} fixed, {count} remaining).\n"
        )
    elif not count:
        return "All checks passed!\n"
    else:
        text = f"Found {count} error{'s' if count != 1 else ''}.\n"
    hint = (
        f" ({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with the "
        "--unsafe-fixes option)"
        if hidden
        else ""
    )
    if available:
        text += f"[*] {available} fixable with the --fix option{hint}.\n"
    elif hidden:
        text += f"No fixes available{hint}.\n"
    return text


def headline(finding: Finding, cwd: Path, unsafe_fixes: bool = False) -> str:
    shown = display_path(finding.path, cwd)
    start = finding.start
    marked = fixable(finding, unsafe_fixes)
    return headline_of(shown, start.row, start.column, finding.code, marked, finding.message)


def headline_of(shown: str, row: int, column: int, code: str, marked: bool, message: str) -> str:
    """A finding's line, from its parts (the warm path prints from the record's values):
    `marked` when `--fix` would fix it."""
    mark = "[*] " if marked else ""
    return f"{shown}:{row}:{column}: {code} {mark}{message}"
