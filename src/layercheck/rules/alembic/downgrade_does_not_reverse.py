from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from typing import ClassVar, Final

from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.alembic._helpers import (
    CREATE_CONSTRAINTS,
    MIGRATIONS,
    is_empty_body,
    module_function,
)
from layercheck.semantic.migrations import Op


def _same(wanted: str | None, given: str | None) -> bool:
    """Names match; an unknown name (not a literal) matches anything."""
    return wanted is None or given is None or wanted == given


def _inverse(op: Op, other: Op) -> bool:
    """`other` undoes `op` (or removes what `op` worked on)."""
    kind, table, target = other.name, other.table, other.target
    if kind == "drop_table" and op.name != "drop_table" and not op.name.startswith("drop_"):
        return op.name != "rename_table" and _same(op.table, table)
    if kind == "create_table" and op.name in {"drop_table", "drop_column", "drop_constraint"}:
        return _same(op.table, table)
    if kind == "drop_column" and op.name in _ON_COLUMNS and _same(op.table, table):
        # dropping a column drops the indexes and constraints on it
        return target is not None and target in _columns(op)
    match op.name:
        case "add_column":
            return kind == "drop_column" and _same(op.table, table) and _same(op.target, target)
        case "drop_column":
            return kind == "add_column" and _same(op.table, table) and _same(op.target, target)
        case "create_index":
            return kind == "drop_index" and _same(op.target, target)
        case "drop_index":
            return kind == "create_index" and _same(op.target, target)
        case "drop_constraint":
            return kind in CREATE_CONSTRAINTS and _same(op.target, target)
        case "rename_table":
            return kind == "rename_table" and _same(op.target, table) and _same(op.table, target)
        case "alter_column":
            renamed = _keyword(op.node, "new_column_name")
            return (
                kind in {"alter_column", "drop_column"}
                and _same(op.table, table)
                and (_same(op.target, target) or (renamed is not None and renamed == target))
            )
        case _ if op.name in CREATE_CONSTRAINTS:
            return kind == "drop_constraint" and _same(op.target, target)
    return False


_ON_COLUMNS: Final = {
    "create_index": 2,
    "create_unique_constraint": 2,
    "create_foreign_key": 3,
    "create_check_constraint": -1,
}
"""Operations on columns, and where their column list is (-1: none readable)."""


def _columns(op: Op) -> tuple[str, ...]:
    """The literal column names an index or constraint is on (`op.create_index("ix",
    "users", ["email"])`, `columns=[...]`, `local_cols=[...]`)."""
    at = _ON_COLUMNS.get(op.name, -1)
    args = op.node.args
    if op.batch:
        at -= 1  # `batch_op.create_index("ix", ["email"])`: no table argument
    node: ast.expr | None = args[at] if 0 <= at < len(args) else None
    for keyword in op.node.keywords:
        if keyword.arg in {"columns", "local_cols"}:
            node = keyword.value
    if not isinstance(node, ast.List | ast.Tuple):
        return ()
    return tuple(
        e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
    )


def _keyword(call: ast.Call, name: str) -> str | None:
    for keyword in call.keywords:
        if keyword.arg == name and isinstance(keyword.value, ast.Constant):
            value = keyword.value.value
            return value if isinstance(value, str) else None
    return None


_CHECKED = frozenset(
    {
        "create_table",
        "drop_table",
        "add_column",
        "drop_column",
        "create_index",
        "drop_index",
        "drop_constraint",
        "rename_table",
        "alter_column",
        *CREATE_CONSTRAINTS,
    }
)


# Every way `_inverse(op, other)` holds needs `other` on the same table (a rename: on
# `op`'s new name) or on the same target, by `other`'s kind; other kinds undo nothing.
_BY_TABLE: Final = frozenset(
    {"drop_table", "create_table", "drop_column", "add_column", "alter_column", "rename_table"}
)
_BY_TARGET: Final = frozenset(
    {"drop_index", "create_index", "drop_constraint", *CREATE_CONSTRAINTS}
)


class _Undoers:
    """The operations that may undo others, by kind and by the name `_inverse` compares:
    a migration with hundreds of operations asks about a few each, not all."""

    def __init__(self, ops: Sequence[tuple[int, Op]]) -> None:
        self._by_kind: dict[str, list[tuple[int, Op]]] = {}
        self._by_name: dict[tuple[str, str | None], list[tuple[int, Op]]] = {}
        for place, op in ops:
            if op.name not in _BY_TABLE and op.name not in _BY_TARGET:
                continue
            name = op.table if op.name in _BY_TABLE else op.target
            self._by_kind.setdefault(op.name, []).append((place, op))
            self._by_name.setdefault((op.name, name), []).append((place, op))

    def after(self, op: Op, position: int) -> Iterator[Op]:
        """Those placed after `position` that `_inverse(op, ...)` may hold for."""
        for kind, every in self._by_kind.items():
            if kind == "rename_table":
                wanted = op.target
            else:
                wanted = op.table if kind in _BY_TABLE else op.target
            if wanted is None:
                found = every  # an unknown name matches any
            else:
                found = [
                    *self._by_name.get((kind, wanted), ()),
                    *self._by_name.get((kind, None), ()),
                ]
            for place, other in found:
                if place > position:
                    yield other


def _known(op: Op) -> bool:
    """The operation is checked and its names are literals."""
    if op.name not in _CHECKED:
        return False
    if op.name in {"create_table", "drop_table"}:
        return op.table is not None
    if op.name in {"rename_table", "add_column", "drop_column", "alter_column"}:
        return op.table is not None and op.target is not None
    return op.target is not None


def _subject(op: Op) -> str:
    if op.name == "rename_table":
        return f"`{op.table}` -> `{op.target}`"
    if op.name in {"create_table", "drop_table"} or op.target is None:
        return f"`{op.table}`"
    if op.name in {"add_column", "drop_column", "alter_column"}:
        return f"`{op.table}.{op.target}`"
    return f"`{op.target}`"


def _refuses(body: Sequence[ast.stmt]) -> bool:
    """`downgrade()` raises at its top level (`raise NotImplementedError(...)`), after
    guards that return early at most."""
    return any(isinstance(stmt, ast.Raise) for stmt in body)


def _mentioned(op: Op, sql: Sequence[str]) -> bool:
    names = [name for name in (op.table, op.target) if name]
    return any(
        re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", text, re.I)
        for text in sql
        for name in names
    )


class DowngradeDoesNotReverse(Rule):
    """## What it does
    Checks for an `upgrade()` operation that `downgrade()` does not undo.

    ## Why is this bad?
    A downgrade that undoes only part of the upgrade leaves the database in a schema
    that matches no revision: a column that should be gone, an index that was never
    dropped. Alembic records the older revision anyway, so the next `upgrade` fails on
    the leftover, or the application runs against a schema it does not expect. This
    usually happens when a migration is edited after it was generated and only
    `upgrade()` gets the new operation.

    Operations are matched by table, column, index and constraint names: `create_table`
    / `drop_table`, `add_column` / `drop_column`, `create_index` / `drop_index`,
    `create_foreign_key`, `create_unique_constraint`, `create_check_constraint`,
    `create_primary_key` / `drop_constraint`, `rename_table(a, b)` /
    `rename_table(b, a)`, and `alter_column` on the same column (or its new name).
    `op.f("name")` is read as the name, and `batch_alter_table("users")` contexts count
    with their table. Dropping a table in `downgrade()` undoes whatever `upgrade()` added
    to it, and dropping a column undoes the indexes and constraints `upgrade()` created on
    it (their columns given as a literal list). A `downgrade()` that raises at its top
    level (`raise NotImplementedError("irreversible")`) declares the migration one-way:
    nothing is reported. An operation undone later in `upgrade()` itself (a temporary
    table) needs no inverse. Each operation without an inverse is reported where it is
    called.

    Where the source cannot tell, nothing is reported: a name that is not a literal, an
    inverse operation with such a name in `downgrade()`, raw SQL in `downgrade()` that
    names the object, or a `downgrade()` that calls code the rule cannot follow
    (`conn.execute(...)`, an imported helper). Module-level helpers are followed. An
    empty or missing `downgrade()` is `empty-downgrade`'s and `missing-downgrade`'s.

    ## Example
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "c4d5e6f7a8b9"
    down_revision = "8b1e4d2c9a05"


    def upgrade() -> None:
        op.add_column("users", sa.Column("nickname", sa.String(50)))
        op.create_index("ix_users_nickname", "users", ["nickname"])


    def downgrade() -> None:
        op.drop_index("ix_users_nickname", table_name="users")
    ```

    ## Use instead
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "c4d5e6f7a8b9"
    down_revision = "8b1e4d2c9a05"


    def upgrade() -> None:
        op.add_column("users", sa.Column("nickname", sa.String(50)))
        op.create_index("ix_users_nickname", "users", ["nickname"])


    def downgrade() -> None:
        op.drop_index("ix_users_nickname", table_name="users")
        op.drop_column("users", "nickname")
    ```
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.MIGRATIONS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC703",
        name="downgrade-does-not-reverse",
        message="`{operation}` on {subject} is not undone in `downgrade()`",
        layers=MIGRATIONS,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            "def upgrade():\n"
            "    op.add_column('users', sa.Column('email', sa.String()))\n"
            "    op.create_index('ix_users_email', 'users', ['email'])\n"
            "    op.create_unique_constraint('uq_users_email', 'users', ['email'])\n\n"
            "def downgrade():\n"
            "    op.drop_column('users', 'email')\n",
            path="alembic/versions/0002_email.py",
            note="dropping the column drops its index and constraint",
        ),
        Invalid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            "def upgrade():\n"
            "    op.add_column('users', sa.Column('email', sa.String()))\n"
            "    op.create_index('ix_users_name', 'users', ['name'])  # error\n\n"
            "def downgrade():\n"
            "    op.drop_column('users', 'email')\n",
            path="alembic/versions/0002_email.py",
            note="near miss: an index on another column stays",
        ),
        Valid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            "def upgrade():\n"
            "    op.create_table('events', sa.Column('id', sa.Integer()))\n"
            "    op.create_index('ix_events_id', 'events', ['id'])\n\n"
            "def downgrade():\n"
            "    raise NotImplementedError('one-way: rebuild from a fresh database')\n",
            path="alembic/versions/0003_events.py",
            note="a downgrade that refuses: the migration is declared one-way",
        ),
        Invalid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.create_table("tags", sa.Column("id", sa.Integer()))  # error: 5\n'
            '    op.add_column("users", sa.Column("email", sa.String()))\n'
            "    op.create_index(\n"
            '        op.f("ix_users_email"), "users", ["email"], unique=True\n'
            "    )\n"
            '    op.create_foreign_key("fk_posts_users", "posts", "users", ["uid"], ["id"])'
            "  # error\n\n"
            "def downgrade():\n"
            '    op.drop_index(op.f("ix_users_email"), table_name="users")\n'
            '    op.drop_column("users", "email")\n',
            note="a partial downgrade: each operation without an inverse is reported",
        ),
        Invalid(
            "import sqlalchemy as sa\nfrom alembic import op\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    with op.batch_alter_table("users") as batch_op:\n'
            '        batch_op.add_column(sa.Column("age", sa.Integer()))\n'
            '        batch_op.add_column(sa.Column("bio", sa.Text()))  # error\n'
            '    op.rename_table("post", "posts")  # error\n\n'
            "def downgrade():\n"
            '    with op.batch_alter_table("users") as batch_op:\n'
            '        batch_op.drop_column("age")\n'
            '    op.rename_table("post", "posts")\n',
            note="batch contexts count with their table; a rename must go back",
        ),
        Invalid(
            "from alembic import op\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.alter_column("users", "name", new_column_name="full_name")\n'
            '    op.drop_constraint("uq_users_email", "users", type_="unique")  # error\n\n'
            "def downgrade():\n"
            '    op.alter_column("users", "full_name", new_column_name="name")\n',
            note="an `alter_column` rename is undone under its new name",
        ),
        Valid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.create_table("tags", sa.Column("id", sa.Integer()))\n'
            '    op.create_index("ix_tags_id", "tags", ["id"])\n'
            '    op.create_unique_constraint("uq_tags_id", "tags", ["id"])\n\n'
            "def downgrade():\n"
            '    op.drop_table("tags")\n',
            note="dropping the table undoes its indexes and constraints",
        ),
        Valid(
            "from alembic import op\n\n"
            'revision = "a1"\ndown_revision = None\nTABLES = ["a", "b"]\n\n'
            "def upgrade():\n"
            '    op.create_table("a")\n    op.create_table("b")\n\n'
            "def downgrade():\n"
            "    for name in TABLES:\n"
            "        op.drop_table(name)\n",
            note="a name that is not a literal may be any table",
        ),
        Valid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.add_column("users", sa.Column("age", sa.Integer()))\n'
            '    op.create_index("ix_users_age", "users", ["age"])\n\n'
            "def downgrade():\n"
            '    op.execute("DROP INDEX IF EXISTS ix_users_age")\n'
            "    conn = op.get_bind()\n"
            '    conn.execute(sa.text("ALTER TABLE users DROP COLUMN age"))\n',
            note="raw SQL names the index; a connection call cannot be followed",
        ),
        Valid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.create_table("_tmp", sa.Column("id", sa.Integer()))\n'
            '    op.execute("INSERT INTO _tmp SELECT id FROM users")\n'
            '    op.drop_table("_tmp")\n\n'
            "def downgrade():\n    pass\n",
            note="a temporary table is undone in `upgrade()` itself",
        ),
        Valid(
            "from alembic import op\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.create_table("tags")\n\n'
            "def downgrade():\n    pass\n",
            note="an empty downgrade is `empty-downgrade`'s",
        ),
    )

    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        downgrade = module_function(node, "downgrade")
        if downgrade is None or is_empty_body(downgrade.body):
            return
        if _refuses(downgrade.body):
            return  # a migration declared irreversible: nothing is meant to be undone
        if ctx.migrations.is_opaque("downgrade"):
            return
        undo = ctx.migrations.ops_of("downgrade")
        sql = [op.sql for op in undo if op.name == "execute" and op.sql is not None]
        if any(op.name == "execute" and op.sql is None for op in undo):
            return  # SQL the rule cannot read
        done = ctx.migrations.ops_of("upgrade")
        # `downgrade()`'s operations come after all of `upgrade()`'s; those of `upgrade()`
        # undo only the ones before them (a temporary table).
        undoers = _Undoers([*enumerate(done), *((len(done), op) for op in undo)])
        for position, op in enumerate(done):
            if not _known(op):
                continue
            if any(_inverse(op, other) for other in undoers.after(op, position)):
                continue
            if _mentioned(op, sql):
                continue
            ctx.report(self, op.node, operation=op.label, subject=_subject(op))
