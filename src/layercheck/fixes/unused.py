"""Imports after a pass of fixes: those two fixes added on separate lines for one module
are merged into one statement, those added for several modules are put in isort's order,
and imports a fix left unused are removed.

Imports a fix left unused: a name imported at the top of the module, used before the
fixes of a pass and used nowhere after them (`Column` once every `Column(...)` is
`mapped_column(...)`), is removed with libcst, which keeps the rest of the statement,
its commas, parentheses and comments as they are. A name that was unused before stays:
the fix did not make it so, and it may be a re-export."""

from __future__ import annotations

import ast
from collections import Counter

from layercheck.edits import Sections, import_position, leading_imports
from layercheck.fixes.apply import splice
from layercheck.source import LineIndex


def _uses(tree: ast.Module) -> Counter[str]:
    found: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            found[node.id] += 1
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # `__all__` entries and string annotations: kept when named there.
            for word in node.value.replace("[", " ").replace("]", " ").replace(",", " ").split():
                found[word.partition(".")[0]] += 1
    return found


def _imported(tree: ast.Module) -> list[tuple[str, str | None, str | None]]:
    """(module, name, asname) of the module-level `from x import y [as z]` statements,
    and (module, None, asname) of `import x.y as z` (a plain `import x.y` binds `x`,
    which other imports of `x` may share: left alone)."""
    found: list[tuple[str, str | None, str | None]] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
            for alias in stmt.names:
                if alias.name != "*":
                    found.append((stmt.module, alias.name, alias.asname))
        elif isinstance(stmt, ast.Import):
            found.extend((alias.name, None, alias.asname) for alias in stmt.names if alias.asname)
    return found


def drop_unused_imports(before: str, after: str) -> str:
    """`after` without the imports its fixes left unused; `after` itself when there are
    none (libcst is imported only when there are)."""
    try:
        old = ast.parse(before)
        new = ast.parse(after)
    except (SyntaxError, ValueError, RecursionError):
        return after
    used_before = _uses(old)
    used_after = _uses(new)
    stale = [
        (module, name, asname)
        for module, name, asname in _imported(new)
        if used_before[asname or name or ""] > 0 and used_after[asname or name or ""] == 0
    ]
    if not stale:
        return after
    import libcst as cst
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import RemoveImportsVisitor

    try:
        module = cst.parse_module(after)
        visitor = RemoveImportsVisitor(CodemodContext(), stale)
        code = visitor.transform_module(module).code
    except Exception:  # libcst failing on one file must not cost the fix itself
        return after
    if not after.startswith(("\n", "\r")):
        # The blank line that followed a removed first import is left at the top.
        code = code.lstrip("\r\n")
    return code


def merge_added_imports(before: str, after: str) -> str:
    """`after` with each top-level `from m import x` line that the pass added merged into
    an existing one-line `from m import ...` (two fixes, each adding its own line or
    merging into a line another fix of the pass rewrote)."""
    try:
        tree = ast.parse(after)
    except (SyntaxError, ValueError, RecursionError):
        return after
    old_lines = set(before.splitlines())
    lines = after.splitlines(keepends=True)
    by_module: dict[str, list[ast.ImportFrom]] = {}
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.ImportFrom)
            and stmt.level == 0
            and stmt.module
            and stmt.lineno == stmt.end_lineno
            and all(alias.name != "*" for alias in stmt.names)
        ):
            by_module.setdefault(stmt.module, []).append(stmt)
    moves: list[tuple[int, int, str]] = []
    """(row of the target, its column to insert at, text), and rows to drop."""
    drop: set[int] = set()
    for found in by_module.values():
        if len(found) < 2:
            continue
        target = found[0]
        line = lines[target.lineno - 1]
        end = target.names[-1].end_col_offset
        if not line.isascii() or end is None or "(" in line:
            continue
        names: list[str] = []
        existing = {ast.get_source_segment(after, alias) for alias in target.names}
        for stmt in found[1:]:
            text = lines[stmt.lineno - 1]
            if text.rstrip("\r\n") in old_lines or not text.isascii():
                continue  # written by hand: not ours to move
            if stmt.col_offset != 0 or "#" in text or ";" in text or "(" in text:
                continue
            names.extend(ast.get_source_segment(after, alias) or "" for alias in stmt.names)
            drop.add(stmt.lineno)
        names = [name for name in dict.fromkeys(names) if name and name not in existing]
        if names:
            moves.append((target.lineno, end, ", " + ", ".join(names)))
    if not moves and not drop:
        return after
    for row, column, text in moves:
        line = lines[row - 1]
        lines[row - 1] = line[:column] + text + line[column:]
    return "".join(line for number, line in enumerate(lines, start=1) if number not in drop)


def place_added_imports(before: str, after: str, sections: Sections) -> str:
    """`after` with the `from m import x` lines the pass added placed again one by one
    when there are several: each fix placed its own on the text before the pass, where
    two of them can land at one place in the wrong order (two new sections)."""
    try:
        tree = ast.parse(after)
    except (SyntaxError, ValueError, RecursionError):
        return after
    old_lines = set(before.splitlines())
    lines = after.splitlines(keepends=True)
    added = [
        stmt
        for stmt in leading_imports(tree)
        if isinstance(stmt, ast.ImportFrom)
        and stmt.level == 0
        and stmt.module
        and stmt.lineno == stmt.end_lineno
        and stmt.col_offset == 0
        and lines[stmt.lineno - 1].rstrip("\r\n") not in old_lines
        and "#" not in lines[stmt.lineno - 1]
        and ";" not in lines[stmt.lineno - 1]
    ]
    if len(added) < 2:
        return after
    gone: set[int] = set()
    for stmt in added:
        gone.add(stmt.lineno)
        # The blank line that separated a new section goes with it.
        previous = stmt.lineno - 1
        while previous in gone:
            previous -= 1
        following = stmt.lineno + 1
        if (
            (previous == 0 or not lines[previous - 1].strip())
            and following <= len(lines)
            and not lines[following - 1].strip()
        ):
            gone.add(following)
    text = "".join(line for number, line in enumerate(lines, start=1) if number not in gone)
    for stmt in added:
        line = lines[stmt.lineno - 1].rstrip("\r\n")
        try:
            current = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            return after
        edit = import_position(
            LineIndex.from_text(text), current, stmt.module or "", line, sections
        )
        text = splice(text, edit)
    return text
