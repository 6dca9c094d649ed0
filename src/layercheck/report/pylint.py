from __future__ import annotations

from collections.abc import Sequence

from layercheck.model import Finding
from layercheck.report._common import display_path
from layercheck.report.options import ReportOptions, Write


def write(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    for f in findings:
        out(f"{display_path(f.path, options.cwd)}:{f.start.row}: [{f.code}] {f.message}\n")
