"""What the Alembic rules share: the migrations layer, a migration's `upgrade()` /
`downgrade()` functions, empty bodies, and where a definition's name sits for reporting.
The `op.*` operations themselves are part of the semantic model
(`layercheck.semantic.migrations`)."""

from __future__ import annotations

import ast
from typing import Final

from layercheck.layers import Layer
from layercheck.model import Location
from layercheck.rules._base import Rule, RuleContext

MIGRATIONS: Final = frozenset({Layer.MIGRATIONS})
GENERATED_VALUES: Final = frozenset(
    {
        "sqlalchemy.Identity",
        "sqlalchemy.schema.Identity",
        "sqlalchemy.Computed",
        "sqlalchemy.schema.Computed",
        "sqlalchemy.Sequence",
        "sqlalchemy.schema.Sequence",
    }
)
"""Column arguments that fill existing rows themselves."""
CREATE_CONSTRAINTS: Final = frozenset(
    {
        "create_foreign_key",
        "create_unique_constraint",
        "create_check_constraint",
        "create_primary_key",
    }
)
UNKNOWN: Final = None


def is_empty_body(body: list[ast.stmt]) -> bool:
    """Only `pass`, `...`, a docstring, a bare `return` or `raise NotImplementedError`."""
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Return) and (
            stmt.value is None
            or (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)
        ):
            continue
        if isinstance(stmt, ast.Raise) and _not_implemented(stmt.exc):
            continue
        return False
    return True


def _not_implemented(node: ast.expr | None) -> bool:
    if isinstance(node, ast.Call):
        node = node.func
    return isinstance(node, ast.Name) and node.id == "NotImplementedError"


def def_span(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, ctx: RuleContext
) -> tuple[Location, Location]:
    """The span of a definition's name, as ruff reports a function."""
    row = node.lineno
    text = ctx.lines.line(row)
    keyword = "class " if isinstance(node, ast.ClassDef) else "def "
    column = text.find(node.name, max(text.find(keyword), 0))
    if column < 0:
        return ctx.lines.span(node)[0], ctx.lines.span(node)[0]
    return Location(row, column + 1), Location(row, column + 1 + len(node.name))


def report_def(
    rule: Rule,
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
    ctx: RuleContext,
    **fields: object,
) -> None:
    start, end = def_span(node, ctx)
    ctx.report_span(rule, start, end, **fields)


def module_function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The last module-level `def name` (the one Alembic calls), looking into
    module-level `if`/`try` blocks."""
    found: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        stmt = pending.pop(0)
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
            found = stmt
        elif isinstance(stmt, ast.If):
            pending[:0] = [*stmt.body, *stmt.orelse]
        elif isinstance(stmt, ast.Try):
            pending[:0] = [*stmt.body, *stmt.orelse, *stmt.finalbody]
    return found
