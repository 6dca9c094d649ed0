"""How a rule spells its fix: edits computed from stdlib-ast positions and the source text,
so that reporting a fix (the JSON `fix` field, `--show-fixes`) costs no second parser.
Applying fixes is the `fixes` package's job.

Edits write `\\n` for a line break; the file's own line ending replaces it when the fix is
applied."""

from __future__ import annotations

import ast
import sys
import weakref
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from layercheck.model import Applicability, Edit, Fix, Location
from layercheck.names import ImportTable
from layercheck.source import LineIndex


class ModuleIndex(Protocol):
    """What the helpers read of the project index: which modules are the project's."""

    def module_of(self, dotted: str) -> str | None: ...


class FileView(Protocol):
    """What the helpers read of the file under the walk (a `RuleContext` is one)."""

    @property
    def names(self) -> ImportTable: ...

    @property
    def lines(self) -> LineIndex: ...

    @property
    def ancestors(self) -> list[ast.AST]: ...

    @property
    def index(self) -> ModuleIndex: ...


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


def preferred_quote(view: FileView) -> str:
    """The quote the module writes its strings with (its first string that is not a
    docstring), `"` when it has none: a new string literal should look like the others."""
    tree = module_tree(view)
    if tree is None:
        return '"'
    # A file with many fixes asks once per fix: one walk per module, not per fix.
    quote = _QUOTES.get(tree)
    if quote is None:
        quote = _QUOTES[tree] = _first_quote(view, tree)
    return quote


_QUOTES: Final[weakref.WeakKeyDictionary[ast.AST, str]] = weakref.WeakKeyDictionary()


def _first_quote(view: FileView, tree: ast.Module) -> str:
    docstrings = {
        id(stmt.value)
        for stmt in ast.walk(tree)
        if isinstance(stmt, ast.Expr) and _is_docstring(stmt)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            start = start_of(view, node)
            first = view.lines.line(start.row)[start.column - 1 :].lstrip("rRbBuUfF")[:1]
            if first in ("'", '"'):
                return first
    return '"'


def opening_comment(view: FileView, node: ast.AST) -> str | None:
    """The comments inside a node that a fix rewriting it whole can keep: "" for none,
    `  # ...` for one comment ending the node's first line (after an opening bracket, a
    rewrite on one line can end with it), None for any other."""
    if not has_comment(view, node):
        return ""
    start, end = view.lines.span(node)
    first = view.lines.line(start.row)[start.column - 1 :]
    mark = first.find("#")
    if start.row == end.row or mark < 0 or any(q in first[:mark] for q in "'\""):
        return None
    import io
    import tokenize

    tokens = tokenize.generate_tokens(io.StringIO(text(view, node)).readline)
    if sum(token.type == tokenize.COMMENT for token in tokens) != 1:
        return None
    return "  " + first[mark:].strip()


def indent_of(view: FileView, row: int) -> str:
    line = view.lines.line(row)
    return line[: len(line) - len(line.lstrip())]


def module_tree(view: FileView) -> ast.Module | None:
    first = view.ancestors[0] if view.ancestors else None
    return first if isinstance(first, ast.Module) else None


def ensure_import(
    view: FileView, module: str, name: str, *, also: frozenset[str] = frozenset()
) -> tuple[Edit, ...] | None:
    """The edits that make `name` (from `module`) usable at the node under the walk: none
    when it already is (as `module.name` or one of `also`, its equivalents elsewhere), one
    merging it into a top-level `from module import ...` or adding that line where
    isort/ruff's `I` rules would put it; None when `name` means something else there (a
    fix must not change what a name refers to)."""
    wanted = f"{module}.{name}"
    found = view.names.lookup(name)
    if found == wanted or (found is not None and found in also):
        return ()
    if found is not None or _bound_anywhere(view, name):
        return None
    tree = module_tree(view)
    if tree is None:
        return None
    existing = _from_import(tree, module)
    if existing is not None:
        return (_merge(view, existing, name),)
    return (_new_import(view, tree, module, f"from {module} import {name}"),)


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
    # Asked once per fix that adds an import: each scope's names are gathered once, so a
    # large file with many fixes is not walked again for each.
    memo = _NESTED_BINDINGS if nested else _OWN_BINDINGS
    names = memo.get(scope)
    if names is None:
        names = memo[scope] = _bindings(scope, nested=nested)
    return name in names


_NESTED_BINDINGS: Final[weakref.WeakKeyDictionary[ast.AST, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)
_OWN_BINDINGS: Final[weakref.WeakKeyDictionary[ast.AST, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


def _bindings(scope: ast.AST, *, nested: bool) -> frozenset[str]:
    names: set[str] = set()
    pending: list[ast.AST] = list(ast.iter_child_nodes(scope))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).partition(".")[0])
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            if not nested:
                continue
        pending.extend(ast.iter_child_nodes(node))
    return frozenset(names)


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


def _member_key(name: str) -> tuple[int, str, str]:
    """isort's and ruff's order of the names of a `from` import (`order-by-type`):
    CONSTANTS, then Classes, then the rest, each case-insensitively."""
    if name.isupper() and len(name) > 1:
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return kind, name.lower(), name


def _merge(view: FileView, stmt: ast.ImportFrom, name: str) -> Edit:
    """`name` added to `stmt`: in its sorted place when the names are sorted, else last."""
    keys = [_member_key(alias.name) for alias in stmt.names]
    if keys == sorted(keys):
        new = _member_key(name)
        for number, alias in enumerate(stmt.names):
            if new < keys[number]:
                start = start_of(view, alias)
                before = end_of(view, stmt.names[number - 1]).row if number else stmt.lineno
                if start.row != before:
                    # One name per line.
                    return insert(start, f"{name},\n{indent_of(view, start.row)}")
                return insert(start, f"{name}, ")
    last = stmt.names[-1]
    end = end_of(view, last)
    rest = view.lines.line(end.row)[end.column - 1 :]
    if rest.lstrip().startswith(","):
        after = Location(end.row, end.column + len(rest) - len(rest.lstrip()) + 1)
        if stmt.end_lineno is not None and stmt.end_lineno > end.row:
            return insert(after, f"\n{indent_of(view, end.row)}{name},")
        return insert(after, f" {name},")
    return insert(end, f", {name}")


# isort's sections, in the order they come in.
_FUTURE: Final = 0
_STDLIB: Final = 1
_THIRD_PARTY: Final = 2
_FIRST_PARTY: Final = 3
_LOCAL: Final = 4

Sections = Callable[[str], int]
"""A module name -> its isort section (`module_section` for one file)."""


def module_section(module: str, own: str, index: ModuleIndex | None) -> int:
    """The isort section of an absolute import of `module` in the module `own`: the
    project's own packages are first-party (by the index, or sharing `own`'s package)."""
    top = module.partition(".")[0]
    if top == "__future__":
        return _FUTURE
    if top in sys.stdlib_module_names:
        return _STDLIB
    if top == own.partition(".")[0] or (index is not None and index.module_of(module)):
        return _FIRST_PARTY
    return _THIRD_PARTY


def _section(sections: Sections, stmt: ast.Import | ast.ImportFrom) -> int:
    if isinstance(stmt, ast.ImportFrom):
        if stmt.level:
            return _LOCAL
        return sections(stmt.module or "")
    return min(sections(alias.name) for alias in stmt.names)


def leading_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The import statements at the top of the module (after its docstring), up to the
    first other statement: the block isort sorts."""
    found: list[ast.Import | ast.ImportFrom] = []
    for number, stmt in enumerate(tree.body):
        if number == 0 and _is_docstring(stmt):
            continue
        if not isinstance(stmt, ast.Import | ast.ImportFrom):
            break
        found.append(stmt)
    return found


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _new_import(view: FileView, tree: ast.Module, module: str, line: str) -> Edit:
    def sections(name: str) -> int:
        return module_section(name, view.names.module, view.index)

    return import_position(view.lines, tree, module, line, sections)


def import_position(
    lines: LineIndex, tree: ast.Module, module: str, line: str, sections: Sections
) -> Edit:
    """`line` (importing from `module`) added to the leading imports where isort puts
    it: among the `from` imports of its section in module order, or as a section of its
    own between its neighbours."""
    block = leading_imports(tree)
    if not block:
        return _first_import(lines, tree, line)
    section = sections(module)
    found = [_section(sections, stmt) for stmt in block]
    same = [stmt for stmt, kind in zip(block, found, strict=True) if kind == section]
    if same:
        key = module.lower()
        for stmt in same:
            if isinstance(stmt, ast.ImportFrom) and (stmt.module or "").lower() > key:
                return insert(_above(lines, block, stmt), f"{line}\n")
        return _after(lines, same[-1], f"{line}\n")
    later = [stmt for stmt, kind in zip(block, found, strict=True) if kind > section]
    if later and all(kind > section for kind in found[block.index(later[0]) :]):
        return insert(_above(lines, block, later[0]), f"{line}\n\n")
    return _after(lines, block[-1], f"\n{line}\n")


def _above(lines: LineIndex, block: Sequence[ast.stmt], stmt: ast.stmt) -> Location:
    """The start of `stmt`, or of the comment lines right above it (they belong to it)."""
    number = block.index(stmt)
    floor = (block[number - 1].end_lineno or 0) if number else 0
    row = stmt.lineno
    while row - 1 > floor and lines.line(row - 1).lstrip().startswith("#"):
        row -= 1
    return Location(row, 1)


def after_statement(view: FileView, stmt: ast.stmt, content: str) -> Edit:
    """`content` (ending in a line break) on the lines after `stmt`."""
    return _after(view.lines, stmt, content)


def _after(lines: LineIndex, stmt: ast.stmt, content: str) -> Edit:
    end = stmt.end_lineno or stmt.lineno
    if end + 1 > len(lines.lines):
        # The statement ends the file without a line break: the edit starts with one.
        last = lines.line(end)
        return insert(Location(end, len(last) + 1), "\n" + content.removesuffix("\n"))
    return insert(Location(end + 1, 1), content)


def _first_import(lines: LineIndex, tree: ast.Module, line: str) -> Edit:
    """The module's first import: after its docstring (a blank line between), or at the
    top, a blank line before the code."""
    first = tree.body[0] if tree.body else None
    if first is not None and _is_docstring(first):
        return _after(lines, first, f"\n{line}\n")
    if first is None:
        return insert(Location(1, 1), f"{line}\n")
    return insert(Location(1, 1), f"{line}\n\n")


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
