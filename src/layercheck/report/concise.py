from __future__ import annotations

from collections.abc import Sequence

from layercheck.model import Finding
from layercheck.report._common import headline, summary
from layercheck.report.options import ReportOptions


def render(findings: Sequence[Finding], options: ReportOptions) -> str:
    lines = "".join(
        headline(finding, options.cwd, options.unsafe_fixes) + "\n" for finding in findings
    )
    return (
        lines
        if options.quiet
        else lines + summary(findings, unsafe_fixes=options.unsafe_fixes, fixed=options.fixed)
    )
