"""How a rule spells its fix: edits computed from stdlib-ast positions and the source text,
so that reporting a fix (the JSON `fix` field, `--show-fixes`) costs no second parser.
Applying fixes is the `fixes` package's job.

Edits write `\\n` for a line break; the file's own line ending replaces it when the fix is
applied."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Protocol

from layercheck.model import Applicability, Edit, Fix, Location
from layercheck.names import ImportTable
from layercheck.source import LineIndex


class FileView(Protocol):
    """What the helpers read of the file under the walk (a `RuleContext` is one)."""

    @property
    def names(self) -> ImportTable: ...

    @property
    def lines(self) -> LineIndex: ...

    @property
    def ancestors(self) -> list[ast.AST]: ...


def safe(message: str, *edits: Edit) -> Fix:
    return Fix(Applicability.SAFE, message, tuple(edits))


def unsafe(message: str, *edits: Edit) -> Fix:
    return Fix(Applicability.UNSAFE, message, tuple(edits))


def replace(view: FileView, node: ast.AST, content: str) -> Edit:
    start, end = view.lines.span(node)
    return Edit(start, end, content)


def rename_attribute(view: FileView, node: ast.Attribute, new: str) -> Edit:
    """`x.old` -> `x.new`: the attribute name ends the node."""
    end = end_of(view, node)
    return Edit(Location(end.row, end.column - len(node.attr)), end, new)


def insert(at: Location, content: str) -> Edit:
    return Edit(at, at, content)


def start_of(view: FileView, node: ast.AST) -> Location:
    return view.lines.span(node)[0]


def end_of(view: FileView, node: ast.AST) -> Location:
    return view.lines.span(node)[1]


def text(view: FileView, node: ast.AST) -> str:
    """The node's source, as written."""
    start, end = view.lines.span(node)
    return text_between(view.lines, start, end)


def text_between(lines: LineIndex, start: Location, end: Location) -> str:
    if start.row == end.row:
        return lines.line(start.row)[start.column - 1 : end.column - 1]
    parts = [lines.line(start.row)[start.column - 1 :]]
    parts.extend(lines.line(row) for row in range(start.row + 1, end.row))
    parts.append(lines.line(end.row)[: end.column - 1])
    return "\n".join(parts)


def has_comment(view: FileView, node: ast.AST) -> bool:
    """True when a comment sits inside the node's lines: a fix that rewrites the node as a
    whole would drop it."""
    import io
    import tokenize

    source = text(view, node)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return True
    return any(token.type == tokenize.COMMENT for token in tokens)


def indent_of(view: FileView, row: int) -> str:
    line = view.lines.line(row)
    return line[: len(line) - len(line.lstrip())]


def module_tree(view: FileView) -> ast.Module | None:
    first = view.ancestors[0] if view.ancestors else None
    return first if isinstance(first, ast.Module) else None


def ensure_import(view: FileView, module: str, name: str) -> tuple[Edit, ...] | None:
    """The edits that make `name` (from `module`) usable at the node under the walk: none
    when it already is, one merging it into a top-level `from module import ...` or
    adding that line after the top-level imports; None when `name` means something else
    there (a fix must not change what a name refers to)."""
    wanted = f"{module}.{name}"
    found = view.names.lookup(name)
    if found == wanted:
        return ()
    if found is not None or _bound_anywhere(view, name):
        return None
    tree = module_tree(view)
    if tree is None:
        return None
    existing = _from_import(tree, module)
    if existing is not None:
        return (_merge(view, existing, name),)
    at = _import_position(view, tree)
    line = f"from {module} import {name}"
    return (insert(at, f"{line}\n" if at.column == 1 else f"\n{line}"),)


def _bound_anywhere(view: FileView, name: str) -> bool:
    """A binding of `name` the table does not know at this node (later in an enclosing
    function, or at module level) would clash with a new import."""
    tree = module_tree(view)
    if tree is None:
        return True
    scopes: list[ast.AST] = [
        node for node in view.ancestors if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    if any(_binds(scope, name, nested=True) for scope in scopes):
        return True
    return _binds(tree, name, nested=False)


def _binds(scope: ast.AST, name: str, *, nested: bool) -> bool:
    """`nested`: look inside nested functions and classes too (a cheap over-estimate)."""
    pending: list[ast.AST] = list(ast.iter_child_nodes(scope))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, ast.alias) and (node.asname or node.name).partition(".")[0] == name:
            return True
        if isinstance(node, ast.arg) and node.arg == name:
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == name:
                return True
            if not nested:
                continue
        pending.extend(ast.iter_child_nodes(node))
    return False


def _from_import(tree: ast.Module, module: str) -> ast.ImportFrom | None:
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.ImportFrom)
            and stmt.module == module
            and stmt.level == 0
            and all(alias.name != "*" for alias in stmt.names)
        ):
            return stmt
    return None


def _merge(view: FileView, stmt: ast.ImportFrom, name: str) -> Edit:
    last = stmt.names[-1]
    end = end_of(view, last)
    rest = view.lines.line(end.row)[end.column - 1 :]
    if rest.lstrip().startswith(","):
        after = Location(end.row, end.column + len(rest) - len(rest.lstrip()) + 1)
        if stmt.end_lineno is not None and stmt.end_lineno > end.row:
            return insert(after, f"\n{indent_of(view, end.row)}{name},")
        return insert(after, f" {name},")
    return insert(end, f", {name}")


def _import_position(view: FileView, tree: ast.Module) -> Location:
    """The start of the line after the leading imports (after the docstring when there
    are none)."""
    anchor: ast.stmt | None = None
    for number, stmt in enumerate(tree.body):
        docstring = (
            number == 0
            and isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        )
        if docstring or isinstance(stmt, ast.Import | ast.ImportFrom):
            anchor = stmt
            continue
        break
    if anchor is None or anchor.end_lineno is None:
        return Location(1, 1)
    row = anchor.end_lineno + 1
    if row > len(view.lines.lines):
        # The anchor ends the file without a line break: the edit starts with one.
        last = view.lines.line(anchor.end_lineno)
        return Location(anchor.end_lineno, len(last) + 1)
    return Location(row, 1)


def keyword_insertion(view: FileView, call: ast.Call, content: str) -> Edit:
    """An edit adding `content` (`name=value`) as the call's last argument."""
    arguments: Sequence[ast.AST] = [*call.args, *call.keywords]
    end = end_of(view, call)
    closing = Location(end.row, end.column - 1)
    if not arguments:
        return insert(closing, content)
    last_end = max((end_of(view, arg) for arg in arguments), key=lambda loc: (loc.row, loc.column))
    between = text_between(view.lines, last_end, closing)
    if between.strip().startswith(","):
        comma = between.index(",")
        tail = between[comma + 1 :]
        if "\n" in tail:
            # A trailing comma on its own line layout: one argument per line.
            row = last_end.row
            return insert(
                _advance(last_end, between[: comma + 1]),
                f"\n{indent_of(view, row)}{content},",
            )
        return insert(_advance(last_end, between[: comma + 1]), f" {content},")
    return insert(last_end, f", {content}")


def _advance(start: Location, passed: str) -> Location:
    """The location after `passed`, text that starts at `start`."""
    newlines = passed.count("\n")
    if newlines == 0:
        return Location(start.row, start.column + len(passed))
    return Location(start.row + newlines, len(passed.rsplit("\n", 1)[1]) + 1)
