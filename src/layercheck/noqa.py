"""`# noqa` comments and file-level `# layercheck: noqa` directives: where they are, what
they name, and which row a finding's noqa comment belongs on."""

from __future__ import annotations

import io
import re
import tokenize
from collections import deque
from dataclasses import dataclass, field
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
_EOL_RE: Final = re.compile(r"\r\n|\r|\n")
_NOQA_RE: Final = re.compile("noqa", re.IGNORECASE)
ALL: Final = frozenset({"*"})


def _codes(group: str | None) -> frozenset[str]:
    if not group:
        return ALL
    return frozenset(code.upper() for code in _CODE_RE.findall(group))


@dataclass(frozen=True, slots=True)
class Comment:
    row: int
    column: int
    """0-based, in characters, where `#` is."""
    text: str


@dataclass(frozen=True, slots=True)
class Directive:
    """One noqa comment (or file-level directive) as written."""

    row: int
    comment: Comment
    codes: tuple[str, ...] | None
    """Upper-cased, in the order written; None for a blanket noqa."""
    start: int
    """Where the directive starts inside the comment text (a `# noqa` may follow another
    tool's comment: `# type: ignore  # noqa: LC201`)."""
    codes_start: int
    codes_end: int
    """Where the codes are inside the comment text (both at the directive's end when
    there are none)."""
    end: int
    file_level: bool = False

    def names(self, code: str) -> str | None:
        """The code as written that covers `code` (itself or a prefix), "*" for a blanket
        directive, None when it does not cover `code`."""
        if self.codes is None:
            return "*"
        for written in self.codes:
            if code == written or code.startswith(written):
                return written
        return None


@dataclass(frozen=True, slots=True)
class Scan:
    """A file's comments, and the rows a comment cannot end: those that end inside a
    string or with a backslash continuation, mapped to the row where a comment for them
    belongs (where the string or the continued line ends)."""

    comments: dict[int, Comment] = field(default_factory=dict)
    moved: dict[int, int] = field(default_factory=dict)

    def comment_row(self, row: int) -> int:
        return follow(self.moved, row)


def scan(text: str) -> Scan:
    """Real comments by line (strings that look like comments do not count), and the rows
    that cannot take one."""
    result = Scan()
    starts: list[int] = []
    try:
        # Universal newlines, so that a lone `\r` ends a row here as it does for ast.
        for token in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            name = tokenize.tok_name[token.type]
            if token.type == tokenize.COMMENT:
                row, column = token.start
                result.comments[row] = Comment(row, column, token.string)
            elif name.endswith("STRING_START"):  # f-strings (3.12+), t-strings (3.14+)
                starts.append(token.start[0])
            elif name.endswith("STRING_END") and starts:
                _move(result.moved, starts.pop(), token.end[0])
            elif token.type == tokenize.STRING and token.end[0] > token.start[0]:
                _move(result.moved, token.start[0], token.end[0])
    except (tokenize.TokenError, SyntaxError):
        pass
    for row, line in enumerate(_EOL_RE.split(text), start=1):
        if line.endswith("\\") and row not in result.moved and row not in result.comments:
            result.moved[row] = row + 1
    return result


def follow(moved: dict[int, int], row: int) -> int:
    """The row a chain of moves ends on (each move goes down, so the chain ends)."""
    while row in moved:
        row = moved[row]
    return row


def _move(moved: dict[int, int], first: int, last: int) -> None:
    for row in range(first, last):
        moved.setdefault(row, last)


def directive(comment: Comment) -> Directive | None:
    """The noqa directive in a comment, if it holds one."""
    file_match = _FILE_RE.match(comment.text)
    match = file_match or _LINE_RE.search(comment.text)
    if match is None:
        return None
    group = match.group("codes")
    codes = tuple(code.upper() for code in _CODE_RE.findall(group)) if group else None
    codes_start, codes_end = match.span("codes") if group else (match.end(), match.end())
    return Directive(
        row=comment.row,
        comment=comment,
        codes=codes,
        start=match.start(),
        codes_start=codes_start,
        codes_end=codes_end,
        end=match.end(),
        file_level=file_match is not None,
    )


@dataclass(frozen=True, slots=True)
class NoqaMap:
    by_line: dict[int, frozenset[str]]
    file_codes: frozenset[str] | None
    directives: dict[int, Directive] = field(default_factory=dict)
    """Line directives by row."""
    file_directives: tuple[Directive, ...] = ()
    moved: dict[int, int] = field(default_factory=dict)
    """Rows that cannot end with a comment -> the row whose comment covers them."""

    def target(self, row: int) -> int:
        return follow(self.moved, row)

    def suppresses(self, code: str, row: int | None) -> bool:
        return self.used_by(code, row) is not None

    def used_by(self, code: str, row: int | None) -> tuple[Directive, str] | None:
        """The directive that silences `code` at `row`, with the code as written in it
        that does; a file-level directive wins over a line's."""
        for found in self.file_directives:
            written = found.names(code)
            if written is not None:
                return found, written
        if row is None:
            return None
        line = self.directives.get(self.target(row))
        if line is not None:
            written = line.names(code)
            if written is not None:
                return line, written
        return None


def _through_last_noqa(text: str) -> str:
    """The text up to the end of the last line where `noqa` appears, "" when it does not.
    No directive lies below, and every row below maps to a row below (a string or a
    continued line ends further down), where no directive can cover it: the rest need not
    be tokenized. A string open at the cut was open on the last such line, which then
    holds no comment either."""
    found = deque(_NOQA_RE.finditer(text), maxlen=1)
    if not found:
        return ""
    end = _EOL_RE.search(text, found[0].end())
    return text[: end.end()] if end is not None else text


def parse_noqa(text: str) -> NoqaMap:
    """Only called for files with findings (or unused noqa checks), and only tokenizes
    when `noqa` appears, up to the last line where it does."""
    head = _through_last_noqa(text)
    if not head:
        return NoqaMap({}, None)
    found = scan(head)
    by_line: dict[int, frozenset[str]] = {}
    directives: dict[int, Directive] = {}
    file_directives: list[Directive] = []
    file_codes: set[str] | None = None
    for row, comment in found.comments.items():
        parsed = directive(comment)
        if parsed is None:
            continue
        codes = ALL if parsed.codes is None else frozenset(parsed.codes)
        if parsed.file_level:
            file_directives.append(parsed)
            if codes is ALL:
                file_codes = set(ALL)
            elif file_codes is None or "*" not in file_codes:
                file_codes = (file_codes or set()) | codes
            continue
        by_line[row] = codes
        directives[row] = parsed
    frozen = None
    if file_codes is not None:
        frozen = ALL if "*" in file_codes else frozenset(file_codes)
    return NoqaMap(by_line, frozen, directives, tuple(file_directives), found.moved)
