"""Reporters: pure functions from findings to text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from layercheck.model import Finding
from layercheck.report import concise, full, github, json_format, pylint


@dataclass(frozen=True, slots=True)
class ReportOptions:
    cwd: Path = field(default_factory=Path.cwd)
    quiet: bool = False
    sources: dict[Path, tuple[str, ...]] = field(default_factory=dict)
    """Source lines of files with findings, for formats that show code."""


Reporter = Callable[[Sequence[Finding], ReportOptions], str]

REPORTERS: Final[dict[str, Reporter]] = {
    "concise": concise.render,
    "full": full.render,
    "json": json_format.render,
    "json-lines": json_format.render_lines,
    "github": github.render,
    "pylint": pylint.render,
}
