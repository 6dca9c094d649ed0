from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from layercheck.headlines import display_name, headline_of, summary_of
from layercheck.model import Applicability, Finding

__all__ = [
    "display_name",
    "display_path",
    "fixable",
    "headline",
    "headline_of",
    "summary",
    "summary_of",
]


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
    available = sum(1 for finding in findings if fixable(finding, unsafe_fixes))
    hidden = sum(
        1 for finding in findings if fixable(finding, True) and not fixable(finding, unsafe_fixes)
    )
    return summary_of(len(findings), available, hidden, fixed)


def headline(finding: Finding, cwd: Path, unsafe_fixes: bool = False) -> str:
    shown = display_path(finding.path, cwd)
    start = finding.start
    marked = fixable(finding, unsafe_fixes)
    return headline_of(shown, start.row, start.column, finding.code, marked, finding.message)
