"""`# noqa` comments and file-level `# layercheck: noqa` directives."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass
from typing import Final

# ruff / flake8 syntax: a bare noqa, "noqa: A1, B2", "noqa:A1 B2"; other tools' codes pass.
_LINE_RE: Final = re.compile(
    r"#\s*noqa(?::[\s]*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)
_FILE_RE: Final = re.compile(
    r"^#\s*layercheck\s*:\s*noqa(?:\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?\s*$",
    re.IGNORECASE,
)
_CODE_RE: Final = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)
ALL: Final = frozenset({"*"})


def _codes(group: str | None) -> frozenset[str]:
    if not group:
        return ALL
    return frozenset(code.upper() for code in _CODE_RE.findall(group))


def _comments(text: str) -> dict[int, str]:
    """Real comments by line; strings that look like comments do not count."""
    found: dict[int, str] = {}
    try:
        # Universal newlines, so that a lone `\r` ends a row here as it does for ast.
        for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if token.type == tokenize.COMMENT:
                found[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


@dataclass(frozen=True, slots=True)
class NoqaMap:
    by_line: dict[int, frozenset[str]]
    file_codes: frozenset[str] | None

    def suppresses(self, code: str, row: int | None) -> bool:
        if self.file_codes is not None and _covered(code, self.file_codes):
            return True
        if row is None:
            return False
        codes = self.by_line.get(row)
        return codes is not None and _covered(code, codes)


def _covered(code: str, codes: frozenset[str]) -> bool:
    return codes is ALL or code in codes or any(code.startswith(c) for c in codes)


def parse_noqa(text: str) -> NoqaMap:
    """Only called for files with findings, and only tokenizes when `noqa` appears."""
    if "noqa" not in text.lower():
        return NoqaMap({}, None)
    by_line: dict[int, frozenset[str]] = {}
    file_codes: set[str] | None = None
    for row, comment in _comments(text).items():
        file_match = _FILE_RE.match(comment)
        if file_match is not None:
            codes = _codes(file_match.group("codes"))
            if codes is ALL:
                file_codes = set(ALL)
            elif file_codes is None or "*" not in file_codes:
                file_codes = (file_codes or set()) | codes
            continue
        line_match = _LINE_RE.search(comment)
        if line_match is not None:
            by_line[row] = _codes(line_match.group("codes"))
    frozen = None
    if file_codes is not None:
        frozen = ALL if "*" in file_codes else frozenset(file_codes)
    return NoqaMap(by_line, frozen)
