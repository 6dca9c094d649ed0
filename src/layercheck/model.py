"""Plain data that crosses module boundaries: positions, edits, fixes, findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class Applicability(enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, slots=True, order=True)
class Location:
    row: int
    """1-based line."""
    column: int
    """1-based column, counted in characters (not UTF-8 bytes as ast does)."""


@dataclass(frozen=True, slots=True)
class Edit:
    start: Location
    end: Location
    content: str


@dataclass(frozen=True, slots=True)
class Fix:
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True, slots=True)
class ChainLink:
    importer: str
    imported: str
    line: int


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    path: Path
    start: Location
    end: Location
    fix: Fix | None = None
    noqa_row: int | None = None
    chain: tuple[ChainLink, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str]:
        return (str(self.path), self.start.row, self.start.column, self.code)


# Where an internal error (a bug in layercheck, exit code 2) should be reported.
REPORT_AT = "the layercheck issue tracker"


def internal_error(what: str, exc: BaseException) -> str:
    """One line for an unexpected exception: what failed, why, and where to report it."""
    reason = repr(exc).replace("\n", " ")
    return f"internal error in {what}: {reason}; please report it at {REPORT_AT}"
