"""SARIF 2.1.0 for GitHub code scanning, in ruff's shape (crates/ruff_linter/src/message/sarif.rs).

Like ruff: one run, results with `ruleId`, `level`, `message` and one physical location whose
`artifactLocation.uri` is the file's absolute `file://` URI, with no `uriBaseId` (GitHub
converts it to a repository path with the checkout path, so it also works when layercheck
runs in a subfolder), regions with 1-based lines and character columns (end exclusive),
`fixes` only when a finding has a fix, keys sorted, two-space indent.

Unlike ruff, which lists only the rules that fired (since astral-sh/ruff#13268, 2024),
`tool.driver.rules` holds every rule of the registry, so `ruleIndex` (which ruff does not
write) is stable from run to run. Each descriptor also carries what GitHub reads and ruff
leaves out: `name`, `help.markdown`, `properties.tags` (the family) and our `status`, but
no `defaultConfiguration.enabled` (preview rules are off by default yet may report); the
run states `columnKind` (code points, our columns). Rule texts
come from `layercheck.explain`, never written here: `shortDescription` is the summary line,
`fullDescription` the "What it does" section (GitHub caps it at 1024 characters; ours stay
under 250) and `help` the whole docs page.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from layercheck import __version__
from layercheck.explain import FAMILIES, docs_body, summary_line
from layercheck.fingerprint import Fingerprints
from layercheck.model import Finding, Fix, Location
from layercheck.report._common import display_path
from layercheck.report._json import ITEMS, write_json
from layercheck.report.options import ReportOptions, Write
from layercheck.rules import ALL_RULES
from layercheck.rules._base import Rule

SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI: Final = "https://pypi.org/project/layercheck/"
_RULE_INDEX: Final = {rule.meta.code: index for index, rule in enumerate(ALL_RULES)}
_WHAT_IT_DOES: Final = "## What it does"

JSON = dict[str, object]


def _what_it_does(body: str) -> str:
    """The "What it does" section of a docs page, unwrapped to one paragraph."""
    section = body.split(_WHAT_IT_DOES, 1)[-1].split("\n## ", 1)[0]
    return " ".join(section.split())


def _descriptor(rule: type[Rule]) -> JSON:
    meta = rule.meta
    body = docs_body(rule)
    return {
        "defaultConfiguration": {"level": "error"},
        "fullDescription": {"text": _what_it_does(body)},
        "help": {"markdown": body, "text": body},
        "id": meta.code,
        "name": meta.name,
        "properties": {
            "problem.severity": "error",
            "status": meta.status.value,
            "tags": [FAMILIES.get(meta.family, meta.family)],
        },
        "shortDescription": {"text": summary_line(rule)},
    }


def _uri(path: Path, cwd: Path) -> str:
    """Absolute, normalized, percent-encoded `file://` URI, as ruff's `Url::from_file_path`."""
    return Path(os.path.normpath(cwd / path)).as_uri()


def _region(start: Location, end: Location) -> JSON:
    return {
        "endColumn": end.column,
        "endLine": end.row,
        "startColumn": start.column,
        "startLine": start.row,
    }


def _fix(fix: Fix, uri: str) -> JSON:
    replacements: list[JSON] = []
    for edit in fix.edits:
        replacement: JSON = {"deletedRegion": _region(edit.start, edit.end)}
        if edit.content:
            replacement["insertedContent"] = {"text": edit.content}
        replacements.append(replacement)
    return {
        "artifactChanges": [{"artifactLocation": {"uri": uri}, "replacements": replacements}],
        "description": {"text": fix.message},
    }


def _result(finding: Finding, cwd: Path, prints: Fingerprints) -> JSON:
    uri = _uri(finding.path, cwd)
    result: JSON = {
        "level": "error",
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": _region(finding.start, finding.end),
                }
            }
        ],
        "message": {"text": finding.message},
        # What the baseline and GitLab identify a finding by: it survives moved lines.
        # The path in it is relative, so that it does not change with the checkout.
        "partialFingerprints": {
            "layercheck/v1": prints.of(finding, display_path(finding.path, cwd))
        },
        "ruleId": finding.code,
    }
    index = _RULE_INDEX.get(finding.code)
    if index is not None:
        result["ruleIndex"] = index
    if finding.fix is not None:
        result["fixes"] = [_fix(finding.fix, uri)]
    return result


def write(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    prints = Fingerprints(options.sources)
    log = {
        "$schema": SCHEMA,
        "runs": [
            {
                "columnKind": "unicodeCodePoints",
                "results": [ITEMS],
                "tool": {
                    "driver": {
                        "informationUri": INFORMATION_URI,
                        "name": "layercheck",
                        "rules": [_descriptor(rule) for rule in ALL_RULES],
                        "version": __version__,
                    }
                },
            }
        ],
        "version": "2.1.0",
    }
    results = (_result(finding, options.cwd, prints) for finding in findings)
    write_json(log, results, out, sort_keys=True)
