"""Azure Pipelines logging commands (`##vso[task.logissue ...]`), one per finding, in
ruff's `azure` shape: each becomes an error annotation on the pipeline run."""

from __future__ import annotations

from collections.abc import Sequence

from layercheck.model import Finding
from layercheck.report.options import ReportOptions, Write


def _escape_data(text: str) -> str:
    return text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def _escape(text: str) -> str:
    # A property value must not end the property list or the command early.
    return _escape_data(text).replace(";", "%3B").replace("]", "%5D")


def write(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    for finding in findings:
        path = finding.path if finding.path.is_absolute() else options.cwd / finding.path
        out(
            f"##vso[task.logissue type=error;sourcepath={_escape(str(path))};"
            f"linenumber={finding.start.row};columnnumber={finding.start.column};"
            f"code={finding.code};]{_escape_data(finding.message)}\n"
        )
