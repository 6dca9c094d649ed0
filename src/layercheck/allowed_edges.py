"""LC004: the `allow-imports` entries that match no import of the project, reported at
their line of the configuration file, as ruff reports a problem of a `pyproject.toml`
(RUF200) and import-linter an unmatched `ignore_imports` entry."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from layercheck.config.allowed_imports import AllowedImport
from layercheck.config.settings import Settings
from layercheck.index import ProjectIndex
from layercheck.model import Finding, Location

CODE: Final = "LC004"
MESSAGE: Final = "allowed import `{entry}` matches no import of the project"
_KEY_RE: Final = re.compile(r"""^\s*["']?allow-imports["']?\s*=""", re.MULTILINE)


def unused_entries(index: ProjectIndex, settings: Settings) -> list[AllowedImport]:
    """The entries no import of the project matches (imports under `if TYPE_CHECKING:`
    and inside functions count: the entry is not dead while such an import exists)."""
    left = list(settings.allow_imports.entries)
    for facts in index.by_path.values():
        if not left or not facts.module:
            continue
        for fact in facts.passing("imports"):
            names = (index.import_module(fact), fact.target, fact.from_module)
            left = [entry for entry in left if not entry.matches(facts.module, names)]
            if not left:
                break
    return left


def _position(text: str, entry: str) -> tuple[Location, Location] | None:
    """Where the entry's string is written, after the `allow-imports` key when there is one;
    None when the file does not hold it (given with `--config KEY=VALUE`)."""
    key = _KEY_RE.search(text)
    start = key.end() if key is not None else 0
    best: int | None = None
    for quote in ('"', "'"):
        found = text.find(f"{quote}{entry}{quote}", start)
        if found >= 0 and (best is None or found < best):
            best = found
    if best is None:
        return None
    row = text.count("\n", 0, best) + 1
    column = best - (text.rfind("\n", 0, best) + 1) + 1
    return Location(row, column), Location(row, column + len(entry) + 2)


def unused_allowed_imports(
    index: ProjectIndex, settings: Settings, config_text: str
) -> Sequence[Finding]:
    """LC004 findings in the configuration file whose text is `config_text` (not yet
    filtered by selection, per-file-ignores or noqa: `suppress` does that)."""
    path = settings.config_path
    if path is None or not settings.allow_imports:
        return []
    found: list[Finding] = []
    for entry in unused_entries(index, settings):
        where = _position(config_text, entry.entry)
        if where is None:
            continue
        found.append(
            Finding(
                code=CODE,
                message=MESSAGE.format(entry=entry.entry),
                path=Path(path),
                start=where[0],
                end=where[1],
                noqa_row=where[0].row,
            )
        )
    return found
