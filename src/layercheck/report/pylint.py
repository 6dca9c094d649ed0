from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from layercheck.model import Finding
from layercheck.report._common import display_path

if TYPE_CHECKING:
    from layercheck.report import ReportOptions


def render(findings: Sequence[Finding], options: ReportOptions) -> str:
    return "".join(
        f"{display_path(f.path, options.cwd)}:{f.start.row}: [{f.code}] {f.message}\n"
        for f in findings
    )
