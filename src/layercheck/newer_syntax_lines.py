"""The tree newer_syntax.py (libcst) makes of a file in syntax newer than the running
Python reads, made instead line by line when the newer constructs each sit on one line:
`except A, B:` (PEP 758), type parameters of a `def` or `class` (PEP 695) and `type X =
...` (PEP 695). libcst reads the whole file into a concrete tree and writes it back, many
times the cost of `ast.parse`; a project written for Python 3.14 has such files by the
dozen, and a cold run paid for libcst more than for all its other files.

The result must be the tree libcst's rewrite gives, as the index is built from it:
each rewritten line must be where the tree has such a statement (else the line was in a
string, and libcst decides), and every f-string becomes a plain string spanning the same
lines, as libcst's rewrite makes it (joined to plain strings, their text is kept).
Anything else (a construct over several lines, syntax this does not know) is left to
libcst: None.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Final

_EXCEPT: Final = re.compile(r"^([ \t]*except[ \t]+)([\w.]+(?:[ \t]*,[ \t]*[\w.]+)+)([ \t]*:)")
_GENERIC: Final = re.compile(r"^([ \t]*(?:(?:async[ \t]+)?def|class)[ \t]+\w+)[ \t]*\[")
_ALIAS: Final = re.compile(r"^([ \t]*)type[ \t]+(\w+)[ \t]*(\[)?")
_ASSIGN: Final = re.compile(r"[ \t]*=[ \t]*")
_FUNCTIONS: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _closing(line: str, start: int) -> int:
    """The index just past the `]` that closes the `[` at `start`; -1 when not on this
    line or when a string or comment is in the way."""
    depth = 0
    for index in range(start, len(line)):
        char = line[index]
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
            if depth == 0:
                return index + 1
        elif char in "\"'#":
            return -1
    return -1


def _rewrite(line: str) -> tuple[str, type[ast.AST] | tuple[type[ast.AST], ...]] | None:
    """The line rewritten, and the statement the tree must have on it; None when the
    line holds none of the constructs."""
    found = _EXCEPT.match(line)
    if found is not None:
        head, types, colon = found.groups()
        return f"{head}({types}){colon}{line[found.end() :]}", ast.ExceptHandler
    found = _GENERIC.match(line)
    if found is not None:
        end = _closing(line, found.end() - 1)
        if end < 0:
            return None
        return found.group(1) + line[end:], _FUNCTIONS
    found = _ALIAS.match(line)
    if found is not None:
        rest = found.end()
        if found.group(3) is not None:
            rest = _closing(line, rest - 1)
            if rest < 0:
                return None
        equal = _ASSIGN.match(line, rest)
        if equal is None or line.startswith("=", equal.end()):
            return None
        return f"{found.group(1)}{found.group(2)} = {line[equal.end() :]}", ast.Assign
    return None


def _blanked(text: str) -> str | None:
    """The value libcst's rewrite leaves of this f-string source: each f-string literal
    a plain string of its line breaks, the plain literals joined to it as they are;
    None when the source is more than string literals."""
    try:
        # In parentheses, as in the file: its later lines are no indentation.
        tokens = list(tokenize.generate_tokens(io.StringIO(f"({text})").readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    skipped = (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.COMMENT)
    significant = [token for token in tokens if token.type not in skipped]
    if len(significant) < 3 or [significant[0].string, significant[-1].string] != ["(", ")"]:
        return None
    parts: list[str] = []
    for token in significant[1:-1]:
        literal = token.string
        if token.type != tokenize.STRING:
            return None
        prefix = literal[: len(literal) - len(literal.lstrip("bBrRuUfF"))]
        if "f" in prefix.lower():
            parts.append("\n" * literal.count("\n"))
            continue
        try:
            value = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            return None
        if not isinstance(value, str):
            return None
        parts.append(value)
    return "".join(parts)


class _Blank(ast.NodeTransformer):
    """Every f-string a plain string of its line breaks; False in `ok` when one cannot
    be told from libcst's rewrite."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.ok = True

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        end_line, end_col = node.end_lineno, node.end_col_offset
        if end_line is None or end_col is None:
            self.ok = False
            return node
        # Columns count UTF-8 bytes.
        first = self.lines[node.lineno - 1].encode()
        if end_line == node.lineno:
            text = first[node.col_offset : end_col].decode(errors="replace")
        else:
            text = "\n".join(
                [
                    first[node.col_offset :].decode(errors="replace"),
                    *self.lines[node.lineno : end_line - 1],
                    self.lines[end_line - 1].encode()[:end_col].decode(errors="replace"),
                ]
            )
        value = _blanked(text)
        if value is None:
            self.ok = False
            return node
        return ast.copy_location(ast.Constant(value), node)


def downgraded_lines(text: str, filename: str) -> ast.Module | None:
    """The tree libcst's rewrite would give, made line by line; None when this cannot
    tell (see the module's docstring)."""
    lines = text.split("\n")
    expected: dict[int, type[ast.AST] | tuple[type[ast.AST], ...]] = {}
    for number, line in enumerate(lines):
        if "except" not in line and "[" not in line and "type" not in line:
            continue
        rewritten = _rewrite(line)
        if rewritten is not None:
            lines[number], expected[number + 1] = rewritten
    if not expected:
        return None
    try:
        tree = ast.parse("\n".join(lines), filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    seen = set()
    for node in ast.walk(tree):
        kind = expected.get(getattr(node, "lineno", 0))
        if kind is not None and isinstance(node, kind):
            seen.add(node.lineno)  # type: ignore[attr-defined]
    if len(seen) != len(expected):
        return None
    blank = _Blank(lines)
    tree = blank.visit(tree)
    return tree if blank.ok and isinstance(tree, ast.Module) else None
