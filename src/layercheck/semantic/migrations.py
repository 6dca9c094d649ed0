"""What an Alembic migration does: the `op.*` operations each module-level function runs
(nested functions count for the function around them), the module-level functions each
calls, and the functions that also make calls the facts cannot follow."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Final

from layercheck.semantic.core import FileModel

OP_MODULE: Final = "alembic.op"
DATA_OPS: Final = frozenset(
    {"execute", "bulk_insert", "get_bind", "get_context", "inline_literal", "f", "run_async"}
)
"""`op.*` calls that do not change the schema by themselves (`run_async` hands over a
connection, as `get_bind` does)."""
DDL_WORDS: Final = ("CREATE", "ALTER", "DROP", "RENAME", "COMMENT")
COLUMN_CLASSES: Final = frozenset(
    {"sqlalchemy.Column", "sqlalchemy.schema.Column", "sqlalchemy.sql.schema.Column"}
)
_SQL_WRAPPERS: Final = frozenset(
    {
        "sqlalchemy.text",
        "sqlalchemy.sql.text",
        "sqlalchemy.sql.expression.text",
        "textwrap.dedent",
    }
)
_LOG_METHODS: Final = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "print"}
)
_SQL_COMMENT: Final = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)

ArgSpec = tuple[int | None, tuple[str, ...]]
# op name -> (table argument, target argument); position and keyword names. Inside
# `batch_alter_table` the table comes from the context and later positions shift by one.
SIGNATURES: Final[dict[str, tuple[ArgSpec, ArgSpec]]] = {
    "create_table": ((0, ("table_name",)), (None, ())),
    "drop_table": ((0, ("table_name",)), (None, ())),
    "add_column": ((0, ("table_name",)), (1, ("column",))),
    "drop_column": ((0, ("table_name",)), (1, ("column_name",))),
    "alter_column": ((0, ("table_name",)), (1, ("column_name",))),
    "create_index": ((1, ("table_name",)), (0, ("index_name",))),
    "drop_index": ((1, ("table_name",)), (0, ("index_name",))),
    "create_foreign_key": ((1, ("source_table", "source")), (0, ("constraint_name", "name"))),
    "create_unique_constraint": ((1, ("table_name", "source")), (0, ("constraint_name", "name"))),
    "create_check_constraint": ((1, ("table_name", "source")), (0, ("constraint_name", "name"))),
    "create_primary_key": ((1, ("table_name",)), (0, ("constraint_name", "name"))),
    "drop_constraint": ((1, ("table_name",)), (0, ("constraint_name",))),
    "rename_table": ((0, ("old_table_name",)), (1, ("new_table_name",))),
}


@dataclass(frozen=True, slots=True)
class Op:
    """One `op.<name>(...)` or `batch_op.<name>(...)` call; a name the source does not
    spell as a literal is None (unknown)."""

    name: str
    node: ast.Call
    table: str | None
    target: str | None
    """Column, index or constraint name; the new name for `rename_table`."""
    batch: bool = False
    sql: str | None = None
    """Literal SQL of `op.execute`, when it is a literal."""

    @property
    def ddl(self) -> bool:
        """The call changes the schema."""
        if self.name == "execute":
            return self.sql is not None and is_ddl(self.sql)
        return self.name not in DATA_OPS

    @property
    def label(self) -> str:
        return f"{'batch_op' if self.batch else 'op'}.{self.name}()"


@dataclass(slots=True)
class MigrationOps:
    """Alembic operations run by each module-level function of a migration (nested
    functions count for the function around them), the module-level functions each
    calls, and the functions that also make calls it cannot follow. The walk updates it
    before any rule sees a node; rules read it once the module has been seen
    (`leave_Module`)."""

    module_functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(
        default_factory=dict
    )
    ops: dict[str, list[Op]] = field(default_factory=lambda: defaultdict(list))
    calls: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    opaque: set[str] = field(default_factory=set)
    batches: dict[tuple[str, str], str | None] = field(default_factory=dict)

    def visit_FunctionDef(self, node: ast.FunctionDef, ctx: FileModel) -> None:
        self._function(node, ctx)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: FileModel) -> None:
        self._function(node, ctx)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: FileModel) -> None:
        if is_module_level(ctx):
            self.module_functions[node.name] = node

    def _owner(self, ctx: FileModel) -> str | None:
        found = ctx.functions()
        if not found:
            return None
        outer = found[-1]
        return outer.name if self.module_functions.get(outer.name) is outer else None

    def visit_withitem(self, item: ast.withitem, ctx: FileModel) -> None:
        """`with op.batch_alter_table("users") as batch_op:`."""
        owner = self._owner(ctx)
        context = item.context_expr
        if owner is None or not isinstance(context, ast.Call):
            return
        if ctx.qualified(context.func) != f"{OP_MODULE}.batch_alter_table":
            return
        if isinstance(item.optional_vars, ast.Name):
            table = name_literal(argument(context, 0, ("table_name",)), ctx)
            self.batches[(owner, item.optional_vars.id)] = table

    def visit_Call(self, node: ast.Call, ctx: FileModel) -> None:
        owner = self._owner(ctx)
        if owner is None:
            return
        found = self._op(node, owner, ctx)
        if found is not None:
            self.ops[owner].append(found)
            return
        func = node.func
        if isinstance(func, ast.Name):
            own = f"{ctx.module}.{func.id}" if ctx.module else func.id
            if ctx.qualified(func) == own:
                self.calls[owner].add(func.id)
                return
        if _is_statement(ctx) and not _is_logging(func):
            self.opaque.add(owner)

    def _op(self, node: ast.Call, owner: str, ctx: FileModel) -> Op | None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return None
        qualified = ctx.qualified(func)
        if qualified is not None and qualified.startswith(f"{OP_MODULE}."):
            name = qualified[len(OP_MODULE) + 1 :]
            if "." in name:
                return None
            return build_op(name, node, ctx, batch_table=None, batch=False)
        receiver = func.value
        if isinstance(receiver, ast.Name) and (owner, receiver.id) in self.batches:
            if ctx.names.binding_scope(receiver.id) is ctx.names.scopes[0]:
                return None  # a module-level name, not the context variable
            table = self.batches[(owner, receiver.id)]
            return build_op(func.attr, node, ctx, batch_table=table, batch=True)
        return None

    def reachable(self, name: str) -> list[str]:
        """`name` and the module-level functions it calls, transitively."""
        order: list[str] = []
        pending = [name]
        while pending:
            current = pending.pop()
            if current in order or current not in self.module_functions:
                continue
            order.append(current)
            pending.extend(sorted(self.calls.get(current, ())))
        return order

    def ops_of(self, name: str) -> list[Op]:
        """Operations `name` runs itself or through module-level helpers, in source order."""
        found = [op for function in self.reachable(name) for op in self.ops.get(function, [])]
        return sorted(found, key=lambda op: (op.node.lineno, op.node.col_offset))

    def is_opaque(self, name: str) -> bool:
        return any(function in self.opaque for function in self.reachable(name))


def is_module_level(ctx: FileModel) -> bool:
    """The current node is outside every function and class (module-level `if`/`try`
    blocks included)."""
    return not any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
        for node in ctx.ancestors[:-1]
    )


def _is_statement(ctx: FileModel) -> bool:
    parent = ctx.parent
    if isinstance(parent, ast.Await):
        chain = ctx.ancestors
        parent = chain[-3] if len(chain) > 2 else None
    return isinstance(parent, ast.Expr)


def _is_logging(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "print"
    return isinstance(func, ast.Attribute) and func.attr in _LOG_METHODS


def argument(call: ast.Call, position: int | None, keywords: tuple[str, ...]) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value
    if position is not None and position < len(call.args):
        value = call.args[position]
        if not any(isinstance(arg, ast.Starred) for arg in call.args[: position + 1]):
            return value
    return None


def name_literal(node: ast.expr | None, ctx: FileModel) -> str | None:
    """A name spelled as a literal: `"users"`, `op.f("ix_users_email")`; else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if (
        isinstance(node, ast.Call)
        and len(node.args) == 1
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "f"  # `op.f(...)`, `batch_op.f(...)`
    ):
        return name_literal(node.args[0], ctx)
    return None


def column_call(node: ast.expr | None, ctx: FileModel) -> ast.Call | None:
    """`sa.Column(...)` (any import form), else None."""
    if isinstance(node, ast.Call) and ctx.qualified(node.func) in COLUMN_CLASSES:
        return node
    return None


def column_name(node: ast.expr | None, ctx: FileModel) -> str | None:
    column = column_call(node, ctx)
    if column is None:
        return None
    return name_literal(argument(column, 0, ("name",)), ctx)


def build_op(
    name: str, node: ast.Call, ctx: FileModel, *, batch_table: str | None, batch: bool
) -> Op:
    if name == "execute":
        return Op(name, node, None, None, batch, literal_sql(argument(node, 0, ("sqltext",)), ctx))
    signature = SIGNATURES.get(name)
    if signature is None:
        return Op(name, node, batch_table if batch else None, None, batch)
    (table_at, table_kw), (target_at, target_kw) = signature
    if batch:
        table = batch_table
        if target_at is not None and table_at is not None and target_at > table_at:
            target_at -= 1
    else:
        table = name_literal(argument(node, table_at, table_kw), ctx)
    target_node = argument(node, target_at, target_kw)
    if name == "add_column":
        target = column_name(target_node, ctx)
    else:
        target = name_literal(target_node, ctx)
    return Op(name, node, table, target, batch)


def literal_sql(node: ast.expr | None, ctx: FileModel) -> str | None:
    """The SQL text of a literal, an f-string's fixed parts, `text("...")`,
    `dedent("...")`, `"...".format(...)` and `"..." + "..."`; None when not literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) and isinstance(part.value, str) else "x"
            for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal_sql(node.left, ctx), literal_sql(node.right, ctx)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "format":
            return literal_sql(func.value, ctx)
        if ctx.qualified(func) in _SQL_WRAPPERS:
            return literal_sql(node.args[0], ctx)
    return None


def is_ddl(sql: str) -> bool:
    """Some statement of the SQL starts with CREATE, ALTER, DROP, RENAME or COMMENT."""
    text = _SQL_COMMENT.sub(" ", sql)
    return any(statement.strip().upper().startswith(DDL_WORDS) for statement in text.split(";"))
