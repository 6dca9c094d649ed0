"""Fixes onto text, one pass: the edits of the fixes that fit together, applied at once.

A fix whose edits overlap an edit already taken in this pass waits for the next pass (it
is computed again from the new text by then); an edit identical to one taken (two fixes
adding the same import) is applied once."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from layercheck.model import Edit, Finding, Fix, Location

_EOL_RE = re.compile(r"\r\n|\r|\n")


def line_ending(text: str) -> str:
    """The file's line ending: that of its first line, LF for a file of one line."""
    found = _EOL_RE.search(text)
    return found.group(0) if found else "\n"


@dataclass
class Pass:
    text: str
    applied: list[Finding] = field(default_factory=list)
    deferred: list[Finding] = field(default_factory=list)


class Offsets:
    """1-based (row, character column) -> offset into the text."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        for match in _EOL_RE.finditer(text):
            self.starts.append(match.end())
        self.size = len(text)

    def __call__(self, at: Location) -> int:
        if at.row - 1 >= len(self.starts):
            return self.size
        return min(self.starts[at.row - 1] + at.column - 1, self.size)


def _first(fix: Fix) -> tuple[int, int]:
    first = min(fix.edits, key=lambda edit: (edit.start.row, edit.start.column))
    return first.start.row, first.start.column


def _overlaps(spans: Iterable[tuple[int, int]], start: int, end: int) -> bool:
    for taken_start, taken_end in spans:
        if start == end or taken_start == taken_end:
            # An insertion conflicts only with a replacement around it.
            if taken_start < start < taken_end or start < taken_start < end:
                return True
        elif start < taken_end and taken_start < end:
            return True
    return False


def apply_pass(text: str, findings: Sequence[Finding]) -> Pass:
    """Apply the fixes of `findings` (all of them applicable) that do not overlap."""
    offsets = Offsets(text)
    eol = line_ending(text)
    result = Pass(text)
    taken: dict[Edit, tuple[int, int]] = {}
    order: list[Edit] = []
    ranked = sorted(
        (finding for finding in findings if finding.fix is not None and finding.fix.edits),
        key=lambda finding: (*_first(finding.fix), finding.code),  # type: ignore[arg-type]
    )
    for finding in ranked:
        assert finding.fix is not None
        new = [edit for edit in finding.fix.edits if edit not in taken]
        spans = [(offsets(edit.start), offsets(edit.end)) for edit in new]
        if any(_overlaps(taken.values(), start, end) for start, end in spans) or any(
            _overlaps(spans[:number], *span) for number, span in enumerate(spans)
        ):
            result.deferred.append(finding)
            continue
        for edit, span in zip(new, spans, strict=True):
            taken[edit] = span
            order.append(edit)
        result.applied.append(finding)
    # Back to front, so that earlier offsets stay valid; insertions at one place keep the
    # order they were taken in.
    rank = {edit: number for number, edit in enumerate(order)}
    pieces: list[str] = []
    cursor = len(text)
    for edit in sorted(order, key=lambda edit: (taken[edit][0], taken[edit][1], rank[edit]))[::-1]:
        start, end = taken[edit]
        pieces.append(text[end:cursor])
        pieces.append(edit.content.replace("\n", eol) if eol != "\n" else edit.content)
        cursor = start
    pieces.append(text[:cursor])
    result.text = "".join(reversed(pieces))
    return result


def splice(text: str, edit: Edit) -> str:
    """`text` with one edit applied (its line breaks those of the text)."""
    offsets = Offsets(text)
    eol = line_ending(text)
    content = edit.content.replace("\n", eol) if eol != "\n" else edit.content
    return text[: offsets(edit.start)] + content + text[offsets(edit.end) :]
