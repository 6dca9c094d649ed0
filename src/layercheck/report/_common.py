from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from layercheck.model import Finding


def display_path(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return str(path)


def summary(findings: Sequence[Finding]) -> str:
    if not findings:
        return "All checks passed!\n"
    count = len(findings)
    text = f"Found {count} error{'s' if count != 1 else ''}.\n"
    fixable = sum(1 for finding in findings if finding.fix is not None)
    if fixable:
        text += f"[*] {fixable} fixable with the --fix option.\n"
    return text


def headline(finding: Finding, cwd: Path) -> str:
    mark = "[*] " if finding.fix is not None else ""
    return (
        f"{display_path(finding.path, cwd)}:{finding.start.row}:{finding.start.column}: "
        f"{finding.code} {mark}{finding.message}"
    )
