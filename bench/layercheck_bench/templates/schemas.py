"""Pydantic v2 request and response schemas, one module an entity (app/schemas/)."""

from __future__ import annotations

import random

from layercheck_bench.plan import Col, Entity
from layercheck_bench.source import Source
from layercheck_bench.templates.growth import Unit, grow, target_lines


def _schema_field(src: Source, col: Col, is_key: bool) -> str:
    if col.kind == "str":
        src.imp("pydantic", "Field")
        if is_key:
            return f"    {col.name}: str = Field(min_length=1, max_length={col.length})"
        return f'    {col.name}: str = Field(default="", max_length={col.length})'
    if col.kind == "text":
        return f"    {col.name}: str | None = None"
    if col.kind == "int":
        src.imp("pydantic", "Field")
        return f"    {col.name}: int = Field(default=0, ge=0)"
    if col.kind == "bool":
        return f"    {col.name}: bool = False"
    if col.kind == "decimal":
        src.imp("pydantic", "Field")
        src.imp("decimal", "Decimal")
        return f'    {col.name}: Decimal = Field(default=Decimal("0"), ge=0)'
    if col.kind == "datetime":
        src.plain("datetime as dt")
        return f"    {col.name}: dt.datetime | None = None"
    src.imp("pydantic", "Field")
    return f"    {col.name}: int = Field(gt=0)"


def build_schema(e: Entity, rng: random.Random) -> Source:
    src = Source(e.module("schemas"), rng.random() < 0.3, f'"""API shapes of {e.plural}."""')
    src.imp("pydantic", "BaseModel", "ConfigDict")
    src.plain("datetime as dt")
    writable = [c for c in e.cols if c.kind != "uuid"]
    src.add("", "", f"class {e.cls}Base(BaseModel):")
    src.add(*(_schema_field(src, c, c is e.key) for c in writable))
    src.add("", "", f"class {e.cls}Create({e.cls}Base):", "    pass")
    src.add("", "", f"class {e.cls}Update(BaseModel):")
    for col in writable:
        if col.kind == "decimal":
            src.imp("decimal", "Decimal")
        if col.kind == "datetime":
            src.add(f"    {col.name}: {col.py_type} = None")
        else:
            src.add(f"    {col.name}: {col.py_type} | None = None")
    src.add("", "", f"class {e.cls}Read({e.cls}Base):")
    src.add("    model_config = ConfigDict(from_attributes=True)", "", "    id: int")
    for col in e.cols:
        if col.kind == "uuid":
            src.plain("uuid")
            src.add(f"    {col.name}: uuid.UUID")
    src.add("    created_at: dt.datetime", "    updated_at: dt.datetime")
    grow(src, _schema_units(e), target_lines(rng), rng)
    return src


def _schema_units(e: Entity) -> list[Unit]:
    c = e.cls

    def page(src: Source) -> None:
        src.add(
            "",
            "",
            f"class {c}Page(BaseModel):",
            f"    items: list[{c}Read]",
            "    total: int",
            "    offset: int = 0",
            "    limit: int = 50",
        )

    def summary(src: Source) -> None:
        src.add(
            "",
            "",
            f"class {c}Summary(BaseModel):",
            "    model_config = ConfigDict(from_attributes=True, frozen=True)",
            "",
            "    id: int",
            f"    {e.key.name}: str",
        )

    def filters(src: Source) -> None:
        src.imp("pydantic", "Field")
        src.add(
            "",
            "",
            f"class {c}Filter(BaseModel):",
            "    q: str | None = Field(default=None, max_length=100)",
            "    created_after: dt.datetime | None = None",
            "    created_before: dt.datetime | None = None",
        )
        src.imp("pydantic", "model_validator")
        src.add(
            "",
            '    @model_validator(mode="after")',
            f"    def check_range(self) -> {c}Filter:",
            "        after, before = self.created_after, self.created_before",
            "        if after and before and after > before:",
            '            raise ValueError("created_after is after created_before")',
            "        return self",
        )

    def key_validator(src: Source) -> None:
        src.imp("pydantic", "field_validator")
        src.add(
            "",
            "",
            f"class {c}Rename(BaseModel):",
            f"    {e.key.name}: str",
            "",
            f'    @field_validator("{e.key.name}")',
            "    @classmethod",
            "    def strip(cls, value: str) -> str:",
            "        value = value.strip()",
            "        if not value:",
            '            raise ValueError("must not be blank")',
            "        return value",
        )

    def export(src: Source) -> None:
        src.imp("pydantic", "computed_field")
        src.add(
            "",
            "",
            f"class {c}Export({c}Read):",
            "    @computed_field  # type: ignore[prop-decorator]",
            "    @property",
            "    def age_days(self) -> int:",
            "        now = dt.datetime.now(dt.timezone.utc)",
            "        return (now - self.created_at).days",
        )

    def bulk(src: Source) -> None:
        src.imp("pydantic", "Field")
        src.add(
            "",
            "",
            f"class {c}BulkCreate(BaseModel):",
            f"    items: list[{c}Create] = Field(min_length=1, max_length=500)",
        )

    units: list[Unit] = [("page", page), ("summary", summary), ("filters", filters)]
    units += [("key", key_validator), ("export", export), ("bulk", bulk)]
    return units
