"""GitHub Actions workflow commands: each finding becomes an annotation on the PR."""

from __future__ import annotations

from collections.abc import Sequence

from layercheck.model import Finding
from layercheck.report._common import display_path
from layercheck.report.options import ReportOptions, Write


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def write(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    for finding in findings:
        path = _escape_property(display_path(finding.path, options.cwd))
        out(
            f"::error title={_escape_property(f'layercheck ({finding.code})')},file={path},"
            f"line={finding.start.row},col={finding.start.column},"
            f"endLine={finding.end.row},endColumn={finding.end.column}"
            f"::{_escape_data(f'{finding.code} {finding.message}')}\n"
        )
