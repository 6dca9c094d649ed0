"""Reporters: pure functions from findings to text."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from layercheck.model import Finding
from layercheck.report import concise, full, github, gitlab, json_format, junit, pylint, sarif


def _ci_project_dir() -> Path | None:
    # GitLab's own variable, read as ruff reads it; a CLI has no settings class for it.
    value = os.environ.get("CI_PROJECT_DIR")  # noqa: LC801
    return Path(value) if value else None


@dataclass(frozen=True, slots=True)
class ReportOptions:
    cwd: Path = field(default_factory=Path.cwd)
    quiet: bool = False
    sources: dict[Path, tuple[str, ...]] = field(default_factory=dict)
    """Source lines of files with findings, for formats that show code."""
    ci_project_dir: Path | None = field(default_factory=_ci_project_dir)
    """GitLab CI's `$CI_PROJECT_DIR`: `gitlab` paths are relative to it, as ruff's are."""


Reporter = Callable[[Sequence[Finding], ReportOptions], str]

REPORTERS: Final[dict[str, Reporter]] = {
    "concise": concise.render,
    "full": full.render,
    "json": json_format.render,
    "json-lines": json_format.render_lines,
    "github": github.render,
    "gitlab": gitlab.render,
    "junit": junit.render,
    "pylint": pylint.render,
    "sarif": sarif.render,
}
