"""What the SQLAlchemy model rules share: where a node sits, what a call is, spans."""

from __future__ import annotations

import ast
import builtins
import re
from typing import Final

from layercheck.annotations import parse_string
from layercheck.layers import Layer
from layercheck.model import Location
from layercheck.orm import DECLARED_ATTR, is_model_class
from layercheck.rules._base import Rule, RuleContext

_SCOPES: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_SHORT: Final = 48


def in_migration(ctx: RuleContext) -> bool:
    """Migrations, the modules beside Alembic's `env.py` and tests define their own
    throwaway tables and bases (a frozen copy of the models, a mock model): the model
    rules skip them."""
    # The same answer for the whole file, asked at nearly every class, call and assignment.
    found = ctx.per_file.get("in_migration")
    if found is None:
        found = ctx.per_file["in_migration"] = _in_migration(ctx)
    return found is True


def _in_migration(ctx: RuleContext) -> bool:
    if ctx.layer is Layer.MIGRATIONS:
        return True
    facts = ctx.index.by_path.get(str(ctx.path))
    if facts is not None and facts.is_test:
        return True
    return ctx.index.alembic_environment(str(ctx.path)) is not None


def module_class(node: ast.ClassDef, ctx: RuleContext) -> str | None:
    """The qualified name of a class defined at module level (the facts know only those)."""
    if any(isinstance(a, _SCOPES) for a in ctx.ancestors[:-1]):
        return None
    return f"{ctx.module}.{node.name}" if ctx.module else node.name


def model_class(node: ast.ClassDef, ctx: RuleContext) -> str | None:
    """The qualified name of a module-level class whose attributes get mapped (a model,
    a declarative base, or a mixin some model derives from); None for any other class."""
    name = module_class(node, ctx)
    if name is None or in_migration(ctx) or not is_model_class(name, ctx.index):
        return None
    return name


def callee(node: ast.expr, ctx: RuleContext) -> str | None:
    """The resolved name a call calls, or None (not a call, or not nameable)."""
    if not isinstance(node, ast.Call):
        return None
    return ctx.qualified(node.func)


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((kw for kw in call.keywords if kw.arg == name), None)


def has_star_kwargs(call: ast.Call) -> bool:
    return any(kw.arg is None for kw in call.keywords)


def annotation_head(annotation: ast.expr | None) -> ast.expr | None:
    """`Mapped` for `Mapped[int]`, `"Mapped[int]"` and `so.Mapped["User"]`; the annotation
    itself when it is not subscripted."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Constant):
        annotation = parse_string(annotation)
        if annotation is None:
            return None
    return annotation.value if isinstance(annotation, ast.Subscript) else annotation


def is_builtin(node: ast.expr, ctx: RuleContext) -> bool:
    """An unshadowed builtin name such as `int`, `str`, `list`."""
    return (
        isinstance(node, ast.Name)
        and ctx.names.binding_scope(node.id) is None
        and hasattr(builtins, node.id)
    )


def class_body_attributes(
    node: ast.ClassDef,
) -> list[tuple[ast.Name, ast.expr | None, ast.expr | None, ast.stmt]]:
    """(target, annotation, value, statement) of each `name = ...` / `name: T = ...`
    statement directly in a class body."""
    found: list[tuple[ast.Name, ast.expr | None, ast.expr | None, ast.stmt]] = []
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            found.append((stmt.target, stmt.annotation, stmt.value, stmt))
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    found.append((target, None, stmt.value, stmt))
    return found


def declared_attr_methods(
    node: ast.ClassDef, ctx: RuleContext
) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Methods of a class body decorated with `@declared_attr` (or `.directive`)."""
    found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            ctx.qualified(d.func if isinstance(d, ast.Call) else d) in DECLARED_ATTR
            for d in stmt.decorator_list
        ):
            found.append(stmt)
    return found


def inside_alembic_op(ctx: RuleContext) -> bool:
    """The current node is an argument of an Alembic `op.*` call."""
    for ancestor in ctx.ancestors[:-1]:
        if not isinstance(ancestor, ast.Call):
            continue
        name = ctx.qualified(ancestor.func)
        if name is not None and name.startswith("alembic.op."):
            return True
    return False


def short(node: ast.AST) -> str:
    """Source text of a node for a message, on one line and cut to a readable length."""
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."


def report_class_name(rule: Rule, node: ast.ClassDef, ctx: RuleContext, **fields: object) -> None:
    """Report at the class's name rather than at its whole body."""
    row = node.lineno
    match = re.search(rf"\bclass\s+({re.escape(node.name)})\b", ctx.lines.line(row))
    if match is None:
        ctx.report(rule, node, **fields)
        return
    start = Location(row, match.start(1) + 1)
    end = Location(row, match.end(1) + 1)
    ctx.report_span(rule, start, end, **fields)
