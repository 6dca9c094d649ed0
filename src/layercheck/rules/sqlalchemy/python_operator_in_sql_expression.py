from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck import edits
from layercheck.model import Fix
from layercheck.orm import mapped_attributes
from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
    last_names,
)
from layercheck.rules.sqlalchemy._helpers import callee, in_migration, short

FILTER_METHODS: Final = frozenset({"where", "filter", "having"})
_SQL_MODULES: Final = (
    "sqlalchemy",
    "sqlalchemy.sql",
    "sqlalchemy.sql.expression",
    "sqlalchemy.sql._elements_constructors",
    "sqlmodel",
    "sqlmodel.sql.expression",
)
CONJUNCTIONS: Final = frozenset(
    f"{module}.{name}" for module in _SQL_MODULES for name in ("and_", "or_", "not_")
)
ALIASED: Final = frozenset({"sqlalchemy.orm.aliased", "sqlalchemy.orm.util.aliased"})
_IS_FIXES: Final = {True: ".is_({})", False: ".is_not({})"}
_IS_METHODS: Final = {True: "is_", False: "is_not"}


class PythonOperatorInSqlExpression(Rule):
    """## What it does
    Checks for a Python operator (`is`, `is not`, `in`, `and`, `or`, `not`) applied to a
    model column inside `where()`, `filter()`, `having()`, `and_()`, `or_()` or
    `not_()`.

    ## Why is this bad?
    SQLAlchemy builds SQL from the operators it can overload (`==`, `!=`, `&`, `|`,
    `~`); `is`, `and`, `or` and `not` cannot be overloaded and `in` always yields a
    plain `bool`, so Python evaluates them right away. `User.deleted_at is None` is
    simply `False`, and the query filters on that constant: it returns no rows, or all
    of them, without any error. This is the bug that linters' E711/E712 autofixes
    create when they turn `User.deleted_at == None` into `User.deleted_at is None`.

    ## Example
    ```python
    from datetime import datetime

    from sqlalchemy import select
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"

        id: Mapped[int] = mapped_column(primary_key=True)
        is_active: Mapped[bool]
        deleted_at: Mapped[datetime | None]


    active_users = select(User).where(User.deleted_at is None, User.is_active is True)
    ```

    ## Use instead
    ```python
    from datetime import datetime

    from sqlalchemy import select, true
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"

        id: Mapped[int] = mapped_column(primary_key=True)
        is_active: Mapped[bool]
        deleted_at: Mapped[datetime | None]


    active_users = select(User).where(User.deleted_at.is_(None), User.is_active.is_(true()))
    ```

    ## Fix safety
    Unsafe: `Model.col is None` becomes `Model.col.is_(None)` and `Model.col is not
    None` becomes `Model.col.is_not(None)` (also `is True`, and `None is Model.col`). The
    query's result changes, to what was meant, and code or tests may rely on the old,
    constant behaviour. Not fixed, left to a person: a chained comparison (`a is b is
    c`), one with a comment inside, `in` / `not in` (whether `.in_()` or `.contains()`
    is meant depends on the types), and `and` / `or` / `not`, whose rewrite into
    `and_()` / `or_()` / `not_()` or `&` / `|` / `~` is a choice of style.

    ## Details
    A column is `Model.attr` where `Model` is a declarative model (found across modules,
    also through an import alias or `aliased(Model)` in the same module) or a SQLModel
    `table=True` class, and `attr` is one of its columns or relationships, inherited ones
    included. `and`/`or` are reported only between two or more column expressions, so
    `include_deleted or User.deleted_at.is_(None)` is left alone. `x in Model.col` and
    `Model.col in values` are reported too (use `.contains()` / `.in_()`).
    `Model.col == None` is correct SQL (`IS NULL`) and is not reported. Migrations are
    left alone.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC410",
        name="python-operator-in-sql-expression",
        message="`{expr}` is evaluated by Python, not SQL, so the query filters on a "
        "constant; use `{fix}`",
        fix=FixAvailability.SOMETIMES,
        fix_title="Use `.is_()` / `.is_not()`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from datetime import datetime\n\n"
            "from sqlalchemy import or_, select\n"
            "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class User(Base):\n"
            "    __tablename__ = 'users'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    name: Mapped[str]\n"
            "    is_active: Mapped[bool]\n"
            "    deleted_at: Mapped[datetime | None]\n\n\n"
            "def active_users():\n"
            "    return select(User).where(User.deleted_at is None)  # error: 31\n\n\n"
            "def search(session, ids):\n"
            "    stmt = select(User).where(\n"
            "        User.is_active is True,  # error\n"
            "        User.name.ilike('%a%') or User.name == 'b',  # error\n"
            "    )\n"
            "    stmt = stmt.filter(or_(User.id in ids, User.deleted_at is not None))  # error\n"
            "    return stmt.having(not User.is_active)  # error\n",
            note="`is None`, `is True`, `or`, `in`, `is not None`, `not`",
            no_fix=True,
        ),
        Invalid(
            "from datetime import datetime\n\n"
            "from sqlalchemy import select\n"
            "from sqlalchemy.orm import DeclarativeBase, Mapped\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class User(Base):\n"
            "    __tablename__ = 'users'\n"
            "    id: Mapped[int]\n"
            "    is_active: Mapped[bool]\n"
            "    manager_id: Mapped[int | None]\n"
            "    deleted_at: Mapped[datetime | None]\n\n\n"
            "def visible(archived):\n"
            "    stmt = select(User).where(User.deleted_at is None)  # error\n"
            "    stmt = stmt.where(None is not User.manager_id)  # error\n"
            "    stmt = stmt.where((User.is_active is True) | (User.id is archived))  # error: 24\n"
            "    return stmt.where(User.id is User.manager_id is None)  # error\n",
            fixed="from datetime import datetime\n\n"
            "from sqlalchemy import select\n"
            "from sqlalchemy.orm import DeclarativeBase, Mapped\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class User(Base):\n"
            "    __tablename__ = 'users'\n"
            "    id: Mapped[int]\n"
            "    is_active: Mapped[bool]\n"
            "    manager_id: Mapped[int | None]\n"
            "    deleted_at: Mapped[datetime | None]\n\n\n"
            "def visible(archived):\n"
            "    stmt = select(User).where(User.deleted_at.is_(None))  # error\n"
            "    stmt = stmt.where(User.manager_id.is_not(None))  # error\n"
            "    stmt = stmt.where((User.is_active.is_(True)) | (User.id.is_(archived)))"
            "  # error: 24\n"
            "    return stmt.where(User.id is User.manager_id is None)  # error\n",
            no_fix=True,
            note="the fix: `.is_()` / `.is_not()`, the column first; a chained comparison "
            "is left as it is",
        ),
        Invalid(
            {
                "app/models/mixins.py": "from datetime import datetime\n\n"
                "from sqlalchemy.orm import Mapped, mapped_column\n\n\n"
                "class SoftDeleteMixin:\n"
                "    deleted_at: Mapped[datetime | None] = mapped_column(default=None)\n",
                "app/models/user.py": "from sqlalchemy.orm import DeclarativeBase, Mapped\n\n"
                "from .mixins import SoftDeleteMixin\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n\n\n"
                "class User(SoftDeleteMixin, Base):\n"
                "    __tablename__ = 'users'\n"
                "    id: Mapped[int]\n"
                "    manager_id: Mapped[int | None]\n",
                "app/repositories/users.py": "import sqlalchemy as sa\n"
                "from sqlalchemy.orm import aliased\n\n"
                "from app.models.user import User as U\n\n"
                "Manager = aliased(U)\n\n\n"
                "async def live(session):\n"
                "    stmt = sa.select(U).where(\n"
                "        sa.and_(U.deleted_at is None, U.id > 0)  # error\n"
                "    )\n"
                "    return await session.scalars(stmt)\n\n\n"
                "def managers():\n"
                "    boss = aliased(U, name='boss')\n"
                "    return (\n"
                "        sa.select(U)\n"
                "        .join(Manager, U.manager_id == Manager.id)\n"
                "        .where((Manager.deleted_at is None) | (boss.id is not None))  # error\n"
                "    )\n",
            },
            note="a column inherited from a mixin in another module, an alias import, "
            "`aliased()` at module and function level, `|` between comparisons",
        ),
        Invalid(
            "from sqlmodel import Field, SQLModel, select\n\n\n"
            "class Hero(SQLModel, table=True):\n"
            "    id: int | None = Field(default=None, primary_key=True)\n"
            "    age: int | None = None\n\n\n"
            "def ageless():\n"
            "    return select(Hero).where(Hero.age is None)  # error\n",
            note="a SQLModel table's column",
        ),
        Valid(
            "from datetime import datetime\n\n"
            "from sqlalchemy import and_, not_, select\n"
            "from sqlalchemy.orm import DeclarativeBase, Mapped\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class User(Base):\n"
            "    __tablename__ = 'users'\n"
            "    id: Mapped[int]\n"
            "    is_active: Mapped[bool]\n"
            "    deleted_at: Mapped[datetime | None]\n\n\n"
            "def queries(ids):\n"
            "    yield select(User).where(User.deleted_at == None)  # noqa: E711\n"
            "    yield select(User).where(User.deleted_at.is_(None), User.is_active.is_(True))\n"
            "    yield select(User).where(and_(User.id > 1, User.id < 9), ~User.is_active)\n"
            "    yield select(User).filter(User.id.in_(ids), not_(User.is_active))\n",
            note="`== None` is correct SQL; `.is_()`, `and_()`, `~`, `.in_()`, `not_()`",
        ),
        Valid(
            "from datetime import datetime\n\n"
            "from sqlalchemy import select\n"
            "from sqlalchemy.orm import DeclarativeBase, Mapped\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class User(Base):\n"
            "    __tablename__ = 'users'\n"
            "    id: Mapped[int]\n"
            "    deleted_at: Mapped[datetime | None]\n\n"
            "    @property\n"
            "    def label(self):\n"
            "        return str(self.id)\n\n\n"
            "def visible(user: User, include_deleted: bool, frame):\n"
            "    if user.deleted_at is None:\n"
            "        pass\n"
            "    stmt = select(User).where(include_deleted or User.deleted_at.is_(None))\n"
            "    stmt = stmt.where(user.deleted_at is None, User.label is None)\n"
            "    return frame.where(frame.x is None), stmt\n",
            note="outside a filter; a Python flag `or` one SQL condition; an instance's "
            "attribute; a property that is not a column; a non-model receiver",
        ),
        Valid(
            "from sqlalchemy import select\n\n\n"
            "class Settings:\n"
            "    debug = False\n\n\n"
            "def rows(items):\n"
            "    return select(Item).where(Settings.debug is True, items in Settings.debug)\n",
            note="class attributes of a class that is not a model",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = FILTER_METHODS | last_names(CONJUNCTIONS)

    def __init__(self) -> None:
        self._aliases: dict[tuple[int | None, str], str] = {}
        """(id of the binding function, or None at module level; local name) -> the model
        that `name = aliased(Model)` aliases."""
        self._columns: dict[str, frozenset[str]] = {}
        """Class -> its mapped attribute names (empty for a class that is not a model)."""

    def visit_Assign(self, node: ast.Assign, ctx: RuleContext) -> None:
        value = node.value
        if not (isinstance(value, ast.Call) and callee(value, ctx) in ALIASED and value.args):
            return
        target_class = ctx.qualified(value.args[0])
        if target_class is None:
            return
        functions = ctx.functions()
        scope = id(functions[0]) if functions else None
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._aliases[(scope, target.id)] = target_class

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        func = node.func
        is_filter = isinstance(func, ast.Attribute) and func.attr in FILTER_METHODS
        if not is_filter and callee(node, ctx) not in CONJUNCTIONS:
            return
        if in_migration(ctx):
            return
        for argument in node.args:
            self._check(argument, ctx)

    # -- what an expression is -----------------------------------------------------------
    def _model_of(self, node: ast.expr, ctx: RuleContext) -> str | None:
        """The class `node` names: an `aliased(Model)` of this module, or a resolved name."""
        if isinstance(node, ast.Name):
            scope = ctx.names.binding_scope(node.id)
            if scope is not None:
                key = None if scope.node is None else id(scope.node)
                alias = self._aliases.get((key, node.id))
                if alias is not None:
                    return alias
        return ctx.qualified(node)

    def _is_column(self, node: ast.expr, ctx: RuleContext) -> bool:
        if not isinstance(node, ast.Attribute) or not isinstance(
            node.value, ast.Name | ast.Attribute
        ):
            return False
        model = self._model_of(node.value, ctx)
        if model is None:
            return False
        names = self._columns.get(model)
        if names is None:
            names = self._columns[model] = frozenset(mapped_attributes(model, ctx.index))
        return node.attr in names

    def _is_sql(self, node: ast.expr, ctx: RuleContext) -> bool:
        """A SQL expression built from a model column (or a SQL conjunction)."""
        if self._is_column(node, ctx):
            return True
        if isinstance(node, ast.Compare):
            return any(self._is_sql(o, ctx) for o in (node.left, *node.comparators))
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and self._is_sql(func.value, ctx):
                return True
            return callee(node, ctx) in CONJUNCTIONS
        if isinstance(node, ast.UnaryOp):
            return self._is_sql(node.operand, ctx)
        if isinstance(node, ast.BinOp):
            return self._is_sql(node.left, ctx) or self._is_sql(node.right, ctx)
        return False

    # -- what to report ------------------------------------------------------------------
    def _check(self, node: ast.expr, ctx: RuleContext) -> None:
        if isinstance(node, ast.Compare):
            self._compare(node, ctx)
        elif isinstance(node, ast.BoolOp):
            if sum(self._is_sql(value, ctx) for value in node.values) >= 2:
                fix = "and_()" if isinstance(node.op, ast.And) else "or_()"
                ctx.report(self, node, expr=short(node), fix=fix)
            for value in node.values:
                self._check(value, ctx)
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not) and self._is_sql(node.operand, ctx):
                ctx.report(self, node, expr=short(node), fix="not_()` or `~")
            self._check(node.operand, ctx)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr):
            self._check(node.left, ctx)
            self._check(node.right, ctx)

    def _compare(self, node: ast.Compare, ctx: RuleContext) -> None:
        operands = [node.left, *node.comparators]
        for position, op in enumerate(node.ops):
            left, right = operands[position], operands[position + 1]
            left_column, right_column = self._is_column(left, ctx), self._is_column(right, ctx)
            fix = None
            if isinstance(op, ast.Is | ast.IsNot) and (left_column or right_column):
                other = right if left_column else left
                fix = _IS_FIXES[isinstance(op, ast.Is)].format(short(other))
            elif isinstance(op, ast.In | ast.NotIn) and right_column:
                fix = ".contains()"
            elif isinstance(op, ast.In | ast.NotIn) and left_column:
                fix = ".in_()" if isinstance(op, ast.In) else ".not_in()"
            if fix is None:
                continue
            edit = None
            if isinstance(op, ast.Is | ast.IsNot) and len(node.ops) == 1:
                column, other = (left, right) if left_column else (right, left)
                edit = _is_fix(ctx, node, column, other, isinstance(op, ast.Is))
            ctx.report_with_fix(self, node, edit, expr=short(node), fix=fix)
            return


def _is_fix(
    ctx: RuleContext, node: ast.Compare, column: ast.expr, other: ast.expr, is_: bool
) -> Fix | None:
    """`col is x` -> `col.is_(x)`; None where a comment inside would be lost."""
    if edits.has_comment(ctx, node):
        return None
    method = _IS_METHODS[is_]
    rewritten = f"{edits.text(ctx, column)}.{method}({edits.text(ctx, other)})"
    return edits.unsafe(f"Use `.{method}()`", edits.replace(ctx, node, rewritten))
