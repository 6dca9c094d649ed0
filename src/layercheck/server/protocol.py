"""Findings and fixes in the Language Server Protocol's terms: 0-based lines, columns in
UTF-16 code units (the protocol's default encoding), one text edit per change."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final

from lsprotocol import types

import layercheck
from layercheck.model import Finding, Location
from layercheck.source import split_lines

SOURCE: Final = "layercheck"
ERRORS: Final = frozenset({"LC000", "LC001", "LC002"})
"""A file that cannot be read or parsed, or a bug: errors; every rule's finding is a
warning, as ruff's server shows them."""
FIX_ALL: Final = "source.fixAll.layercheck"

_PACKAGE = Path(layercheck.__file__).parent
_DOCS: Final = (_PACKAGE / "_docs" / "rules", _PACKAGE.parents[1] / "docs" / "rules")
"""A rule's page: in the wheel, or in a checkout (an editable install)."""


def docs_uri(code: str) -> str | None:
    for folder in _DOCS:
        page = folder / f"{code}.md"
        if page.is_file():
            return page.as_uri()
    return None


class Lines:
    """A text's lines, to turn our positions (1-based, in characters) into the
    protocol's and back."""

    def __init__(self, text: str, encoding: object = "utf-16") -> None:
        self.text = text
        self.lines = list(split_lines(text)) or [""]
        self.width = _WIDTHS.get(str(getattr(encoding, "value", encoding)), _utf16)

    def position(self, at: Location) -> types.Position:
        row = min(max(at.row, 1), len(self.lines))
        line = self.lines[row - 1].rstrip("\r\n")
        head = line[: max(at.column - 1, 0)]
        return types.Position(line=row - 1, character=self.width(head))

    def offset_position(self, offset: int) -> types.Position:
        before = self.text[:offset]
        row = before.count("\n") + before.count("\r") - before.count("\r\n")
        start = max(before.rfind("\n"), before.rfind("\r")) + 1
        return types.Position(line=row, character=self.width(before[start:]))

    def range(self, start: Location, end: Location) -> types.Range:
        return types.Range(self.position(start), self.position(end))


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _utf8(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _utf32(text: str) -> int:
    return len(text)


_WIDTHS: Final[dict[str, Callable[[str], int]]] = {
    types.PositionEncodingKind.Utf16.value: _utf16,
    types.PositionEncodingKind.Utf8.value: _utf8,
    types.PositionEncodingKind.Utf32.value: _utf32,
}


def diagnostic(
    finding: Finding,
    lines: Lines,
    module_paths: Mapping[str, str] | None = None,
    places: Sequence[tuple[Path, int, str]] = (),
) -> types.Diagnostic:
    """The finding as the editor shows it; an import chain (LC104) and other `places`
    (the handler of LC304) as related locations."""
    related: list[types.DiagnosticRelatedInformation] = []
    for place, row, note in places:
        where = types.Position(line=max(row - 1, 0), character=0)
        related.append(
            types.DiagnosticRelatedInformation(
                location=types.Location(place.as_uri(), types.Range(where, where)),
                message=note,
            )
        )
    for link in finding.chain:
        path = (module_paths or {}).get(link.importer)
        if path is None:
            continue
        where = types.Position(line=max(link.line - 1, 0), character=0)
        related.append(
            types.DiagnosticRelatedInformation(
                location=types.Location(Path(path).as_uri(), types.Range(where, where)),
                message=f"`{link.importer}` imports `{link.imported}`",
            )
        )
    href = docs_uri(finding.code)
    return types.Diagnostic(
        range=lines.range(finding.start, finding.end),
        message=finding.message,
        severity=(
            types.DiagnosticSeverity.Error
            if finding.code in ERRORS
            else types.DiagnosticSeverity.Warning
        ),
        code=finding.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
        tags=[types.DiagnosticTag.Unnecessary] if finding.code == "LC003" else None,
        related_information=related or None,
    )


def text_edit(before: str, after: str) -> types.TextEdit | None:
    """One edit that turns `before` into `after`: the span between their common head
    and tail (so the editor keeps the cursor and the marks outside it)."""
    if before == after:
        return None
    head = 0
    limit = min(len(before), len(after))
    while head < limit and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < limit - head and before[len(before) - 1 - tail] == after[len(after) - 1 - tail]:
        tail += 1
    lines = Lines(before)
    return types.TextEdit(
        range=types.Range(lines.offset_position(head), lines.offset_position(len(before) - tail)),
        new_text=after[head : len(after) - tail],
    )


def overlaps(finding: Finding, lines: Lines, wanted: types.Range) -> bool:
    got = lines.range(finding.start, finding.end)
    start = (got.start.line, got.start.character)
    end = (got.end.line, got.end.character)
    return not (
        end < (wanted.start.line, wanted.start.character)
        or start > (wanted.end.line, wanted.end.character)
    )


def workspace_edit(uri: str, version: int | None, edit: types.TextEdit) -> types.WorkspaceEdit:
    document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
    return types.WorkspaceEdit(
        document_changes=[types.TextDocumentEdit(text_document=document, edits=[edit])]
    )


def kinds_wanted(only: Sequence[str] | None, kind: str) -> bool:
    """Whether a code action of `kind` answers a request limited to `only` (a kind
    answers its own prefix: `source.fixAll` asks for `source.fixAll.layercheck`)."""
    if not only:
        return True
    return any(kind == asked or kind.startswith(asked + ".") for asked in only)
