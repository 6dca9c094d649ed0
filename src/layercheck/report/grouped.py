"""Findings grouped under their file, ruff's `grouped` format: the path once, then each
finding's `row:col` (aligned) and message, then the summary."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from layercheck.model import Finding
from layercheck.report._common import display_path, summary
from layercheck.report.options import ReportOptions


def render(findings: Sequence[Finding], options: ReportOptions) -> str:
    out: list[str] = []
    for path, group in groupby(findings, key=lambda finding: finding.path):
        items = list(group)
        rows = max(len(str(finding.start.row)) for finding in items)
        columns = max(len(str(finding.start.column)) for finding in items)
        out.append(f"{display_path(path, options.cwd)}:\n")
        for finding in items:
            mark = "[*] " if finding.fix is not None else ""
            where = f"{finding.start.row:>{rows}}:{finding.start.column:<{columns}}"
            out.append(f"  {where} {finding.code} {mark}{finding.message}\n")
        out.append("\n")
    text = "".join(out)
    return text if options.quiet else text + summary(findings)
