"""Findings grouped under their file, ruff's `grouped` format: the path once, then each
finding's `row:col` (aligned) and message, then the summary."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from layercheck.model import Finding
from layercheck.report._common import display_path, summary
from layercheck.report.options import ReportOptions, Write


def write(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    for path, group in groupby(findings, key=lambda finding: finding.path):
        items = list(group)
        rows = max(len(str(finding.start.row)) for finding in items)
        columns = max(len(str(finding.start.column)) for finding in items)
        lines = [f"{display_path(path, options.cwd)}:\n"]
        for finding in items:
            mark = "[*] " if finding.fix is not None else ""
            where = f"{finding.start.row:>{rows}}:{finding.start.column:<{columns}}"
            lines.append(f"  {where} {finding.code} {mark}{finding.message}\n")
        lines.append("\n")
        out("".join(lines))
    if not options.quiet:
        out(summary(findings))
