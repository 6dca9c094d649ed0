"""What a reporter is told besides the findings: where paths are relative to, and more."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

Write = Callable[[str], object]
"""Where a reporter writes its text, a piece at a time."""


def _ci_project_dir() -> Path | None:
    # GitLab's own variable, read as ruff reads it; a CLI has no settings class for it.
    value = os.environ.get("CI_PROJECT_DIR")  # noqa: LC801
    return Path(value) if value else None


@dataclass(frozen=True, slots=True)
class ReportOptions:
    cwd: Path = field(default_factory=Path.cwd)
    quiet: bool = False
    sources: Mapping[Path, tuple[str, ...]] = field(default_factory=dict)
    """Source lines of files with findings, for formats that show code."""
    ci_project_dir: Path | None = field(default_factory=_ci_project_dir)
    """GitLab CI's `$CI_PROJECT_DIR`: `gitlab` paths are relative to it, as ruff's are."""
    # -- fixes: what the summary says of them --
    unsafe_fixes: bool = False
    """Unsafe fixes count as available (`--unsafe-fixes`), not as hidden."""
    fixed: int = 0
    """Findings fixed by this run (`--fix`): the summary says so."""
