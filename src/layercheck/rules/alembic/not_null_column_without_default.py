from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.alembic._helpers import (
    GENERATED_VALUES,
    MIGRATIONS,
)
from layercheck.semantic.migrations import Op, argument, column_call


def _not_null_without_default(column: ast.Call, ctx: RuleContext) -> bool:
    """`nullable=False` spelled out, no `server_default` (or `server_default=None`), no
    `**kwargs`, and no `Identity()`/`Computed()`/`Sequence()` that fills the rows."""
    nullable = False
    for keyword in column.keywords:
        if keyword.arg is None:
            return False
        if keyword.arg == "server_default":
            value = keyword.value
            if not (isinstance(value, ast.Constant) and value.value is None):
                return False
        if keyword.arg == "nullable":
            nullable = isinstance(keyword.value, ast.Constant) and keyword.value.value is False
    if not nullable:
        return False
    for arg in column.args:
        if isinstance(arg, ast.Starred):
            return False
        if isinstance(arg, ast.Call) and ctx.qualified(arg.func) in GENERATED_VALUES:
            return False
    return True


class NotNullColumnWithoutDefault(Rule):
    """## What it does
    Checks for `op.add_column(...)` in `upgrade()` with a `nullable=False` column and no
    `server_default`.

    ## Why is this bad?
    Adding a NOT NULL column to a table that already has rows needs a value for each of
    them. Without a server default, PostgreSQL and MySQL reject the statement
    (`column "x" contains null values`), so the migration passes on an empty
    development database and fails in production, in the middle of a deploy. A
    Python-side `default=` does not help: the database never sees it. Either give the
    column a `server_default`, or add it as nullable, fill it, and then
    `alter_column(..., nullable=False)`.

    `batch_op.add_column(...)` inside `batch_alter_table` counts too, and so do
    module-level helpers that `upgrade()` calls. Left alone: a table created earlier in
    the same `upgrade()` (it is empty), columns whose values come from `Identity()`,
    `Computed()` or `Sequence()`, a `Column` built elsewhere or with `**kwargs`, and
    `downgrade()`.

    ## Example
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "c4d5e6f7a8b9"
    down_revision = "8b1e4d2c9a05"


    def upgrade() -> None:
        op.add_column("users", sa.Column("is_verified", sa.Boolean(), nullable=False))


    def downgrade() -> None:
        op.drop_column("users", "is_verified")
    ```

    ## Use instead
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "c4d5e6f7a8b9"
    down_revision = "8b1e4d2c9a05"


    def upgrade() -> None:
        op.add_column(
            "users",
            sa.Column("is_verified", sa.Boolean(), server_default=sa.false(), nullable=False),
        )


    def downgrade() -> None:
        op.drop_column("users", "is_verified")
    ```
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.MIGRATIONS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC707",
        name="not-null-column-without-default",
        message="NOT NULL column {column} added without a `server_default`: existing rows "
        "have no value for it",
        layers=MIGRATIONS,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            "    op.add_column(  # error: 5\n"
            '        "users",\n'
            '        sa.Column("role", sa.String(20), default="member", nullable=False),\n'
            "    )\n",
            note="a Python-side `default=` does not fill existing rows",
        ),
        Invalid(
            "from alembic import op\nfrom sqlalchemy import Column, Integer\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    with op.batch_alter_table("posts") as batch_op:\n'
            '        batch_op.add_column(Column("views", Integer, nullable=False))  # error\n',
            note="inside `batch_alter_table`",
        ),
        Invalid(
            "import alembic.op\nimport sqlalchemy as sa\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def _add(table):\n"
            '    alembic.op.add_column(table, sa.Column("x", sa.Integer, nullable=False,'
            " server_default=None))  # error\n\n"
            "def upgrade():\n"
            '    _add("users")\n',
            note="`server_default=None` is no default; a helper called by `upgrade()`",
        ),
        Valid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.add_column("users", sa.Column("role", sa.String(20), nullable=True))\n'
            "    op.execute(\"UPDATE users SET role = 'member'\")\n"
            '    op.alter_column("users", "role", nullable=False)\n',
            note="add nullable, fill, then tighten: the safe sequence",
        ),
        Valid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.create_table("tags", sa.Column("id", sa.Integer(), nullable=False))\n'
            '    op.add_column("tags", sa.Column("slug", sa.String(), nullable=False))\n',
            note="the table was created in the same migration: it has no rows",
        ),
        Valid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.add_column("users", sa.Column("n", sa.Integer(), sa.Identity(),'
            " nullable=False))\n\n"
            "def downgrade():\n"
            '    op.add_column("users", sa.Column("legacy", sa.Text(), nullable=False))\n',
            note="an identity column fills itself; `downgrade()` is not checked",
        ),
        Valid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.add_column("users", sa.Column("active", sa.Boolean(), nullable=False,'
            " server_default=sa.true()))\n",
        ),
    )

    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        created: set[str | None] = set()
        for op in ctx.migrations.ops_of("upgrade"):
            if op.name == "create_table":
                created.add(op.table)
            elif op.name == "add_column" and op.table not in created:
                self._check(op, ctx)

    def _check(self, op: Op, ctx: RuleContext) -> None:
        column = column_call(argument(op.node, 0 if op.batch else 1, ("column",)), ctx)
        if column is None or not _not_null_without_default(column, ctx):
            return
        parts = [part for part in (op.table, op.target) if part]
        ctx.report(self, op.node, column=f"`{'.'.join(parts)}`" if op.target else "")
