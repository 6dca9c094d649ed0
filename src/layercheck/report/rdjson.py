"""reviewdog's Diagnostic Format (rdjson), as ruff writes it: one document with the tool,
and each finding with its range, rule code and, when it has a fix, the fix's edits as
suggestions. The rule docs have no address on the web yet, so no `url` is given."""

from __future__ import annotations

from collections.abc import Sequence

from layercheck.model import Finding, Location
from layercheck.report._common import display_path
from layercheck.report._json import ITEMS, write_json
from layercheck.report.options import ReportOptions, Write

JSON = dict[str, object]


def _position(location: Location) -> JSON:
    return {"column": location.column, "line": location.row}


def _range(start: Location, end: Location) -> JSON:
    return {"end": _position(end), "start": _position(start)}


def _diagnostic(finding: Finding, options: ReportOptions) -> JSON:
    found: JSON = {
        "code": {"value": finding.code},
        "location": {
            "path": display_path(finding.path, options.cwd),
            "range": _range(finding.start, finding.end),
        },
        "message": finding.message,
    }
    if finding.fix is not None:
        found["suggestions"] = [
            {"range": _range(edit.start, edit.end), "text": edit.content}
            for edit in finding.fix.edits
        ]
    return found


def write(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    document = {
        "diagnostics": [ITEMS],
        "severity": "WARNING",
        "source": {"name": "layercheck"},
    }
    diagnostics = (_diagnostic(finding, options) for finding in findings)
    write_json(document, diagnostics, out, sort_keys=True)
