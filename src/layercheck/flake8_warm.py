"""The flake8 plugin's view of the warm record (warm_record.py): each file's findings as
flake8 prints them. Like the record, this module imports nothing but the standard
library, so that flake8's start stays as cheap as the lookup."""

from __future__ import annotations

from pathlib import Path

from layercheck.warm_record import FOLDER_NAME, Warm, forget, lookup, record_file

__all__ = ["FOLDER_NAME", "Printed", "findings", "forget", "lookup", "ticket_file"]

Printed = tuple[int, int, str]
"""(row, 0-based column, "CODE message"): one finding as the plugin yields it."""

_FLAKE8_REPORTS = frozenset({"LC001", "LC002"})
"""flake8 reports a file it cannot decode or parse itself (E902/E999): a file with these
is one flake8 parsed after all (another target version), to be checked on flake8's
tree."""


def ticket_file(root: Path) -> Path:
    return record_file(root)


def findings(warm: Warm, path: str) -> list[Printed] | None:
    """The file's findings as flake8 prints them (flake8 adds 1 to the column); None for a
    file the record does not answer for."""
    kept = warm.findings(path)
    if kept is None or any(item[0] in _FLAKE8_REPORTS for item in kept):
        return None
    return [(item[2], item[3] - 1, f"{item[0]} {item[1]}") for item in kept]
