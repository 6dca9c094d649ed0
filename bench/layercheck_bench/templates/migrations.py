"""Alembic revisions in alembic/versions/: one that creates each table, then a chain of
alterations that fills the file count."""

from __future__ import annotations

import random

from layercheck_bench.plan import Col, Entity
from layercheck_bench.source import Source, call


def _sa_column(col: Col) -> str:
    types = {
        "str": f"sa.String(length={col.length})",
        "text": "sa.Text()",
        "int": "sa.Integer()",
        "bool": "sa.Boolean()",
        "decimal": "sa.Numeric(precision=12, scale=2)",
        "datetime": "sa.DateTime(timezone=True)",
        "uuid": "sa.Uuid()",
        "fk": "sa.Integer()",
    }
    nullable = col.kind in {"text", "datetime"}
    return f'sa.Column("{col.name}", {types[col.kind]}, nullable={nullable})'


def _revision_header(slug: str, rev: str, down: str | None, day: int) -> Source:
    # Alembic's own template: no __future__ import, header docstring with the ids.
    doc = (
        f'"""{slug.replace("_", " ")}\n\nRevision ID: {rev}\nRevises:{f" {down}" if down else ""}\n'
        f'Create Date: 2024-{1 + day // 28 % 12:02d}-{1 + day % 28:02d} 10:00:00.000000\n\n"""'
    )
    src = Source("", docstring=doc, future=False)
    src.imp("collections.abc", "Sequence")
    src.plain("sqlalchemy as sa")
    src.imp("alembic", "op")
    src.add(
        "",
        "# revision identifiers, used by Alembic.",
        f'revision: str = "{rev}"',
        f"down_revision: str | None = {f'{down!r}' if down else 'None'}".replace("'", '"'),
        "branch_labels: str | Sequence[str] | None = None",
        "depends_on: str | Sequence[str] | None = None",
    )
    return src


def build_create_migration(e: Entity, rev: str, down: str | None, day: int) -> Source:
    t = e.plural
    src = _revision_header(f"create_{t}", rev, down, day)
    src.add("", "", "def upgrade() -> None:", "    op.create_table(", f'        "{t}",')
    src.add('        sa.Column("id", sa.Integer(), nullable=False),')
    for col in e.cols:
        src.add(*call("        ", "sa.Column", _sa_column(col)[10:-1].split(", "), ","))
    stamp = 'sa.DateTime(timezone=True), server_default=sa.text("now()")'
    for name in ("created_at", "updated_at"):
        src.add(*call("        ", "sa.Column", [f'"{name}"', *stamp.split(", ")], ","))
    for col in e.cols:
        if col.ref is not None:
            args = [f'["{col.name}"]', f'["{col.ref.plural}.id"]', 'ondelete="CASCADE"']
            src.add(*call("        ", "sa.ForeignKeyConstraint", args, ","))
    src.add('        sa.PrimaryKeyConstraint("id"),', "    )")
    indexed = [e.key, *(c for c in e.cols if c.kind == "fk")]
    for col in indexed:
        unique = "True" if col is e.key else "False"
        args = [f'op.f("ix_{t}_{col.name}")', f'"{t}"', f'["{col.name}"]', f"unique={unique}"]
        src.add(*call("    ", "op.create_index", args))
    src.add("", "", "def downgrade() -> None:")
    for col in reversed(indexed):
        src.add(*call("    ", "op.drop_index", [f'op.f("ix_{t}_{col.name}")', f'table_name="{t}"']))
    src.add(f'    op.drop_table("{t}")')
    return src


def build_alter_migration(
    e: Entity, rev: str, down: str | None, day: int, rng: random.Random
) -> Source:
    t = e.plural
    name = rng.choice(("legacy_ref", "sort_key", "import_batch", "source_system", "checksum"))
    src = _revision_header(f"add_{name}_to_{t}", rev, down, day)
    src.add(
        "",
        "",
        "def upgrade() -> None:",
        *call("    ", "op.add_column", [f'"{t}"', f'sa.Column("{name}", sa.String(64))']),
        "    # Backfill before the index so the build does not fight live writes.",
        f"    op.execute(sa.text(\"UPDATE {t} SET {name} = '' WHERE {name} IS NULL\"))",
        *call("    ", "op.create_index", [f'op.f("ix_{t}_{name}")', f'"{t}"', f'["{name}"]']),
        "",
        "",
        "def downgrade() -> None:",
        *call("    ", "op.drop_index", [f'op.f("ix_{t}_{name}")', f'table_name="{t}"']),
        f'    op.drop_column("{t}", "{name}")',
    )
    return src
