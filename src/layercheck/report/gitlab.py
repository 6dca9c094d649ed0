"""GitLab Code Quality JSON, in ruff's shape (crates/ruff_db/src/diagnostic/render/gitlab.rs).

Each finding is `{check_name, description, severity, fingerprint, location}`, keys in ruff's
order. GitLab shows no `check_name`, so the description is `"LC201: message"`, as ruff
writes it. Paths are relative to `$CI_PROJECT_DIR` when GitLab sets it (the repository
root, which GitLab matches against), else to the working folder, as ruff does.

The fingerprint identifies a finding across pipelines, so GitLab can tell new findings from
fixed ones. Ruff hashes (rule, path) with Rust's `DefaultHasher`, re-hashing on a collision;
its value is neither documented nor stable across Rust versions. Ours is the SHA-256 of the
baseline's key (path, code, enclosing function or class, normalised source of the reported
node: `layercheck.fingerprint`) and an occurrence that counts earlier findings with the same
key: it stays the same when lines move, differs for two findings on different code, and is
unique within a report.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from layercheck.fingerprint import Fingerprints
from layercheck.model import Finding
from layercheck.report._common import display_path
from layercheck.report._json import ITEMS, write_json
from layercheck.report.options import ReportOptions, Write

JSON = dict[str, object]


def _path(path: Path, options: ReportOptions) -> str:
    if options.ci_project_dir is None:
        return display_path(path, options.cwd)
    absolute = os.path.normpath(options.cwd / path)
    try:
        return Path(os.path.relpath(absolute, options.ci_project_dir)).as_posix()
    except ValueError:  # another drive on Windows
        return absolute


def fingerprint(identity: Sequence[str], occurrence: int) -> str:
    key = json.dumps([*identity, occurrence])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _issues(findings: Sequence[Finding], options: ReportOptions) -> Iterator[JSON]:
    seen: Counter[tuple[str, str, str, str]] = Counter()
    prints = Fingerprints(options.sources)
    for finding in findings:
        path = _path(finding.path, options)
        identity = prints.key(finding, path)
        occurrence = seen[identity]
        seen[identity] += 1
        yield {
            "check_name": finding.code,
            "description": f"{finding.code}: {finding.message}",
            "severity": "major",
            "fingerprint": fingerprint(identity, occurrence),
            "location": {
                "path": path,
                "positions": {
                    "begin": {"line": finding.start.row, "column": finding.start.column},
                    "end": {"line": finding.end.row, "column": finding.end.column},
                },
            },
        }


def write(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    write_json([ITEMS], _issues(findings, options), out)
