from __future__ import annotations

import functools
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


def fixable(finding: Finding, unsafe_fixes: bool) -> bool:
    """The finding has a fix that `--fix` applies under these options."""
    fix = finding.fix
    if fix is None or not fix.edits:
        return False
    return unsafe_fixes or fix.applicability is Applicability.SAFE


def summary(findings: Sequence[Finding], *, unsafe_fixes: bool = False, fixed: int = 0) -> str:
    """ruff's closing lines: the count (fixed and remaining after `--fix`), then how
    many `--fix` would fix and how many more `--unsafe-fixes` would."""
    count = len(findings)
    if fixed:
        total = count + fixed
        text = (
            f"Found {total} error{'s' if total != 1 else ''} ({fixed} fixed, {count} remaining).\n"
        )
    elif not findings:
        return "All checks passed!\n"
    else:
        text = f"Found {count} error{'s' if count != 1 else ''}.\n"
    available = sum(1 for finding in findings if fixable(finding, unsafe_fixes))
    hidden = sum(
        1 for finding in findings if fixable(finding, True) and not fixable(finding, unsafe_fixes)
    )
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
    mark = "[*] " if fixable(finding, unsafe_fixes) else ""
    return (
        f"{display_path(finding.path, cwd)}:{finding.start.row}:{finding.start.column}: "
        f"{finding.code} {mark}{finding.message}"
    )
