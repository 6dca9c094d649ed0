"""`MigrationOps`: the operations each module-level function of a migration runs."""

from __future__ import annotations

from pathlib import Path

from semantic_probe import walk

from layercheck.context import RuleContext
from layercheck.rules._base import Need

MIGRATION = (
    "import sqlalchemy as sa\nfrom alembic import op\n\n"
    "revision = 'b'\ndown_revision = 'a'\n\n\n"
    "def upgrade():\n"
    "    op.add_column('users', sa.Column('bio', sa.Text()))\n"
    "    with op.batch_alter_table('posts') as batch_op:\n"
    "        batch_op.drop_column('slug')\n"
    "    _helper()\n\n\n"
    "def _helper():\n"
    "    op.execute('CREATE INDEX ix ON users (bio)')\n\n\n"
    "def downgrade():\n"
    "    op.drop_column('users', 'bio')\n"
    "    run_something_else()\n"
)


def test_ops_per_function_through_helpers(tmp_path: Path) -> None:
    found: dict[str, object] = {}

    def at_end(ctx: RuleContext) -> None:
        ops = ctx.migrations
        found["upgrade"] = [
            (op.name, op.table, op.target, op.batch, op.ddl) for op in ops.ops_of("upgrade")
        ]
        found["downgrade"] = [(op.name, op.table, op.target) for op in ops.ops_of("downgrade")]
        found["opaque"] = (ops.is_opaque("upgrade"), ops.is_opaque("downgrade"))

    files = {"alembic/versions/b.py": MIGRATION}
    walk(tmp_path, files, "alembic/versions/b.py", {Need.MIGRATIONS}, lambda n, c: None, at_end)
    assert found["upgrade"] == [
        ("add_column", "users", "bio", False, True),
        ("batch_alter_table", None, None, False, True),
        ("drop_column", "posts", "slug", True, True),
        ("execute", None, None, False, True),
    ]
    assert found["downgrade"] == [("drop_column", "users", "bio")]
    assert found["opaque"] == (False, True)
