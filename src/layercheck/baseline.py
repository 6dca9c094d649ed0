"""The baseline: today's findings, recorded so that CI fails only on new ones while the
debt is paid down. An entry is a finding's code, file and fingerprint (see
`layercheck.fingerprint`); the file is sorted JSON, so that a review shows what changed."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from layercheck.fingerprint import Fingerprints
from layercheck.model import Finding

FORMAT: Final = 1
_KIND: Final = "layercheck-baseline"
_FIELDS: Final = ("code", "path", "scope", "fingerprint", "message")


class BaselineError(Exception):
    """A baseline file that cannot be read; the message names it and says why."""


@dataclass(frozen=True, slots=True, order=True)
class Entry:
    path: str
    """Relative to the baseline file's folder, with `/`."""
    code: str
    scope: str
    fingerprint: str
    message: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.path, self.code, self.fingerprint


@dataclass
class Applied:
    findings: list[Finding]
    """The findings the baseline does not record: the new ones."""
    hidden: int
    stale: list[Entry] = field(default_factory=list)
    """Entries of the checked files that matched no finding: debt paid."""


def _relative(path: Path, folder: Path) -> str:
    try:
        return Path(os.path.relpath(path.absolute(), folder.absolute())).as_posix()
    except ValueError:  # another drive on Windows
        return path.absolute().as_posix()


def entries(
    findings: Iterable[Finding], sources: Mapping[Path, Sequence[str]], folder: Path
) -> list[Entry]:
    prints = Fingerprints(sources)
    found: list[Entry] = []
    for finding in findings:
        path = _relative(finding.path, folder)
        code, _, scope, _ = prints.key(finding, path)
        found.append(Entry(path, code, scope, prints.of(finding, path), finding.message))
    return sorted(found)


def dumps(found: Sequence[Entry]) -> str:
    document = {
        _KIND: FORMAT,
        "findings": [{name: getattr(entry, name) for name in _FIELDS} for entry in sorted(found)],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(target: Path, findings: Iterable[Finding], sources: Mapping[Path, Sequence[str]]) -> int:
    found = entries(findings, sources, target.parent)
    try:
        target.write_text(dumps(found), encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{target}: cannot write the baseline: {exc.strerror}") from None
    return len(found)


def load(source: Path) -> list[Entry]:
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{source}: cannot read the baseline: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{source}: not a layercheck baseline: {exc}") from None
    if not isinstance(document, dict) or document.get(_KIND) != FORMAT:
        raise BaselineError(f"{source}: not a layercheck baseline (no `{_KIND}: {FORMAT}`)")
    rows = document.get("findings")
    if not isinstance(rows, list):
        raise BaselineError(f"{source}: not a layercheck baseline (no `findings` list)")
    found: list[Entry] = []
    for number, row in enumerate(rows):
        if not isinstance(row, dict) or not all(isinstance(row.get(n), str) for n in _FIELDS):
            fields = ", ".join(_FIELDS)
            raise BaselineError(f"{source}: entry {number} needs the strings {fields}")
        found.append(Entry(**{name: row[name] for name in _FIELDS}))
    return found


def apply(
    recorded: Sequence[Entry],
    findings: Sequence[Finding],
    sources: Mapping[Path, Sequence[str]],
    folder: Path,
    checked: Collection[Path],
) -> Applied:
    """Hide each finding an entry records (one finding per entry); the entries left over
    for files that were checked are stale."""
    prints = Fingerprints(sources)
    left = Counter(entry.key for entry in recorded)
    new: list[Finding] = []
    hidden = 0
    for finding in findings:
        path = _relative(finding.path, folder)
        key = (path, finding.code, prints.of(finding, path))
        if left[key] > 0:
            left[key] -= 1
            hidden += 1
        else:
            new.append(finding)
    shown = {_relative(path, folder) for path in checked}
    stale: list[Entry] = []
    for entry in sorted(recorded):
        if entry.path in shown and left[entry.key] > 0:
            left[entry.key] -= 1
            stale.append(entry)
    return Applied(new, hidden, stale)
