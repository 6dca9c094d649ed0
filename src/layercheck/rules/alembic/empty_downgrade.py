from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.alembic._helpers import (
    MIGRATIONS,
    is_empty_body,
    module_function,
    report_def,
)


class EmptyDowngrade(Rule):
    """## What it does
    Checks for a `downgrade()` that does nothing (`pass`, `...`, a docstring, or
    `raise NotImplementedError`) while `upgrade()` changes the schema.

    ## Why is this bad?
    An empty `downgrade()` lets `alembic downgrade` report success while the tables,
    columns and indexes of the revision stay in place: the schema no longer matches the
    revision Alembic records, and the next `upgrade` fails on objects that already
    exist. A `raise NotImplementedError` at least stops the rollback, but only when it
    runs, usually during an incident.

    `upgrade()` changes the schema when it calls any `op.*` operation other than
    `execute`, `bulk_insert`, `get_bind`, `get_context`, `inline_literal`, `f` and
    `run_async`, uses `batch_alter_table`, or passes `op.execute` literal SQL with a
    statement starting with `CREATE`, `ALTER`, `DROP`, `RENAME` or `COMMENT`
    (`text(...)`, `dedent(...)` and f-strings are read too). Data-only migrations, merge
    revisions and migrations whose `upgrade()` is empty as well are left alone.
    Operations in module-level helper functions that `upgrade()` calls count.

    ## Example
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "8b1e4d2c9a05"
    down_revision = "3f2a9c1d4b7e"


    def upgrade() -> None:
        op.create_index("ix_posts_author_id", "posts", ["author_id"])


    def downgrade() -> None:
        pass
    ```

    ## Use instead
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "8b1e4d2c9a05"
    down_revision = "3f2a9c1d4b7e"


    def upgrade() -> None:
        op.create_index("ix_posts_author_id", "posts", ["author_id"])


    def downgrade() -> None:
        op.drop_index("ix_posts_author_id", table_name="posts")
    ```
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.MIGRATIONS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC702",
        name="empty-downgrade",
        message="`downgrade()` does nothing while `upgrade()` changes the schema ({change})",
        layers=MIGRATIONS,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.add_column("users", sa.Column("age", sa.Integer()))\n\n'
            "def downgrade():  # error: 5\n"
            '    """Nothing to do."""\n'
            "    pass\n",
            note="a docstring and `pass`",
        ),
        Invalid(
            "from alembic import op as operations\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    with operations.batch_alter_table("users") as batch_op:\n'
            '        batch_op.drop_column("legacy")\n\n'
            "def downgrade():  # error\n"
            '    raise NotImplementedError("irreversible")\n',
            note="`raise NotImplementedError`, an aliased `op` and a batch context",
        ),
        Invalid(
            "from textwrap import dedent\nfrom alembic import op\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def _create_view():\n"
            '    op.execute(dedent("""\n'
            "        -- reporting\n"
            "        CREATE VIEW active_users AS SELECT * FROM users WHERE active\n"
            '    """))\n\n'
            "def upgrade():\n    _create_view()\n\n"
            "def downgrade():  # error\n    ...\n",
            note="DDL in literal SQL, run through a module-level helper",
        ),
        Valid(
            "from alembic import op\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            "    op.execute(\"UPDATE users SET role = 'member' WHERE role IS NULL\")\n\n"
            "def downgrade():\n    pass\n",
            note="a data-only migration: the SQL does not change the schema",
        ),
        Valid(
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    roles = sa.table("roles", sa.column("name", sa.String))\n'
            '    op.bulk_insert(roles, [{"name": "admin"}])\n'
            "    conn = op.get_bind()\n"
            '    conn.execute(sa.text("DELETE FROM sessions WHERE expired"))\n\n'
            "def downgrade():\n    pass\n",
            note="`bulk_insert`, `get_bind` and `sa.table` do not change the schema",
        ),
        Valid(
            'revision = "m1"\ndown_revision = ("a1", "b2")\n\n'
            "def upgrade():\n    pass\n\n"
            "def downgrade():\n    pass\n",
            note="a merge revision: both functions empty",
        ),
        Valid(
            "from alembic import op\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.create_table("tags")\n\n'
            "def downgrade():\n"
            '    op.drop_table("tags")\n',
        ),
        Valid(
            "from app.migration_ops import op\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n"
            '    op.create_table("tags")\n\n'
            "def downgrade():\n    pass\n",
            note="a project object named `op` is not Alembic's",
        ),
    )

    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        downgrade = module_function(node, "downgrade")
        if downgrade is None or not is_empty_body(downgrade.body):
            return
        if module_function(node, "upgrade") is None:
            return
        changes = [op for op in ctx.migrations.ops_of("upgrade") if op.ddl]
        if changes:
            # Name an operation inside the batch context rather than the context itself.
            change = next((op for op in changes if op.name != "batch_alter_table"), changes[0])
            report_def(self, downgrade, ctx, change=change.label)
