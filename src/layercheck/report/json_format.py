"""ruff's JSON shape, key for key, so tools that read ruff's output read ours."""

from __future__ import annotations

import json
from collections.abc import Sequence

from layercheck.model import Finding, Location
from layercheck.report._json import ITEMS, write_json
from layercheck.report.options import ReportOptions, Write


def _location(location: Location) -> dict[str, int]:
    return {"column": location.column, "row": location.row}


def as_dict(finding: Finding) -> dict[str, object]:
    fix = None
    if finding.fix is not None:
        fix = {
            "applicability": finding.fix.applicability.value,
            "edits": [
                {
                    "content": edit.content,
                    "end_location": _location(edit.end),
                    "location": _location(edit.start),
                }
                for edit in finding.fix.edits
            ],
            "message": finding.fix.message,
        }
    return {
        "cell": None,
        "code": finding.code,
        "end_location": _location(finding.end),
        "filename": str(finding.path.absolute()),
        "fix": fix,
        "location": _location(finding.start),
        "message": finding.message,
        "noqa_row": finding.noqa_row,
        "url": None,
    }


def write(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    write_json([ITEMS], map(as_dict, findings), out)


def write_lines(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    for finding in findings:
        out(json.dumps(as_dict(finding)) + "\n")
