from __future__ import annotations

from collections.abc import Sequence

from layercheck.model import Finding
from layercheck.report._common import headline, summary
from layercheck.report.options import ReportOptions, Write


def write(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    for finding in findings:
        out(headline(finding, options.cwd, options.unsafe_fixes) + "\n")
    if not options.quiet:
        out(summary(findings, unsafe_fixes=options.unsafe_fixes, fixed=options.fixed))
