"""ruff's JSON shape, key for key, so tools that read ruff's output read ours."""

from __future__ import annotations

import json
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii as _string

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
    write_json([ITEMS], findings, out, encode=_text)


def _text(finding: Finding, pad: str) -> str:
    """`json.dumps(as_dict(finding), indent=2)`, its lines after the first starting with
    `pad`: written from the finding's fields by one template (a report of 150,000
    findings spent most of its time walking their dicts)."""
    one = pad + "  "
    fix = finding.fix
    if fix is None:
        fix_text = "null"
    else:
        two = one + "  "
        three = two + "  "
        edits = ",".join(
            f'{three}{{{three}  "content": {_string(edit.content)},'
            f'{three}  "end_location": {_location_text(edit.end, three + "  ")},'
            f'{three}  "location": {_location_text(edit.start, three + "  ")}{three}}}'
            for edit in fix.edits
        )
        fix_text = (
            f'{{{two}"applicability": {_string(fix.applicability.value)},'
            f'{two}"edits": {f"[{edits}{two}]" if edits else "[]"},'
            f'{two}"message": {_string(fix.message)}{one}}}'
        )
    noqa = "null" if finding.noqa_row is None else str(int(finding.noqa_row))
    return (
        f'{{{one}"cell": null,'
        f'{one}"code": {_string(finding.code)},'
        f'{one}"end_location": {_location_text(finding.end, one)},'
        f'{one}"filename": {_string(str(finding.path.absolute()))},'
        f'{one}"fix": {fix_text},'
        f'{one}"location": {_location_text(finding.start, one)},'
        f'{one}"message": {_string(finding.message)},'
        f'{one}"noqa_row": {noqa},'
        f'{one}"url": null{pad}}}'
    )


def _location_text(location: Location, pad: str) -> str:
    return f'{{{pad}  "column": {int(location.column)},{pad}  "row": {int(location.row)}{pad}}}'


def write_lines(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    for finding in findings:
        out(json.dumps(as_dict(finding)) + "\n")
