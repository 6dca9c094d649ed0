"""Imports a fix left unused: a name imported at the top of the module, used before the
fixes of a pass and used nowhere after them (`Column` once every `Column(...)` is
`mapped_column(...)`), is removed with libcst, which keeps the rest of the statement,
its commas, parentheses and comments as they are. A name that was unused before stays:
the fix did not make it so, and it may be a re-export."""

from __future__ import annotations

import ast
from collections import Counter


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


def _imported(tree: ast.Module) -> list[tuple[str, str, str | None]]:
    """(module, name, asname) of the module-level `from x import y [as z]` statements."""
    found: list[tuple[str, str, str | None]] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
            for alias in stmt.names:
                if alias.name != "*":
                    found.append((stmt.module, alias.name, alias.asname))
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
        if used_before[asname or name] > 0 and used_after[asname or name] == 0
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
