"""SQLAlchemy 2.0 declarative models, one table an entity (app/models/)."""

from __future__ import annotations

import random

from layercheck_bench.plan import Col, Entity
from layercheck_bench.source import LINE_LIMIT, Source, call
from layercheck_bench.templates.growth import Unit, grow, target_lines


def build_model(e: Entity, rng: random.Random) -> Source:
    src = Source(e.module("models"), rng.random() < 0.3, f'"""The {e.plural} table."""')
    src.imp("sqlalchemy.orm", "Mapped", "mapped_column")
    src.imp("app.models.base", "Base", "TimestampMixin")
    src.add("", "", f"class {e.cls}(TimestampMixin, Base):", f'    __tablename__ = "{e.plural}"')
    if rng.random() < 0.3:
        src.imp("sqlalchemy", "UniqueConstraint")
        constraint = f'UniqueConstraint("{e.key.name}", name="uq_{e.plural}_{e.key.name}")'
        one = f"    __table_args__ = ({constraint},)"
        if len(one) <= LINE_LIMIT:
            src.add(one)
        else:
            src.add("    __table_args__ = (", f"        {constraint},", "    )")
    src.add("", "    id: Mapped[int] = mapped_column(primary_key=True)")
    for col in e.cols:
        src.add(*_model_column(src, col, col is e.key))
    refs = [c for c in e.cols if c.ref is not None]
    if refs and rng.random() < 0.7:
        src.imp("sqlalchemy.orm", "relationship")
        src.imp("typing", "TYPE_CHECKING")
        src.add("")
        for col in refs:
            assert col.ref is not None
            src.type_only(col.ref.module("models"), col.ref.cls)
            src.add(f'    {col.ref.name}: Mapped["{col.ref.cls}"] = relationship(lazy="raise")')
    src.add(
        "",
        "    def __repr__(self) -> str:",
        f'        return f"{e.cls}(id={{self.id!r}}, {e.key.name}={{self.{e.key.name}!r}})"',
    )
    grow(src, _model_units(e), target_lines(rng), rng)
    return src


def _model_column(src: Source, col: Col, is_key: bool) -> list[str]:
    head = f"{col.name}: Mapped[{col.py_type}] = mapped_column"
    args: list[str]
    if col.kind == "str":
        src.imp("sqlalchemy", "String")
        args = [f"String({col.length})"]
        args += ["unique=True", "index=True"] if is_key else ['default=""']
    elif col.kind == "text":
        src.imp("sqlalchemy", "Text")
        args = ["Text", "default=None"]
    elif col.kind == "int":
        src.imp("sqlalchemy", "Integer")
        args = ["Integer", "default=0"]
    elif col.kind == "bool":
        src.imp("sqlalchemy", "Boolean")
        args = ["Boolean", "default=False"]
    elif col.kind == "decimal":
        src.imp("sqlalchemy", "Numeric")
        src.imp("decimal", "Decimal")
        args = ["Numeric(12, 2)", 'default=Decimal("0")']
    elif col.kind == "datetime":
        src.imp("sqlalchemy", "DateTime")
        src.plain("datetime as dt")
        args = ["DateTime(timezone=True)", "default=None"]
    elif col.kind == "uuid":
        src.imp("sqlalchemy", "Uuid")
        src.plain("uuid")
        args = ["Uuid", "default=uuid.uuid4", "unique=True"]
    else:
        assert col.ref is not None
        src.imp("sqlalchemy", "ForeignKey")
        args = [f'ForeignKey("{col.ref.plural}.id", ondelete="CASCADE")', "index=True"]
    return call("    ", head, args)


def _model_units(e: Entity) -> list[Unit]:
    units: list[Unit] = []

    def display(src: Source) -> None:
        src.add(
            "",
            "    @property",
            "    def display_name(self) -> str:",
            f'        return f"{e.cls} #{{self.id}}: {{self.{e.key.name}}}"',
        )

    def from_key(src: Source) -> None:
        src.add(
            "",
            "    @classmethod",
            f"    def from_{e.key.name}(cls, value: str) -> {e.cls}:",
            f"        return cls({e.key.name}=value.strip())",
        )

    def to_dict(src: Source) -> None:
        src.add("", "    def to_dict(self) -> dict[str, object]:", "        return {")
        src.add('            "id": self.id,')
        src.add(*(f'            "{c.name}": self.{c.name},' for c in e.cols))
        src.add("        }")

    def touch(src: Source) -> None:
        src.plain("datetime as dt")
        src.add(
            "",
            "    def touch(self) -> None:",
            "        # updated_at is also set by the database; this keeps the",
            "        # object current within the same unit of work.",
            "        self.updated_at = dt.datetime.now(dt.timezone.utc)",
        )

    units += [("display", display), ("from_key", from_key), ("to_dict", to_dict)]
    units.append(("touch", touch))
    for col in e.cols:
        units.extend(_model_col_units(col))
    return units


def _model_col_units(col: Col) -> list[Unit]:
    n = col.name

    def decimal_unit(src: Source) -> None:
        src.imp("decimal", "Decimal")
        src.add(
            "",
            f"    def {n}_with_tax(self, rate: Decimal) -> Decimal:",
            f"        gross = self.{n} * (Decimal(1) + rate)",
            '        return gross.quantize(Decimal("0.01"))',
        )

    def datetime_unit(src: Source) -> None:
        src.plain("datetime as dt")
        src.add(
            "",
            f"    def {n}_passed(self, now: dt.datetime) -> bool:",
            f"        return self.{n} is not None and self.{n} <= now",
        )

    def int_unit(src: Source) -> None:
        src.add(
            "",
            f"    def bump_{n}(self, step: int = 1) -> int:",
            f"        self.{n} += step",
            f"        return self.{n}",
        )

    def bool_unit(src: Source) -> None:
        src.add(
            "",
            f"    def toggle_{n.removeprefix('is_')}(self) -> bool:",
            f"        self.{n} = not self.{n}",
            f"        return self.{n}",
        )

    def text_unit(src: Source) -> None:
        src.add(
            "",
            f"    def {n}_preview(self, size: int = 80) -> str:",
            f'        text = self.{n} or ""',
            "        if len(text) <= size:",
            "            return text",
            '        return text[: size - 3] + "..."',
        )

    by_kind = {
        "decimal": decimal_unit,
        "datetime": datetime_unit,
        "int": int_unit,
        "bool": bool_unit,
        "text": text_unit,
    }
    unit = by_kind.get(col.kind)
    return [(f"col-{n}", unit)] if unit else []
