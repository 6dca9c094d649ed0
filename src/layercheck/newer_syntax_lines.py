"""The tree newer_syntax.py (libcst) makes of a file in syntax newer than the running
Python reads, made instead line by line when the newer constructs each sit on one line:
`except A, B:` (PEP 758), type parameters of a `def` or `class` (PEP 695; these may also
close on a line below, whose lines libcst's rewrite drops with them) and `type X = ...`
(PEP 695). libcst reads the whole file into a concrete tree and writes it back, many
times the cost of `ast.parse`; a project written for Python 3.14 has such files by the
dozen, and a cold run paid for libcst more than for all its other files.

The result must be the tree libcst's rewrite gives, as the index is built from it:
each rewritten line must be where the tree has such a statement (else the line was in a
string, and libcst decides), and every f-string becomes a plain string spanning the same
lines, as libcst's rewrite makes it (joined to plain strings, their text is kept).
Anything else (another construct over several lines, syntax this does not know) is left to
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


# Where an f-string may start: its prefix and quote share a line. Other matches (`elif"`,
# text in a string) only make the search below look closer.
_FSTRING_START: Final = re.compile(r"[fF][rR]?[\"']|[rR][fF][\"']")
# The fields that hold statements (or handlers, or match cases, which hold statements).
_BODIES: Final = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements_seen(
    tree: ast.Module, expected: dict[int, type[ast.AST] | tuple[type[ast.AST], ...]]
) -> int:
    """How many of the expected lines hold a statement of the expected kind. Every kind
    expected is a statement or a handler: no expression needs a look."""
    seen = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        kind = expected.get(getattr(node, "lineno", 0))
        if kind is not None and isinstance(node, kind):
            seen.add(node.lineno)  # type: ignore[attr-defined]
        for field_name in _BODIES:
            children = getattr(node, field_name, None)
            if type(children) is list:
                stack.extend(children)
    return len(seen)


def _blanked_in(node: ast.AST, lines: list[str]) -> ast.AST | None:
    """The f-string `node` as libcst's rewrite leaves it, None when that cannot be told."""
    end_line, end_col = node.end_lineno, node.end_col_offset  # type: ignore[attr-defined]
    start_line: int = node.lineno  # type: ignore[attr-defined]
    if end_line is None or end_col is None:
        return None
    # Columns count UTF-8 bytes.
    first = lines[start_line - 1].encode()
    col: int = node.col_offset  # type: ignore[attr-defined]
    if end_line == start_line:
        text = first[col:end_col].decode(errors="replace")
    else:
        text = "\n".join(
            [
                first[col:].decode(errors="replace"),
                *lines[start_line : end_line - 1],
                lines[end_line - 1].encode()[:end_col].decode(errors="replace"),
            ]
        )
    value = _blanked(text)
    if value is None:
        return None
    return ast.copy_location(ast.Constant(value), node)


def _blank(tree: ast.Module, lines: list[str]) -> bool:
    """Every f-string of the tree made a plain string of its line breaks, in place; False
    when one cannot be told from libcst's rewrite. Only the nodes whose lines hold the
    start of an f-string are looked into: an f-string lies within its parent's lines."""
    marked = {number for number, line in enumerate(lines, 1) if _FSTRING_START.search(line)}
    if not marked:
        return True
    if "\r" in "".join(lines):
        # A lone carriage return ends a line for the parser, not for `lines`: look everywhere.
        marked = set(range(1, 2 + sum(line.count("\r") + 1 for line in lines)))
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        for field_name in node._fields:
            value = getattr(node, field_name, None)
            if type(value) is list:
                for position, child in enumerate(value):
                    if isinstance(child, ast.AST):
                        replaced = _visited(child, lines, marked, stack)
                        if replaced is None:
                            return False
                        value[position] = replaced
            elif isinstance(value, ast.AST):
                replaced = _visited(value, lines, marked, stack)
                if replaced is None:
                    return False
                setattr(node, field_name, replaced)
    return True


def _visited(
    node: ast.AST, lines: list[str], marked: set[int], stack: list[ast.AST]
) -> ast.AST | None:
    """`node` itself, or its plain string when it is an f-string (None when that cannot be
    told); a node that may hold an f-string goes on the stack."""
    if type(node) is ast.JoinedStr:
        return _blanked_in(node, lines)
    start = getattr(node, "lineno", None)
    if start is None:
        stack.append(node)  # no position (arguments, comprehension, ...): look inside
        return node
    end = getattr(node, "end_lineno", None) or start
    if end - start < 8:
        if any(number in marked for number in range(start, end + 1)):
            stack.append(node)
    elif any(start <= number <= end for number in marked):
        stack.append(node)
    return node


def _closing_below(lines: list[str], number: int, start: int) -> tuple[int, int] | None:
    """Where the `]` that closes the `[` at `start` of line `number` is, over the lines
    below (line, index just past it); None when a string is in the way or it never closes.
    A comment inside the brackets goes with them, as in libcst's rewrite."""
    depth = 0
    column = start
    for row in range(number, len(lines)):
        line = lines[row]
        while column < len(line):
            char = line[column]
            if char in "[(":
                depth += 1
            elif char in "])":
                depth -= 1
                if depth == 0:
                    return row, column + 1
            elif char in "\"'":
                return None
            elif char == "#":
                break
            column += 1
        column = 0
    return None


def _type_parameters_below(lines: list[str], number: int) -> tuple[str, int] | None:
    """A `def` or `class` line whose type parameters close on a line below: the line
    without them, and the number of that closing line; None for anything else."""
    found = _GENERIC.match(lines[number])
    if found is None:
        return None
    closing = _closing_below(lines, number, found.end() - 1)
    if closing is None or closing[0] == number:
        return None
    row, end = closing
    return found.group(1) + lines[row][end:], row


def downgraded_lines(text: str, filename: str) -> ast.Module | None:
    """The tree libcst's rewrite would give, made line by line; None when this cannot
    tell (see the module's docstring)."""
    source = text.split("\n")
    lines: list[str] = []
    expected: dict[int, type[ast.AST] | tuple[type[ast.AST], ...]] = {}
    number = 0
    while number < len(source):
        line = source[number]
        number += 1
        if "except" not in line and "[" not in line and "type" not in line:
            lines.append(line)
            continue
        rewritten = _rewrite(line)
        if rewritten is None and "[" in line:
            # Type parameters over several lines: libcst's rewrite drops their lines too.
            joined = _type_parameters_below(source, number - 1)
            if joined is not None:
                rewritten = joined[0], _FUNCTIONS
                number = joined[1] + 1
        if rewritten is None:
            lines.append(line)
            continue
        lines.append(rewritten[0])
        expected[len(lines)] = rewritten[1]
    if not expected:
        return None
    try:
        tree = ast.parse("\n".join(lines), filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if _statements_seen(tree, expected) != len(expected):
        return None
    return tree if _blank(tree, lines) else None
