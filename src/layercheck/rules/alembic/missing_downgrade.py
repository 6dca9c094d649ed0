from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.alembic._helpers import MIGRATIONS, module_function, report_def


class MissingDowngrade(Rule):
    """## What it does
    Checks for an Alembic migration that defines `upgrade()` but no `downgrade()`.

    ## Why is this bad?
    `alembic downgrade -1` is how a bad deploy is rolled back. Without a `downgrade()`,
    Alembic fails on this revision and the database cannot go back past it, so every
    later revision is stuck too. Write the inverse of each operation while the change is
    fresh; if it truly cannot be undone, say so in a `downgrade()` that raises with a
    reason (reported by `empty-downgrade`, where the decision stays visible).

    The finding is at `def upgrade`. A `downgrade` bound any other way at module level
    (imported, assigned, defined under `if`/`try`) counts, and a star import might bring
    one, so those files are left alone.

    ## Example
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "3f2a9c1d4b7e"
    down_revision = None


    def upgrade() -> None:
        op.add_column("users", sa.Column("nickname", sa.String(50)))
    ```

    ## Use instead
    ```python
    from alembic import op
    import sqlalchemy as sa

    revision = "3f2a9c1d4b7e"
    down_revision = None


    def upgrade() -> None:
        op.add_column("users", sa.Column("nickname", sa.String(50)))


    def downgrade() -> None:
        op.drop_column("users", "nickname")
    ```
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC701",
        name="missing-downgrade",
        message="migration `{revision}` has `upgrade()` but no `downgrade()`",
        layers=MIGRATIONS,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from alembic import op\n\n"
            'revision = "a1"\ndown_revision = None\n\n\n'
            "def upgrade():  # error: 5\n"
            '    op.create_table("users")\n',
            note="the finding sits on the name of `upgrade`",
        ),
        Invalid(
            '"""add tags"""\n'
            "import alembic.op\n\n"
            'revision: str = "b2"\ndown_revision: str | None = "a1"\n\n\n'
            "async def helper():\n    pass\n\n\n"
            "async def upgrade() -> None:  # error: 11\n"
            '    alembic.op.create_table("tags")\n',
            note="annotated assignments, async functions, a module import",
        ),
        Invalid(
            {
                "db/migrations/0002_add_tags.py": 'revision = "c3"\ndown_revision = "b2"\n\n'
                "def upgrade():  # error\n    pass\n",
            },
            note="found by its content: `revision` and `down_revision` outside `versions/`",
        ),
        Valid(
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n    pass\n\n"
            "def downgrade():\n    pass\n",
            note="an empty downgrade is `empty-downgrade`'s to judge",
        ),
        Valid(
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n    pass\n\n"
            "if True:\n    def downgrade():\n        pass\n",
            note="defined under a module-level `if`",
        ),
        Valid(
            "from ._shared import downgrade\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n    pass\n",
            note="imported from a helper module",
        ),
        Valid(
            "from ._shared import *\n\n"
            'revision = "a1"\ndown_revision = None\n\n'
            "def upgrade():\n    pass\n",
            note="a star import might bring it",
        ),
        Valid(
            "def upgrade():\n    pass\n",
            path="app/services/upgrades.py",
            note="not a migration: no `revision`, not under `versions/`",
        ),
        Valid(
            "class Migration:\n    def upgrade(self):\n        pass\n",
            note="a method named `upgrade` is not Alembic's function",
        ),
    )

    def visit_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        if "downgrade" in ctx.names.module_scope:
            return
        facts = ctx.index.by_path.get(str(ctx.path))
        if facts is not None and any(
            fact.from_module is not None and fact.target == fact.from_module
            for fact in facts.imports
            if not fact.in_function
        ):
            return  # `from x import *`
        upgrade = module_function(node, "upgrade")
        if upgrade is None:
            return
        revision = facts.revision.revision if facts and facts.revision else None
        report_def(self, upgrade, ctx, revision=revision or ctx.path.stem)
