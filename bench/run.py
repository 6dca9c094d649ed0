"""layercheck's own benchmark: generate a layered FastAPI project, then time a bare parse of
it, layercheck and flake8 on it, each in fresh subprocesses.

    python bench/run.py [--files 2000] [--seed 1] [--out bench/_generated] [--repeat 3]
                        [--flake8-repeat 2] [--no-flake8-default] [--keep]

Only the standard library is used here; layercheck and flake8 run as subprocesses of the
same interpreter, so every measured command pays interpreter start and imports alike.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "_generated"
# Written into every tree we generate: only a folder holding it is ever wiped, so a
# mistyped --out cannot delete someone's work.
MARKER = ".layercheck-bench"
CACHE_DIR = ".layercheck_cache"
# Wrap generated code where black would; the tree's .flake8 allows 100, as many projects do.
LINE_LIMIT = 88
MIN_LINES, MAX_LINES = 40, 200

# Layer packages under app/, in the order an entity's files are written (callees first).
LAYER_PACKAGES = ("models", "schemas", "repositories", "services", "dependencies", "routes")
# Files every project has whatever its size; an entity adds ENTITY_FILES more.
FIXED_FILES = 19
ENTITY_FILES = 9
# Below this many entities the project is flat (app/services/x_service.py); above, each
# layer has one sub-package per domain, as larger backends do.
FLAT_MAX_ENTITIES = 24
ENTITIES_PER_DOMAIN = 18

# No noun may be a layer word (routes, api, views, crud, core, errors, ...) or shadow a
# name the templates import (Session, status, Table), or the layer of a file would change.
NOUNS = (
    "account", "address", "invoice", "payment", "refund", "order", "cart", "product",
    "category", "supplier", "warehouse", "shipment", "parcel", "customer", "coupon",
    "voucher", "subscription", "plan", "ticket", "comment", "review", "article", "tag",
    "team", "member", "project", "task", "milestone", "sprint", "document", "folder",
    "attachment", "notification", "webhook", "device", "location", "vehicle", "driver",
    "booking", "room", "venue", "contract", "lead", "campaign", "survey", "question",
    "answer", "badge", "reward", "wallet", "transfer", "ledger", "budget", "expense",
    "shift", "employee", "department", "course", "lesson", "enrollment", "recipe",
    "ingredient", "playlist", "track", "album", "listing", "offer", "auction", "bid",
)  # fmt: skip
QUALIFIERS = ("", "draft", "template", "snapshot", "batch", "rule", "note", "link", "quota")
DOMAINS = (
    "billing", "catalog", "inventory", "accounts", "orders", "shipping", "messaging",
    "analytics", "scheduling", "payments", "marketing", "support", "content", "learning",
    "hiring", "logistics", "identity", "commerce", "media", "partners",
)  # fmt: skip

STR_FIELDS = ("title", "code", "slug", "email", "reference", "label", "currency", "sku")
MORE_STR = ("external_ref", "region", "channel", "country", "locale", "kind", "owner")
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "str": STR_FIELDS + MORE_STR,
    "text": ("description", "notes", "summary", "body", "remark"),
    "int": ("quantity", "position", "priority", "attempts", "revision", "rank", "capacity"),
    "bool": ("is_active", "is_archived", "is_verified", "is_public", "is_default"),
    "decimal": ("amount", "price", "total", "balance", "discount", "weight", "rate"),
    "datetime": ("starts_at", "ends_at", "paid_at", "published_at", "expires_at", "due_at"),
    "uuid": ("public_id",),
}

STDLIB_ROOTS = frozenset(
    {"__future__", "collections", "datetime", "decimal", "functools", "logging", "os"}
    | {"typing", "uuid", "contextlib", "secrets", "hashlib", "csv", "io", "enum", "asyncio"}
)
THIRD_PARTY_ROOTS = frozenset(
    {"fastapi", "starlette", "sqlalchemy", "pydantic", "pydantic_settings", "alembic"}
    | {"httpx", "pytest", "jwt"}
)

PARSE_FLOOR = """\
import ast, os, sys
count = 0
for folder, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        if name.endswith(".py"):
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                ast.parse(handle.read(), path)
            count += 1
print(count)
"""


# ---------------------------------------------------------------------------------------
# Source text with its imports
# ---------------------------------------------------------------------------------------


def _section(module: str) -> int:
    root = module.split()[0].split(".")[0]
    if module.startswith("."):
        return 4
    if root == "__future__":
        return 0
    if root in STDLIB_ROOTS:
        return 1
    if root in THIRD_PARTY_ROOTS:
        return 2
    return 3


def _wrap_import(head: str, names: Sequence[str], indent: str = "") -> list[str]:
    one = f"{indent}{head} import {', '.join(names)}"
    if len(one) <= LINE_LIMIT:
        return [one]
    return [f"{indent}{head} import (", *(f"{indent}    {n}," for n in names), f"{indent})"]


def call(
    indent: str, head: str, args: Sequence[str], tail: str = "", brackets: str = "()"
) -> list[str]:
    """`head(args)tail` on one line when it fits, else wrapped the way black wraps it."""
    left, right = brackets[0], brackets[1]
    one = f"{indent}{head}{left}{', '.join(args)}{right}{tail}"
    if len(one) <= LINE_LIMIT or not args:
        return [one]
    inner = f"{indent}    {', '.join(args)}"
    if len(inner) <= LINE_LIMIT:
        return [f"{indent}{head}{left}", inner, f"{indent}{right}{tail}"]
    return [
        f"{indent}{head}{left}",
        *(f"{indent}    {a}," for a in args),
        f"{indent}{right}{tail}",
    ]


def chain(indent: str, target: str, first: str, *links: str) -> list[str]:
    """`target = first.link1.link2` or, when too long, black's parenthesized chain."""
    one = f"{indent}{target} = {first}{''.join(links)}"
    if len(one) <= LINE_LIMIT:
        return [one]
    return [
        f"{indent}{target} = (",
        f"{indent}    {first}",
        *(f"{indent}    {link}" for link in links),
        f"{indent})",
    ]


@dataclass
class Source:
    """One generated module: imports are declared where the code needing them is written,
    so no file imports what it does not use (pyflakes stays quiet, as on a real project)."""

    module: str
    relative: bool = False
    docstring: str = ""
    future: bool = True
    body: list[str] = field(default_factory=list)
    froms: dict[str, set[str]] = field(default_factory=dict)
    plains: set[str] = field(default_factory=set)
    checking: dict[str, set[str]] = field(default_factory=dict)

    def imp(self, module: str, *names: str) -> None:
        self.froms.setdefault(self._spell(module), set()).update(names)

    def plain(self, spec: str) -> None:
        self.plains.add(spec)

    def type_only(self, module: str, name: str) -> None:
        self.checking.setdefault(self._spell(module), set()).add(name)

    def add(self, *lines: str) -> None:
        self.body.extend(lines)

    def _spell(self, module: str) -> str:
        # Some files use relative imports for project modules, as real projects mix both.
        if not (self.relative and module.startswith("app.") and "." in self.module):
            return module
        here = self.module.split(".")[:-1]
        there = module.split(".")
        common = 0
        while common < min(len(here), len(there)) and here[common] == there[common]:
            common += 1
        if common == 0:
            return module
        return "." * (len(here) - common + 1) + ".".join(there[common:])

    def render(self) -> str:
        out: list[str] = []
        if self.docstring:
            out.extend([*self.docstring.split("\n"), ""])
        if self.future:
            out.extend(["from __future__ import annotations", ""])
        entries: list[tuple[int, int, str, list[str]]] = []
        for spec in self.plains:
            entries.append((_section(spec), 0, spec, [f"import {spec}"]))
        for module, names in self.froms.items():
            lines = _wrap_import(f"from {module}", sorted(names, key=_import_key))
            entries.append((_section(module), 1, module, lines))
        previous = None
        for section, _, _, lines in sorted(entries, key=lambda e: (e[0], e[1], e[2])):
            if previous is not None and section != previous:
                out.append("")
            out.extend(lines)
            previous = section
        if self.checking:
            if entries:
                out.append("")
            out.append("if TYPE_CHECKING:")
            for module in sorted(self.checking):
                out.extend(_wrap_import(f"from {module}", sorted(self.checking[module]), "    "))
        if entries or self.checking:
            out.append("")
        body = list(self.body)
        while body and body[0] == "":
            body.pop(0)
        if body and body[0].startswith(("class ", "def ", "async def ", "@")) and out:
            out.append("")  # PEP 8: two blank lines before a top-level definition
        while body and body[-1] == "":
            body.pop()
        return "\n".join([*out, *body]) + "\n"

    def line_count(self) -> int:
        return self.render().count("\n")


def _import_key(name: str) -> tuple[bool, str]:
    # isort's order: CONSTANTS, Classes, functions.
    return (not name[:1].isupper(), name)


# ---------------------------------------------------------------------------------------
# The project plan
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    name: str
    kind: str
    length: int = 0
    ref: Entity | None = None

    @property
    def py_type(self) -> str:
        return {
            "str": "str",
            "text": "str | None",
            "int": "int",
            "bool": "bool",
            "decimal": "Decimal",
            "datetime": "dt.datetime | None",
            "uuid": "uuid.UUID",
            "fk": "int",
        }[self.kind]


@dataclass
class Entity:
    name: str
    domain: str | None
    is_async: bool
    cols: list[Col] = field(default_factory=list)
    lc201: str | None = None
    """How its service raises an HTTPException (LC201), if it does."""
    lc201_noqa: bool = False
    route_imports_repository: bool = False
    route_runs_query: bool = False
    repository_imports_service: Entity | None = None
    repository_raises_http: bool = False
    service_imports_route: bool = False

    @property
    def cls(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def plural(self) -> str:
        return plural(self.name)

    @property
    def key(self) -> Col:
        return self.cols[0]

    def module(self, layer: str) -> str:
        domain = f".{self.domain}" if self.domain else ""
        suffix = {"repositories": "_repository", "services": "_service"}.get(layer, "")
        return f"app.{layer}{domain}.{self.name}{suffix}"

    @property
    def path_segment(self) -> str:
        return self.plural.replace("_", "-")

    @property
    def aw(self) -> str:
        return "await " if self.is_async else ""

    @property
    def adef(self) -> str:
        return "async def" if self.is_async else "def"


def plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


@dataclass
class Generated:
    root: Path
    files: int
    lines: int
    planted: dict[str, int]

    @property
    def expected_lc201(self) -> int:
        return self.planted["LC201 http-exception-in-service"]


def _entity_names(rng: random.Random, count: int) -> list[str]:
    names = [f"{n}_{q}" if q else n for q in QUALIFIERS for n in NOUNS]
    head, tail = names[: len(NOUNS)], names[len(NOUNS) :]
    rng.shuffle(head)
    rng.shuffle(tail)
    names = head + tail
    extra = 2
    while len(names) < count:
        names.extend(f"{n}{extra}" for n in NOUNS)
        extra += 1
    return names[:count]


def _plan_sizes(files: int) -> tuple[int, int, int]:
    """(domains, entities, extra migrations) giving exactly `files` Python files."""
    minimum = FIXED_FILES + ENTITY_FILES
    if files < minimum:
        raise SystemExit(f"--files must be at least {minimum}")
    entities = (files - FIXED_FILES) // ENTITY_FILES
    domains = 0
    if entities > FLAT_MAX_ENTITIES:
        domains = min(len(DOMAINS), max(2, round(entities / ENTITIES_PER_DOMAIN)))
        entities = (files - FIXED_FILES - domains * len(LAYER_PACKAGES)) // ENTITY_FILES
    extra = files - FIXED_FILES - domains * len(LAYER_PACKAGES) - entities * ENTITY_FILES
    return domains, entities, extra


def _make_entities(rng: random.Random, domains: int, count: int) -> list[Entity]:
    names = _entity_names(rng, count)
    entities: list[Entity] = []
    for i, name in enumerate(names):
        domain = DOMAINS[i * domains // count] if domains else None
        entity = Entity(name, domain, is_async=rng.random() < 0.8)
        key = rng.choice(("name", "code", "slug", "reference", "title"))
        entity.cols.append(Col(key, "str", length=rng.choice((64, 120, 255))))
        used = {key}
        for _ in range(rng.randint(2, 11)):
            kind = rng.choices(
                ("str", "text", "int", "bool", "decimal", "datetime", "uuid"),
                weights=(5, 2, 3, 3, 2, 3, 1),
            )[0]
            col_name = rng.choice(FIELD_NAMES[kind])
            if col_name in used:
                continue
            used.add(col_name)
            entity.cols.append(Col(col_name, kind, length=rng.choice((32, 64, 255))))
        # References point at earlier entities only, so migrations create tables in order.
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            if not entities:
                break
            ref = rng.choice(entities[-30:])
            col_name = f"{ref.name}_id"
            if col_name not in used and ref.name != name:
                used.add(col_name)
                entity.cols.append(Col(col_name, "fk", ref=ref))
        entities.append(entity)
    return entities


def _plant(rng: random.Random, entities: list[Entity]) -> dict[str, int]:
    """Mark the violations; returns what was planted, by kind."""
    n = len(entities)
    variants = ("fastapi", "alias", "module", "starlette", "subclass", "constructed")
    lc201 = rng.sample(entities, max(1, round(n * 0.05)))
    for entity in lc201:
        entity.lc201 = rng.choice(variants)
    clean = [e for e in entities if e.lc201 is None]
    for entity in rng.sample(clean, min(len(clean), n // 100)):
        entity.lc201 = rng.choice(variants)
        entity.lc201_noqa = True
    for entity in rng.sample(entities, round(n * 0.03)):
        entity.route_imports_repository = True
    for entity in rng.sample(entities, round(n * 0.02)):
        entity.route_runs_query = True
    for entity in rng.sample(entities, round(n * 0.02)):
        other = rng.choice(entities)
        if other is not entity:
            entity.repository_imports_service = other
    for entity in rng.sample(entities, round(n * 0.01)):
        entity.repository_raises_http = True
    for entity in rng.sample(entities, round(n * 0.01)):
        entity.service_imports_route = True
    return {
        "LC201 http-exception-in-service": len(lc201),
        "  same, under `# noqa: LC201`": sum(e.lc201_noqa for e in entities),
        "route imports a repository": sum(e.route_imports_repository for e in entities),
        "route runs a SQL query": sum(e.route_runs_query for e in entities),
        "repository imports a service": sum(
            e.repository_imports_service is not None for e in entities
        ),
        "HTTPException in a repository": sum(e.repository_raises_http for e in entities),
        "service imports a route": sum(e.service_imports_route for e in entities),
    }


# ---------------------------------------------------------------------------------------
# Growing a file to its target size
# ---------------------------------------------------------------------------------------

Unit = tuple[str, Callable[[Source], None]]


def grow(src: Source, units: Iterable[Unit], target: int, rng: random.Random) -> None:
    """Add optional blocks until the file reaches `target` lines, never past MAX_LINES."""
    pool = list(units)
    rng.shuffle(pool)
    seen: set[str] = set()
    for name, unit in pool:
        size = src.line_count()
        if size >= target:
            return
        if name in seen:
            continue
        seen.add(name)
        trial = Source(
            src.module,
            src.relative,
            src.docstring,
            src.future,
            list(src.body),
            {k: set(v) for k, v in src.froms.items()},
            set(src.plains),
            {k: set(v) for k, v in src.checking.items()},
        )
        unit(trial)
        if trial.line_count() > MAX_LINES and size >= MIN_LINES:
            continue
        src.body, src.froms, src.plains, src.checking = (
            trial.body,
            trial.froms,
            trial.plains,
            trial.checking,
        )


def target_lines(rng: random.Random) -> int:
    # Most modules are short, a few are long: a triangle leaning towards the short end.
    return int(rng.triangular(MIN_LINES, MAX_LINES, 70))


# ---------------------------------------------------------------------------------------
# Layer templates
# ---------------------------------------------------------------------------------------


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


def build_repository(e: Entity, rng: random.Random) -> Source:
    src = Source(e.module("repositories"), rng.random() < 0.3, f'"""Data access for {e.plural}."""')
    session = "AsyncSession" if e.is_async else "Session"
    src.imp("sqlalchemy.ext.asyncio" if e.is_async else "sqlalchemy.orm", session)
    src.imp("sqlalchemy", "select")
    src.imp("collections.abc", "Sequence")
    src.imp(e.module("models"), e.cls)
    c, v, aw, adef = e.cls, e.name, e.aw, e.adef
    src.add(
        "",
        "",
        f"class {c}Repository:",
        f"    def __init__(self, session: {session}) -> None:",
        "        self.session = session",
        "",
        f"    {adef} get(self, {v}_id: int) -> {c} | None:",
        f"        return {aw}self.session.get({c}, {v}_id)",
        "",
        f"    {adef} get_by_{e.key.name}(self, value: str) -> {c} | None:",
        *chain("        ", "stmt", f"select({c})", f".where({c}.{e.key.name} == value)"),
        f"        result = {aw}self.session.execute(stmt)",
        "        return result.scalar_one_or_none()",
        "",
    )
    src.add(
        *call(
            "    ",
            f"{adef} list_page",
            ["self", "*", "offset: int = 0", "limit: int = 50"],
            f" -> Sequence[{c}]:",
        ),
        *chain(
            "        ",
            "stmt",
            f"select({c})",
            f".order_by({c}.id)",
            ".offset(offset)",
            ".limit(limit)",
        ),
        f"        result = {aw}self.session.execute(stmt)",
        "        return result.scalars().all()",
        "",
        f"    {adef} add(self, {v}: {c}) -> {c}:",
        f"        self.session.add({v})",
        f"        {aw}self.session.flush()",
        f"        {aw}self.session.refresh({v})",
        f"        return {v}",
        "",
        f"    {adef} delete(self, {v}: {c}) -> None:",
        f"        {aw}self.session.delete({v})",
        f"        {aw}self.session.flush()",
    )
    if e.repository_imports_service is not None:
        other = e.repository_imports_service
        src.imp(other.module("services"), f"{other.cls}Service")
        src.add(
            "",
            f"    def {other.name}_service(self) -> {other.cls}Service:",
            "        # Convenience for a report job; a repository should not know services.",
            f"        return {other.cls}Service({other.cls}Repository(self.session))",
        )
        src.imp(other.module("repositories"), f"{other.cls}Repository")
    if e.repository_raises_http:
        src.imp("fastapi", "HTTPException")
        src.add(
            "",
            f"    {adef} get_or_404(self, {v}_id: int) -> {c}:",
            f"        {v} = {aw}self.get({v}_id)",
            f"        if {v} is None:",
            f'            raise HTTPException(status_code=404, detail="{c} not found")',
            f"        return {v}",
        )
    grow(src, _repository_units(e), target_lines(rng), rng)
    return src


def _repository_units(e: Entity) -> list[Unit]:
    c, aw, adef = e.cls, e.aw, e.adef
    units: list[Unit] = []

    def count(src: Source) -> None:
        src.imp("sqlalchemy", "func")
        src.add(
            "",
            f"    {adef} count(self) -> int:",
            f"        stmt = select(func.count()).select_from({c})",
            f"        result = {aw}self.session.execute(stmt)",
            "        return result.scalar_one()",
        )

    def search(src: Source) -> None:
        src.add(
            "",
            f"    {adef} search(self, term: str, limit: int = 20) -> Sequence[{c}]:",
            "        pattern = f\"%{term.replace('%', '')}%\"",
            "        stmt = (",
            f"            select({c})",
            f"            .where({c}.{e.key.name}.ilike(pattern))",
            f"            .order_by({c}.{e.key.name})",
            "            .limit(limit)",
            "        )",
            f"        result = {aw}self.session.execute(stmt)",
            "        return result.scalars().all()",
        )

    def delete_many(src: Source) -> None:
        src.imp("sqlalchemy", "delete")
        src.add(
            "",
            f"    {adef} delete_many(self, ids: Sequence[int]) -> int:",
            f"        stmt = delete({c}).where({c}.id.in_(ids))",
            f"        result = {aw}self.session.execute(stmt)",
            "        return result.rowcount",
        )

    def exists(src: Source) -> None:
        src.add(
            "",
            f"    {adef} exists(self, value: str) -> bool:",
            *chain(
                "        ",
                "stmt",
                f"select({c}.id)",
                f".where({c}.{e.key.name} == value)",
                ".limit(1)",
            ),
            f"        result = {aw}self.session.execute(stmt)",
            "        return result.first() is not None",
        )

    units += [("count", count), ("search", search), ("delete_many", delete_many)]
    units.append(("exists", exists))
    for col in e.cols[1:]:
        units.extend(_repository_col_units(e, col))
    return units


def _repository_col_units(e: Entity, col: Col) -> list[Unit]:
    c, n, aw, adef = e.cls, col.name, e.aw, e.adef
    units: list[Unit] = []

    def setter(src: Source) -> None:
        src.imp("sqlalchemy", "update")
        if col.kind == "decimal":
            src.imp("decimal", "Decimal")
        if col.kind == "datetime":
            src.plain("datetime as dt")
        if col.kind == "uuid":
            src.plain("uuid")
        src.add(
            "",
            *call(
                "    ",
                f"{adef} set_{n}",
                ["self", "ids: Sequence[int]", f"value: {col.py_type}"],
                " -> None:",
            ),
            *chain(
                "        ",
                "stmt",
                f"update({c})",
                f".where({c}.id.in_(ids))",
                f".values({n}=value)",
            ),
            f"        {aw}self.session.execute(stmt)",
        )

    units.append((f"set-{n}", setter))
    if col.kind == "fk":
        assert col.ref is not None

        def by_ref(src: Source) -> None:
            src.add(
                "",
                *call(
                    "    ",
                    f"{adef} list_for_{col.ref.name if col.ref else n}",
                    ["self", "ref_id: int"],
                    f" -> Sequence[{c}]:",
                ),
                *chain(
                    "        ",
                    "stmt",
                    f"select({c})",
                    f".where({c}.{n} == ref_id)",
                    f".order_by({c}.id)",
                ),
                f"        result = {aw}self.session.execute(stmt)",
                "        return result.scalars().all()",
            )

        units.append((f"ref-{n}", by_ref))
    elif col.kind == "bool":

        def count_flag(src: Source) -> None:
            src.imp("sqlalchemy", "func")
            src.add(
                "",
                f"    {adef} count_{n.removeprefix('is_')}(self) -> int:",
                "        stmt = (",
                "            select(func.count())",
                f"            .select_from({c})",
                f"            .where({c}.{n}.is_(True))",
                "        )",
                f"        return ({aw}self.session.execute(stmt)).scalar_one()",
            )

        units.append((f"flag-{n}", count_flag))
    elif col.kind == "decimal":

        def total(src: Source) -> None:
            src.imp("sqlalchemy", "func")
            src.imp("decimal", "Decimal")
            src.add(
                "",
                f"    {adef} sum_{n}(self) -> Decimal:",
                f"        stmt = select(func.coalesce(func.sum({c}.{n}), 0))",
                f"        result = {aw}self.session.execute(stmt)",
                "        return Decimal(result.scalar_one())",
            )

        units.append((f"sum-{n}", total))
    elif col.kind == "datetime":
        src_name = f"list_{n.removesuffix('_at')}_before"

        def before(src: Source) -> None:
            src.plain("datetime as dt")
            src.add(
                "",
                *call(
                    "    ",
                    f"{adef} {src_name}",
                    ["self", "moment: dt.datetime"],
                    f" -> Sequence[{c}]:",
                ),
                *chain("        ", "stmt", f"select({c})", f".where({c}.{n} < moment)"),
                f"        result = {aw}self.session.execute(stmt)",
                "        return result.scalars().all()",
            )

        units.append((f"before-{n}", before))
    return units


HTTP_RAISES = {
    "fastapi": (("fastapi", "HTTPException"), "HTTPException"),
    "alias": (("fastapi", "HTTPException as HTTPError"), "HTTPError"),
    "module": (None, "fastapi.HTTPException"),
    "starlette": (("starlette.exceptions", "HTTPException"), "HTTPException"),
    "subclass": (("app.exceptions", "AppHTTPError"), "AppHTTPError"),
}


def build_service(e: Entity, rng: random.Random) -> Source:
    src = Source(e.module("services"), rng.random() < 0.3, f'"""Business rules for {e.plural}."""')
    c, v, aw, adef = e.cls, e.name, e.aw, e.adef
    src.imp(e.module("repositories"), f"{c}Repository")
    src.imp(e.module("schemas"), f"{c}Create", f"{c}Read", f"{c}Update")
    src.imp(e.module("models"), c)
    src.imp("app.exceptions", "ConflictError")
    if rng.random() < 0.5:
        src.plain("logging")
        src.add("", "logger = logging.getLogger(__name__)")
        log = [f'        logger.info("{v} created", extra={{"id": {v}.id}})']
    else:
        log = []
    missing = _not_found(src, e)  # may add a module-level helper, so before the class
    if e.service_imports_route:
        src.imp(e.module("routes"), "router")
        src.add(
            "",
            "# Used to build links in notification emails.",
            f'{v.upper()}_URL_PREFIX = router.prefix or "/{e.path_segment}"',
        )
    src.add(
        "",
        "",
        f"class {c}Service:",
        f"    def __init__(self, repository: {c}Repository) -> None:",
        "        self.repository = repository",
        "",
        f"    {adef} get(self, {v}_id: int) -> {c}Read:",
        f"        return {c}Read.model_validate({aw}self._require({v}_id))",
        "",
    )
    src.add(
        *call(
            "    ",
            f"{adef} list_page",
            ["self", "offset: int = 0", "limit: int = 50"],
            f" -> list[{c}Read]:",
        ),
        f"        rows = {aw}self.repository.list_page(offset=offset, limit=limit)",
        f"        return [{c}Read.model_validate(row) for row in rows]",
        "",
        f"    {adef} create(self, data: {c}Create) -> {c}Read:",
        f"        if {aw}self.repository.get_by_{e.key.name}(data.{e.key.name}):",
        f'            raise ConflictError(f"{c} {{data.{e.key.name}!r}} already exists")',
        f"        {v} = {aw}self.repository.add({c}(**data.model_dump()))",
        *log,
        f"        return {c}Read.model_validate({v})",
        "",
        *call(
            "    ",
            f"{adef} update",
            ["self", f"{v}_id: int", f"data: {c}Update"],
            f" -> {c}Read:",
        ),
        f"        {v} = {aw}self._require({v}_id)",
        "        for name, value in data.model_dump(exclude_unset=True).items():",
        f"            setattr({v}, name, value)",
        f"        return {c}Read.model_validate({aw}self.repository.add({v}))",
        "",
        f"    {adef} delete(self, {v}_id: int) -> None:",
        f"        {aw}self.repository.delete({aw}self._require({v}_id))",
        "",
        f"    {adef} _require(self, {v}_id: int) -> {c}:",
        f"        {v} = {aw}self.repository.get({v}_id)",
        f"        if {v} is None:",
        *missing,
        f"        return {v}",
    )
    grow(src, _service_units(e), target_lines(rng), rng)
    return src


def _not_found(src: Source, e: Entity) -> list[str]:
    """The one place a service reports a missing row: a domain error, or for planted LC201
    violations an HTTPException in one of several spellings."""
    v = e.name
    if e.lc201 is None:
        src.imp("app.exceptions", "NotFoundError")
        return [f'            raise NotFoundError("{e.cls}", {v}_id)']
    noqa = "  # noqa: LC201" if e.lc201_noqa else ""
    if e.lc201 == "constructed":
        src.imp("fastapi", "HTTPException")
        # Built in a helper, raised by the caller: one finding, on the constructor call.
        src.add(
            "",
            "",
            "def _not_found(detail: str) -> Exception:",
            f"    return HTTPException(status_code=404, detail=detail){noqa}",
        )
        return [f'            raise _not_found(f"{e.cls} {{{v}_id}} not found")']
    spec, name = HTTP_RAISES[e.lc201]
    if spec is None:
        src.plain("fastapi")
    else:
        src.imp(*spec)
    if e.lc201 == "subclass":
        return [f'            raise {name}(404, f"{e.cls} {{{v}_id}} not found"){noqa}']
    return [
        f"            raise {name}({noqa}",
        f'                status_code=404, detail=f"{e.cls} {{{v}_id}} not found"',
        "            )",
    ]


def _service_units(e: Entity) -> list[Unit]:
    c, v, aw, adef = e.cls, e.name, e.aw, e.adef
    units: list[Unit] = []

    def rename(src: Source) -> None:
        src.add(
            "",
            *call(
                "    ",
                f"{adef} rename",
                ["self", f"{v}_id: int", "new_value: str"],
                f" -> {c}Read:",
            ),
            "        new_value = new_value.strip()",
            f"        if {aw}self.repository.get_by_{e.key.name}(new_value):",
            '            raise ConflictError(f"{new_value!r} is taken")',
            f"        {v} = {aw}self._require({v}_id)",
            f"        {v}.{e.key.name} = new_value",
            f"        return {c}Read.model_validate({aw}self.repository.add({v}))",
        )

    def bulk(src: Source) -> None:
        src.imp("collections.abc", "Sequence")
        src.add(
            "",
            *call(
                "    ",
                f"{adef} bulk_create",
                ["self", f"items: Sequence[{c}Create]"],
                f" -> list[{c}Read]:",
            ),
            f"        keys = [item.{e.key.name} for item in items]",
            "        if len(set(keys)) != len(keys):",
            '            raise ConflictError("duplicate keys in one request")',
            f"        created: list[{c}Read] = []",
            "        for item in items:",
            f"            created.append({aw}self.create(item))",
            "        return created",
        )

    def export(src: Source) -> None:
        src.add(
            "",
            f"    {adef} export(self, batch: int = 500) -> list[dict[str, object]]:",
            "        # Pages through the table so memory stays flat on large exports.",
            "        rows: list[dict[str, object]] = []",
            "        offset = 0",
            "        while True:",
            f"            page = {aw}self.list_page(offset=offset, limit=batch)",
            '            rows.extend(item.model_dump(mode="json") for item in page)',
            "            if len(page) < batch:",
            "                return rows",
            "            offset += batch",
        )

    def normalize(src: Source) -> None:
        src.add(
            "",
            "    @staticmethod",
            f"    def normalize_{e.key.name}(value: str) -> str:",
            '        return " ".join(value.split()).lower()',
        )

    units += [("rename", rename), ("bulk", bulk), ("export", export)]
    units.append(("normalize", normalize))
    for col in e.cols[1:]:
        units.extend(_service_col_units(e, col))
    return units


def _service_col_units(e: Entity, col: Col) -> list[Unit]:
    c, v, n, aw, adef = e.cls, e.name, col.name, e.aw, e.adef

    def flag(src: Source) -> None:
        verb = n.removeprefix("is_")
        src.add(
            "",
            *call(
                "    ",
                f"{adef} mark_{verb}",
                ["self", f"{v}_id: int", "value: bool = True"],
                f" -> {c}Read:",
            ),
            f"        {v} = {aw}self._require({v}_id)",
            f"        if {v}.{n} == value:",
            f"            return {c}Read.model_validate({v})",
            f"        {v}.{n} = value",
            f"        return {c}Read.model_validate({aw}self.repository.add({v}))",
        )

    def money(src: Source) -> None:
        src.imp("decimal", "Decimal", "ROUND_HALF_UP")
        src.imp("app.exceptions", "DomainValidationError")
        src.add(
            "",
            "    @staticmethod",
            f"    def apply_{n}_discount(value: Decimal, percent: int) -> Decimal:",
            "        if not 0 <= percent <= 100:",
            '            raise DomainValidationError("percent must be within 0..100")',
            "        factor = Decimal(100 - percent) / Decimal(100)",
            '        return (value * factor).quantize(Decimal("0.01"), ROUND_HALF_UP)',
        )

    def window(src: Source) -> None:
        src.plain("datetime as dt")
        src.imp("app.exceptions", "DomainValidationError")
        src.add(
            "",
            *call(
                "    ",
                f"{adef} reschedule_{n.removesuffix('_at')}",
                ["self", f"{v}_id: int", "when: dt.datetime"],
                f" -> {c}Read:",
            ),
            "        if when.tzinfo is None:",
            '            raise DomainValidationError("a timezone is required")',
            f"        {v} = {aw}self._require({v}_id)",
            f"        {v}.{n} = when",
            f"        return {c}Read.model_validate({aw}self.repository.add({v}))",
        )

    def related(src: Source) -> None:
        ref = col.ref
        assert ref is not None
        src.imp(ref.module("services"), f"{ref.cls}Service")
        src.imp(ref.module("schemas"), f"{ref.cls}Read")
        ref_aw = "await " if ref.is_async else ""
        src.add(
            "",
            *call(
                "    ",
                f"{adef} get_with_{ref.name}",
                ["self", f"{v}_id: int", f"{ref.name}_service: {ref.cls}Service"],
                f" -> tuple[{c}Read, {ref.cls}Read]:",
            ),
            f"        {v} = {aw}self.get({v}_id)",
            f"        {ref.name} = {ref_aw}{ref.name}_service.get({v}.{n})",
            f"        return {v}, {ref.name}",
        )

    if col.kind == "bool":
        return [(f"flag-{n}", flag)]
    if col.kind == "decimal":
        return [(f"money-{n}", money)]
    if col.kind == "datetime":
        return [(f"window-{n}", window)]
    # Sync code cannot await an async service, so only those pairs get the method.
    if col.kind == "fk" and col.ref is not None and not (col.ref.is_async and not e.is_async):
        return [(f"related-{n}", related)]
    return []


def build_dependencies(e: Entity, rng: random.Random) -> Source:
    src = Source(e.module("dependencies"), rng.random() < 0.3, f'"""Wiring for {e.plural}."""')
    c, v = e.cls, e.name
    session = "AsyncSession" if e.is_async else "Session"
    src.imp("sqlalchemy.ext.asyncio" if e.is_async else "sqlalchemy.orm", session)
    src.imp("typing", "Annotated")
    src.imp("fastapi", "Depends")
    getter = "get_session" if e.is_async else "get_sync_session"
    src.imp("app.core.database", getter)
    src.imp(e.module("repositories"), f"{c}Repository")
    src.imp(e.module("services"), f"{c}Service")
    src.add(
        "",
        "",
        *call(
            "",
            f"def get_{v}_repository",
            [f"session: Annotated[{session}, Depends({getter})]"],
            f" -> {c}Repository:",
        ),
        f"    return {c}Repository(session)",
        "",
        "",
        *call(
            "",
            f"def get_{v}_service",
            [f"repository: Annotated[{c}Repository, Depends(get_{v}_repository)]"],
            f" -> {c}Service:",
        ),
        f"    return {c}Service(repository)",
        "",
        "",
        *call(
            "",
            f"{c}ServiceDep = Annotated",
            [f"{c}Service", f"Depends(get_{v}_service)"],
            brackets="[]",
        ),
    )
    grow(src, _dependency_units(e), target_lines(rng), rng)
    return src


def _dependency_units(e: Entity) -> list[Unit]:
    c, v, aw, adef = e.cls, e.name, e.aw, e.adef

    def valid_id(src: Source) -> None:
        src.imp("fastapi", "HTTPException", "status")
        src.imp("app.exceptions", "NotFoundError")
        src.imp(e.module("schemas"), f"{c}Read")
        src.add(
            "",
            "",
            *call(
                "",
                f"{adef} valid_{v}_id",
                [f"{v}_id: int", f"service: {c}ServiceDep"],
                f" -> {c}Read:",
            ),
        )
        src.add(
            "    try:",
            f"        return {aw}service.get({v}_id)",
            "    except NotFoundError as exc:",
            "        raise HTTPException(",
            "            status_code=status.HTTP_404_NOT_FOUND, detail=str(exc)",
            "        ) from exc",
        )

    def pagination(src: Source) -> None:
        src.imp("fastapi", "Query")
        src.add(
            "",
            "",
            f"class {c}Pagination:",
            "    def __init__(",
            "        self,",
            "        offset: int = Query(0, ge=0),",
            "        limit: int = Query(50, ge=1, le=200),",
            "    ) -> None:",
            "        self.offset = offset",
            "        self.limit = limit",
        )

    def editor(src: Source) -> None:
        src.imp("fastapi", "HTTPException", "status")
        src.imp("app.dependencies.auth", "CurrentUser")
        src.add(
            "",
            "",
            f"def require_{v}_editor(user: CurrentUser) -> CurrentUser:",
            f'    if "{e.plural}:write" not in user.scopes:',
            "        raise HTTPException(",
            "            status_code=status.HTTP_403_FORBIDDEN,",
            f'            detail="missing scope {e.plural}:write",',
            "        )",
            "    return user",
        )

    def filters(src: Source) -> None:
        src.imp("fastapi", "Query")
        src.add(
            "",
            "",
            f"def {v}_filters(",
            "    q: str | None = Query(None, max_length=100),",
            "    include_archived: bool = Query(False),",
            ") -> dict[str, object]:",
            "    # Plain dict so the service stays free of FastAPI types.",
            '    return {"q": q, "include_archived": include_archived}',
        )

    return [("valid", valid_id), ("page", pagination), ("editor", editor), ("filters", filters)]


def build_route(e: Entity, rng: random.Random) -> Source:
    src = Source(e.module("routes"), rng.random() < 0.3, f'"""HTTP endpoints for {e.plural}."""')
    c, v, aw, adef = e.cls, e.name, e.aw, e.adef
    src.imp("fastapi", "APIRouter", "HTTPException", "Query", "status")
    src.imp("app.exceptions", "ConflictError", "NotFoundError")
    src.imp(e.module("dependencies"), f"{c}ServiceDep")
    src.imp(e.module("schemas"), f"{c}Create", f"{c}Read", f"{c}Update")
    seg = e.path_segment
    src.add("", f'router = APIRouter(prefix="/{seg}", tags=["{e.plural}"])')
    one = f"{{{v}_id}}"
    src.add(
        "",
        "",
        f'@router.get("/", response_model=list[{c}Read])',
        f"{adef} list_{e.plural}(",
        f"    service: {c}ServiceDep,",
        "    offset: int = Query(0, ge=0),",
        "    limit: int = Query(50, ge=1, le=200),",
        f") -> list[{c}Read]:",
        f"    return {aw}service.list_page(offset=offset, limit=limit)",
        "",
        "",
        f'@router.get("/{one}", response_model={c}Read)',
        *call("", f"{adef} get_{v}", [f"{v}_id: int", f"service: {c}ServiceDep"], f" -> {c}Read:"),
        "    try:",
        f"        return {aw}service.get({v}_id)",
        "    except NotFoundError as exc:",
        "        raise HTTPException(status_code=404, detail=str(exc)) from exc",
        "",
        "",
        *call(
            "",
            "@router.post",
            ['"/"', f"response_model={c}Read", "status_code=status.HTTP_201_CREATED"],
        ),
        *call(
            "",
            f"{adef} create_{v}",
            [f"data: {c}Create", f"service: {c}ServiceDep"],
            f" -> {c}Read:",
        ),
    )
    src.add(
        "    try:",
        f"        return {aw}service.create(data)",
        "    except ConflictError as exc:",
        "        raise HTTPException(",
        "            status_code=status.HTTP_409_CONFLICT, detail=str(exc)",
        "        ) from exc",
        "",
        "",
        f'@router.patch("/{one}", response_model={c}Read)',
        *call(
            "",
            f"{adef} update_{v}",
            [f"{v}_id: int", f"data: {c}Update", f"service: {c}ServiceDep"],
            f" -> {c}Read:",
        ),
        "    try:",
        f"        return {aw}service.update({v}_id, data)",
        "    except NotFoundError as exc:",
        "        raise HTTPException(status_code=404, detail=str(exc)) from exc",
        "",
        "",
        f'@router.delete("/{one}", status_code=status.HTTP_204_NO_CONTENT)',
        *call("", f"{adef} delete_{v}", [f"{v}_id: int", f"service: {c}ServiceDep"], " -> None:"),
        "    try:",
        f"        {aw}service.delete({v}_id)",
        "    except NotFoundError as exc:",
        "        raise HTTPException(status_code=404, detail=str(exc)) from exc",
    )
    if e.route_imports_repository or e.route_runs_query:
        session = "AsyncSession" if e.is_async else "Session"
        getter = "get_session" if e.is_async else "get_sync_session"
        src.imp("sqlalchemy.ext.asyncio" if e.is_async else "sqlalchemy.orm", session)
        src.imp("typing", "Annotated")
        src.imp("fastapi", "Depends")
        src.imp("app.core.database", getter)
        src.add(
            "",
            "",
            f'@router.get("/by-key/{{value}}", response_model={c}Read)',
            *call(
                "",
                f"{adef} get_{v}_by_key",
                ["value: str", f"session: Annotated[{session}, Depends({getter})]"],
                f" -> {c}Read:",
            ),
        )
        if e.route_imports_repository:
            src.imp(e.module("repositories"), f"{c}Repository")
            src.add(f"    found = {aw}{c}Repository(session).get_by_{e.key.name}(value)")
        else:
            src.imp("sqlalchemy", "select")
            src.imp(e.module("models"), c)
            src.add(
                f"    stmt = select({c}).where({c}.{e.key.name} == value)",
                f"    found = ({aw}session.execute(stmt)).scalar_one_or_none()",
            )
        src.add(
            "    if found is None:",
            f'        raise HTTPException(status_code=404, detail="{c} not found")',
            f"    return {c}Read.model_validate(found)",
        )
    grow(src, _route_units(e), target_lines(rng), rng)
    return src


def _route_units(e: Entity) -> list[Unit]:
    c, v, aw, adef = e.cls, e.name, e.aw, e.adef
    one = f"{{{v}_id}}"

    def rename(src: Source) -> None:
        src.imp(e.module("schemas"), f"{c}Rename")
        src.add(
            "",
            "",
            f'@router.post("/{one}/rename", response_model={c}Read)',
            *call(
                "",
                f"{adef} rename_{v}",
                [f"{v}_id: int", f"data: {c}Rename", f"service: {c}ServiceDep"],
                f" -> {c}Read:",
            ),
            "    try:",
            f"        return {aw}service.rename({v}_id, data.{e.key.name})",
            "    except NotFoundError as exc:",
            "        raise HTTPException(status_code=404, detail=str(exc)) from exc",
            "    except ConflictError as exc:",
            "        raise HTTPException(status_code=409, detail=str(exc)) from exc",
        )

    def bulk(src: Source) -> None:
        src.imp(e.module("schemas"), f"{c}BulkCreate")
        src.add(
            "",
            "",
            *call(
                "",
                "@router.post",
                ['"/bulk"', f"response_model=list[{c}Read]", "status_code=201"],
            ),
            *call(
                "",
                f"{adef} bulk_create_{e.plural}",
                [f"data: {c}BulkCreate", f"service: {c}ServiceDep"],
                f" -> list[{c}Read]:",
            ),
            "    try:",
            f"        return {aw}service.bulk_create(data.items)",
            "    except ConflictError as exc:",
            "        raise HTTPException(status_code=409, detail=str(exc)) from exc",
        )

    def export(src: Source) -> None:
        src.add(
            "",
            "",
            '@router.get("/export", response_model=list[dict[str, object]])',
            *call(
                "",
                f"{adef} export_{e.plural}",
                [f"service: {c}ServiceDep"],
                " -> list[dict[str, object]]:",
            ),
            f"    return {aw}service.export()",
        )

    units: list[Unit] = [("rename", rename), ("bulk", bulk), ("export", export)]
    for col in e.cols[1:]:
        if col.kind != "bool":
            continue
        verb = col.name.removeprefix("is_")

        def flag(src: Source, verb: str = verb) -> None:
            src.add(
                "",
                "",
                f'@router.post("/{one}/{verb.replace("_", "-")}", response_model={c}Read)',
                *call(
                    "",
                    f"{adef} mark_{v}_{verb}",
                    [f"{v}_id: int", f"service: {c}ServiceDep", "value: bool = True"],
                    f" -> {c}Read:",
                ),
                "    try:",
                f"        return {aw}service.mark_{verb}({v}_id, value)",
                "    except NotFoundError as exc:",
                "        raise HTTPException(status_code=404, detail=str(exc)) from exc",
            )

        units.append((f"flag-{verb}", flag))
    return units


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


def build_route_tests(e: Entity, rng: random.Random) -> Source:
    src = Source("", docstring=f'"""API tests for {e.plural}."""')
    src.plain("pytest")
    src.imp("httpx", "AsyncClient")
    seg, v = e.path_segment, e.name
    payload = "{" + f'"{e.key.name}": "sample-{v}"' + "}"
    src.add(
        "",
        "pytestmark = pytest.mark.anyio",
        "",
        "",
        f"async def test_create_{v}(client: AsyncClient) -> None:",
        f'    response = await client.post("/{seg}/", json={payload})',
        "    assert response.status_code == 201",
        f'    assert response.json()["{e.key.name}"] == "sample-{v}"',
        "",
        "",
        f"async def test_get_missing_{v}(client: AsyncClient) -> None:",
        f'    response = await client.get("/{seg}/999999")',
        "    assert response.status_code == 404",
        "",
        "",
        '@pytest.mark.parametrize("limit", [1, 10, 200])',
        f"async def test_list_{e.plural}_limit(client: AsyncClient, limit: int) -> None:",
        f'    response = await client.get("/{seg}/", params={{"limit": limit}})',
        "    assert response.status_code == 200",
        "    assert len(response.json()) <= limit",
    )

    def duplicate(s: Source) -> None:
        s.add(
            "",
            "",
            f"async def test_duplicate_{v}_conflicts(client: AsyncClient) -> None:",
            f'    first = await client.post("/{seg}/", json={payload})',
            "    assert first.status_code == 201",
            f'    second = await client.post("/{seg}/", json={payload})',
            "    assert second.status_code == 409",
        )

    def delete(s: Source) -> None:
        s.add(
            "",
            "",
            f"async def test_delete_{v}(client: AsyncClient) -> None:",
            f'    created = await client.post("/{seg}/", json={payload})',
            '    item_id = created.json()["id"]',
            f'    response = await client.delete(f"/{seg}/{{item_id}}")',
            "    assert response.status_code == 204",
            f'    missing = await client.get(f"/{seg}/{{item_id}}")',
            "    assert missing.status_code == 404",
        )

    def invalid(s: Source) -> None:
        s.add(
            "",
            "",
            '@pytest.mark.parametrize("value", ["", " " * 300])',
            f"async def test_invalid_{e.key.name}(client: AsyncClient, value: str) -> None:",
            f'    response = await client.post("/{seg}/", json={{"{e.key.name}": value}})',
            "    assert response.status_code == 422",
        )

    grow(src, [("dup", duplicate), ("del", delete), ("bad", invalid)], target_lines(rng), rng)
    return src


def build_service_tests(e: Entity, rng: random.Random) -> Source:
    src = Source("", docstring=f'"""{e.cls}Service against an in-memory repository."""')
    src.plain("pytest")
    c, v = e.cls, e.name
    src.imp(e.module("models"), c)
    src.imp(e.module("services"), f"{c}Service")
    src.imp(e.module("schemas"), f"{c}Create")
    src.imp("app.exceptions", "ConflictError")
    aw, adef = e.aw, e.adef
    key = e.key.name
    src.add(
        "",
        "",
        f"class Fake{c}Repository:",
        "    def __init__(self) -> None:",
        f"        self.rows: dict[int, {c}] = {{}}",
        "",
        f"    {adef} get(self, {v}_id: int) -> {c} | None:",
        f"        return self.rows.get({v}_id)",
        "",
        f"    {adef} get_by_{key}(self, value: str) -> {c} | None:",
        f"        return next((r for r in self.rows.values() if r.{key} == value), None)",
        "",
        f"    {adef} add(self, {v}: {c}) -> {c}:",
        f"        {v}.id = {v}.id or len(self.rows) + 1",
        f"        self.rows[{v}.id] = {v}",
        f"        return {v}",
        "",
        "",
        "@pytest.fixture",
        f"def service() -> {c}Service:",
        f"    return {c}Service(Fake{c}Repository())  # type: ignore[arg-type]",
        "",
        "",
    )
    mark = ["@pytest.mark.anyio"] if e.is_async else []
    src.add(
        *mark,
        f"{adef} test_create_then_conflict(service: {c}Service) -> None:",
        f'    data = {c}Create({key}="alpha")',
        f"    {aw}service.create(data)",
        "    with pytest.raises(ConflictError):",
        f"        {aw}service.create(data)",
    )

    def missing(s: Source) -> None:
        s.imp("app.exceptions", "NotFoundError")
        s.add(
            "",
            "",
            *mark,
            f"{adef} test_get_missing(service: {c}Service) -> None:",
            "    with pytest.raises(NotFoundError):",
            f"        {aw}service.get(12345)",
        )

    def normalize(s: Source) -> None:
        s.add(
            "",
            "",
            '@pytest.mark.parametrize(("raw", "clean"), [("  A  b ", "a b"), ("x", "x")])',
            "def test_normalize(raw: str, clean: str) -> None:",
            f"    assert {c}Service.normalize_{key}(raw) == clean",
        )

    grow(src, [("missing", missing), ("normalize", normalize)], target_lines(rng), rng)
    return src


# ---------------------------------------------------------------------------------------
# Fixed files
# ---------------------------------------------------------------------------------------

PYPROJECT = """\
[project]
name = "bench-app"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = [
    "fastapi>=0.110",
    "sqlalchemy[asyncio]>=2.0",
    "pydantic>=2.6",
    "pydantic-settings>=2.2",
    "alembic>=1.13",
]

[tool.layercheck]
target-version = "py311"
cache-dir = "{cache}"
"""

FLAKE8_CONFIG = """\
[flake8]
max-line-length = 100
extend-ignore = E203
exclude = .git,__pycache__,.venv,{cache}
"""

EXCEPTIONS = '''\
"""Domain errors; the HTTP layer maps them to status codes in app.main."""

from __future__ import annotations

from fastapi import HTTPException


class DomainError(Exception):
    """Base of every error a service may raise."""


class NotFoundError(DomainError):
    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key!r} not found")
        self.entity = entity
        self.key = key


class ConflictError(DomainError):
    pass


class PermissionDeniedError(DomainError):
    pass


class DomainValidationError(DomainError):
    pass


class AppHTTPError(HTTPException):
    """Kept for old endpoints that return a code with the message."""

    def __init__(self, status_code: int, detail: str, code: str = "error") -> None:
        body = {"code": code, "message": detail}
        super().__init__(status_code=status_code, detail=body)
'''

CORE_CONFIG = '''\
"""Settings read from the environment once, at start-up."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, PostgresDsn
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", env_file=".env")

    database_url: PostgresDsn
    echo_sql: bool = False
    secret_key: str = Field(min_length=32)
    token_ttl_minutes: int = 60
    cors_origins: list[str] = []
    page_size_max: int = 200


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]
'''

CORE_DATABASE = '''\
"""Engines and sessions; request handlers get a session through Depends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import (
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import get_settings

settings = get_settings()
async_engine = create_async_engine(str(settings.database_url), pool_pre_ping=True)
AsyncSessionLocal = async_sessionmaker(async_engine, expire_on_commit=False)
sync_url = str(settings.database_url).replace("+asyncpg", "+psycopg")
sync_engine = create_engine(sync_url, pool_pre_ping=True)
SessionLocal = sessionmaker(sync_engine, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with AsyncSessionLocal() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise


def get_sync_session() -> Iterator[Session]:
    with SessionLocal() as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
'''

CORE_SECURITY = '''\
"""Password hashing and signed tokens, without framework types."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import jwt

from app.core.config import get_settings

ALGORITHM = "HS256"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 390_000)
    return f"{salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    salt_hex, _, digest_hex = stored.partition("$")
    expected = hash_password(password, bytes.fromhex(salt_hex))
    return hmac.compare_digest(expected.partition("$")[2], digest_hex)


def create_token(subject: str, scopes: list[str]) -> str:
    settings = get_settings()
    now = dt.datetime.now(dt.timezone.utc)
    claims = {
        "sub": subject,
        "scopes": scopes,
        "iat": now,
        "exp": now + dt.timedelta(minutes=settings.token_ttl_minutes),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def decode_token(token: str) -> dict[str, object]:
    settings = get_settings()
    return jwt.decode(token, settings.secret_key, algorithms=[ALGORITHM])
'''

MODELS_BASE = '''\
"""Declarative base shared by every table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
'''

SCHEMAS_COMMON = '''\
"""Shapes shared by many endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Message(BaseModel):
    detail: str


class ErrorBody(BaseModel):
    code: str
    message: str


class PageParams(BaseModel):
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=200)
'''

DEPS_AUTH = '''\
"""Who is calling: the bearer token, checked once per request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer

from app.core.security import decode_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token")


@dataclass(frozen=True)
class Principal:
    subject: str
    scopes: frozenset[str]


def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> Principal:
    try:
        claims = decode_token(token)
    except jwt.PyJWTError as exc:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="invalid token",
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc
    scopes = claims.get("scopes")
    return Principal(
        subject=str(claims["sub"]),
        scopes=frozenset(scopes if isinstance(scopes, list) else ()),
    )


CurrentUser = Annotated[Principal, Depends(get_current_user)]
'''

ROUTES_HEALTH = '''\
"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import get_session

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def ready(
    response: Response, session: Annotated[AsyncSession, Depends(get_session)]
) -> dict[str, str]:
    try:
        await session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"; the probe says so
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "database unavailable"}
    return {"status": "ok"}
'''

MAIN = '''\
"""The ASGI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from app.core.config import get_settings
from app.core.database import async_engine
from app.exceptions import (
    ConflictError,
    DomainError,
    DomainValidationError,
    NotFoundError,
    PermissionDeniedError,
)
from app.routes import api_router

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    NotFoundError: status.HTTP_404_NOT_FOUND,
    ConflictError: status.HTTP_409_CONFLICT,
    PermissionDeniedError: status.HTTP_403_FORBIDDEN,
    DomainValidationError: status.HTTP_422_UNPROCESSABLE_ENTITY,
}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await async_engine.dispose()


app = FastAPI(title="bench-app", lifespan=lifespan)
app.add_middleware(
    CORSMiddleware,
    allow_origins=get_settings().cors_origins,
    allow_methods=["*"],
    allow_headers=["*"],
)
app.include_router(api_router, prefix="/api")


@app.exception_handler(DomainError)
async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
    code = STATUS_BY_ERROR.get(type(exc), status.HTTP_400_BAD_REQUEST)
    if code >= 500:
        logger.error("unhandled domain error on %s", request.url.path)
    return JSONResponse(status_code=code, content={"detail": str(exc)})
'''

ALEMBIC_ENV = '''\
"""Alembic environment: runs migrations with the application's metadata."""

import asyncio
from logging.config import fileConfig

from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

import app.models  # noqa: F401  (registers every table on the metadata)
from alembic import context
from app.core.config import get_settings
from app.models.base import Base

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

config.set_main_option("sqlalchemy.url", str(get_settings().database_url))
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    connectable = async_engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


def run_migrations_online() -> None:
    asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

CONFTEST = '''\
"""Fixtures: an app on a throw-away database, and a client talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient

from app.main import app


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client() -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://test/api") as c:
        yield c
'''


def _package_init(doc: str) -> str:
    return f'"""{doc}"""\n'


def _reexport(module: str, doc: str, items: Sequence[tuple[str, str]], relative: bool) -> str:
    """An __init__ that re-exports names (models for Alembic's metadata, routers)."""
    src = Source(module + ".__init__", relative=relative, docstring=f'"""{doc}"""', future=False)
    for mod, name in items:
        src.imp(mod, name)
    src.add("", "__all__ = [", *(f'    "{name}",' for _, name in sorted(items)), "]")
    return src.render()


def _router_aggregate(module: str, doc: str, routers: Sequence[tuple[str, str]]) -> str:
    src = Source(module + ".__init__", relative=False, docstring=f'"""{doc}"""', future=False)
    src.imp("fastapi", "APIRouter")
    for mod, alias in routers:
        src.imp(mod, f"router as {alias}")
    name = "api_router" if module == "app.routes" else "router"
    src.add("", f"{name} = APIRouter()")
    src.add(*(f"{name}.include_router({alias})" for _, alias in routers))
    return src.render()


# ---------------------------------------------------------------------------------------
# Writing the tree
# ---------------------------------------------------------------------------------------


def _prepare(out: Path) -> None:
    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise SystemExit(f"{out} exists and was not made by bench/run.py; not touching it")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("generated by bench/run.py; deleted and rewritten freely\n")


def generate(out: Path, files: int = 2000, seed: int = 1) -> Generated:
    """Write a synthetic layered FastAPI project of exactly `files` Python files."""
    rng = random.Random(seed)
    domains, count, extra = _plan_sizes(files)
    entities = _make_entities(rng, domains, count)
    planted = _plant(rng, entities)
    _prepare(out)
    written: dict[str, str] = {}

    def put(module_or_path: str, text: str) -> None:
        path = module_or_path
        if not path.endswith(".py"):
            path = module_or_path.replace(".", "/") + ".py"
        assert path not in written, path
        written[path] = text

    (out / "pyproject.toml").write_text(PYPROJECT.format(cache=CACHE_DIR))
    (out / ".flake8").write_text(FLAKE8_CONFIG.format(cache=CACHE_DIR))
    put("app.__init__", _package_init("bench-app: a generated FastAPI backend."))
    put("app.main", MAIN)
    put("app.exceptions", EXCEPTIONS)
    put("app.core.__init__", _package_init("Settings, database and security."))
    put("app.core.config", CORE_CONFIG)
    put("app.core.database", CORE_DATABASE)
    put("app.core.security", CORE_SECURITY)
    put("app.models.base", MODELS_BASE)
    put("app.schemas.__init__", _package_init("Request and response shapes."))
    put("app.schemas.common", SCHEMAS_COMMON)
    put("app.repositories.__init__", _package_init("Data access, one class a table."))
    put("app.services.__init__", _package_init("Business rules."))
    put("app.dependencies.__init__", _package_init("FastAPI dependencies."))
    put("app.dependencies.auth", DEPS_AUTH)
    put("app.routes.health", ROUTES_HEALTH)
    put("alembic/env.py", ALEMBIC_ENV)
    put("tests/conftest.py", CONFTEST)

    by_domain: dict[str | None, list[Entity]] = {}
    for entity in entities:
        by_domain.setdefault(entity.domain, []).append(entity)
    model_exports: list[tuple[str, str]] = [("app.models.base", "Base")]
    routers: list[tuple[str, str]] = [("app.routes.health", "health_router")]
    for domain, members in by_domain.items():
        if domain is None:
            model_exports += [(e.module("models"), e.cls) for e in members]
            routers += [(e.module("routes"), f"{e.name}_router") for e in members]
            continue
        models = [(e.module("models"), e.cls) for e in members]
        put(
            f"app.models.{domain}.__init__",
            _reexport(f"app.models.{domain}", f"{domain} tables.", models, rng.random() < 0.5),
        )
        model_exports.append((f"app.models.{domain}", domain))
        put(
            f"app.routes.{domain}.__init__",
            _router_aggregate(
                f"app.routes.{domain}",
                f"{domain} endpoints.",
                [(e.module("routes"), f"{e.name}_router") for e in members],
            ),
        )
        routers.append((f"app.routes.{domain}", f"{domain}_router"))
        for layer in ("schemas", "repositories", "services", "dependencies"):
            put(f"app.{layer}.{domain}.__init__", _package_init(f"{domain} {layer}."))
    models_init = Source("app.models.__init__", docstring='"""Every table."""', future=False)
    for mod, name in model_exports:
        # A domain package is imported as a name, so Alembic sees every table either way.
        models_init.imp("app.models" if mod == f"app.models.{name}" else mod, name)
    names = sorted(n for _, n in model_exports)
    models_init.add("", "__all__ = [", *(f'    "{n}",' for n in names), "]")
    put("app.models.__init__", models_init.render())
    put("app.routes.__init__", _router_aggregate("app.routes", "All endpoints.", routers))

    revision: str | None = None
    for i, entity in enumerate(entities):
        put(entity.module("models"), build_model(entity, rng).render())
        put(entity.module("schemas"), build_schema(entity, rng).render())
        put(entity.module("repositories"), build_repository(entity, rng).render())
        put(entity.module("services"), build_service(entity, rng).render())
        put(entity.module("dependencies"), build_dependencies(entity, rng).render())
        put(entity.module("routes"), build_route(entity, rng).render())
        rev = f"{rng.getrandbits(48):012x}"
        migration = build_create_migration(entity, rev, revision, i)
        put(f"alembic/versions/{rev}_create_{entity.plural}.py", migration.render())
        revision = rev
        tests = f"tests/{entity.domain}" if entity.domain else "tests"
        put(f"{tests}/test_{entity.name}_routes.py", build_route_tests(entity, rng).render())
        put(f"{tests}/test_{entity.name}_service.py", build_service_tests(entity, rng).render())
    for i in range(extra):
        entity = rng.choice(entities)
        rev = f"{rng.getrandbits(48):012x}"
        migration = build_alter_migration(entity, rev, revision, len(entities) + i, rng)
        put(f"alembic/versions/{rev}_alter_{entity.plural}.py", migration.render())
        revision = rev

    assert len(written) == files, (len(written), files)
    lines = 0
    for relative, text in written.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        lines += text.count("\n")
    return Generated(out, len(written), lines, planted)


# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------


@dataclass
class Timing:
    label: str
    command: list[str]
    runs: list[float] = field(default_factory=list)
    own: list[float] = field(default_factory=list)
    """Time the tool reports for itself (layercheck -v), without interpreter start."""
    output: str = ""

    @property
    def best(self) -> float:
        return min(self.runs)


@dataclass
class Runner:
    """Runs every command the same way: fresh interpreter, same cwd, same environment."""

    cwd: Path
    env: dict[str, str]

    def run(self, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=self.cwd, env=self.env, capture_output=True, text=True, check=False
        )

    def timed(
        self,
        label: str,
        command: list[str],
        repeat: int,
        before: Callable[[], None] | None = None,
    ) -> Timing:
        timing = Timing(label, command)
        print(f"timing {label} x{repeat} ...", file=sys.stderr, flush=True)
        for _ in range(repeat):
            if before is not None:
                before()
            started = time.perf_counter()
            done = self.run(command)
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(
                    f"{label}: `{' '.join(command)}` exited {done.returncode}\n"
                    f"{done.stderr[-4000:]}"
                )
            timing.runs.append(elapsed)
            timing.output = done.stdout
            own = re.search(r"checked \d+ files in ([0-9.]+)s", done.stderr)
            if own:
                timing.own.append(float(own.group(1)))
        return timing


def child_env(pycache: Path) -> dict[str, str]:
    """The environment for every measured command.

    With PYTHONDONTWRITEBYTECODE set (as in some CI images), an editable layercheck
    recompiles its sources on every start while flake8 loads the bytecode pip wrote at
    install: imports would not cost the same. A private PYTHONPYCACHEPREFIX gives every
    module the same bytecode cache, without writing into src/ or site-packages.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def _clear_cache(tree: Path) -> Callable[[], None]:
    # A cold run must parse everything; a cache left by the previous run would turn
    # "best of N" into a measurement of the warm path.
    def clear() -> None:
        for found in tree.rglob(CACHE_DIR):
            if found.is_dir():
                shutil.rmtree(found)

    return clear


def one_service(tree: Path) -> Path:
    """The file the one-file rows check: the first service module."""
    return min((tree / "app" / "services").rglob("*_service.py"))


def _findings(runner: Runner, tree: Path) -> Counter[str]:
    command = [sys.executable, "-m", "layercheck", str(tree), "--exit-zero"]
    done = runner.run([*command, "--output-format", "json"])
    if done.returncode != 0:
        raise SystemExit(f"layercheck --output-format json exited {done.returncode}\n{done.stderr}")
    return Counter(str(item["code"]) for item in json.loads(done.stdout))


def _warm_flake8(runner: Runner, scratch: Path) -> None:
    # One run on a lone file outside the project compiles flake8, pycodestyle, pyflakes
    # and the plugin into the bytecode cache, without the plugin indexing the project.
    lone = scratch / "warm_up.py"
    lone.write_text("import os\n\nprint(os.sep)\n")
    done = runner.run([sys.executable, "-m", "flake8", str(lone), "--exit-zero"])
    if done.returncode != 0:
        raise SystemExit(f"flake8 does not run:\n{done.stderr}")


def _flake8_codes(output: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in output.splitlines():
        match = re.match(r".*?:\d+:\d+: ([A-Z]+\d+) ", line)
        if match:
            found[match.group(1)] += 1
    return found


def _ratio(a: Timing | None, b: Timing | None) -> str:
    if a is None or b is None:
        return "-"
    return f"{a.best / b.best:.2f}"


def report(
    gen: Generated,
    timings: Sequence[Timing],
    floor: Timing,
    lc: Timing,
    lc_warm: Timing | None,
    f8_lc: Timing | None,
    f8_all: Timing | None,
    found: Counter[str],
    args: argparse.Namespace,
    one: Timing | None = None,
    one_warm: Timing | None = None,
) -> str:
    out: list[str] = []
    out.append(
        f"layercheck bench: {gen.files} files, {gen.lines:,} lines "
        f"(seed {args.seed}, {gen.root}), Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )
    out.append("")
    width = max(len(t.label) for t in timings)
    out.append(f"{'':{width}}  {'best s':>7}  {'runs':>4}  {'x floor':>7}  all runs (s)")
    for t in timings:
        runs = " ".join(f"{r:.2f}" for r in t.runs)
        out.append(
            f"{t.label:{width}}  {t.best:7.2f}  {len(t.runs):4d}  "
            f"{t.best / floor.best:7.2f}  {runs}"
        )
        if t.own:
            label = "  own time (layercheck -v)"
            own = min(t.own)
            out.append(f"{label:{width}}  {own:7.2f}  {len(t.own):4d}  {own / floor.best:7.2f}")
    out.append("")
    out.append(f"layercheck / parse floor      {_ratio(lc, floor)}")
    if lc_warm is not None:
        out.append(f"layercheck warm / cold        {_ratio(lc_warm, lc)}")
    if one_warm is not None:
        out.append(f"one file warm / cold          {_ratio(one_warm, one)}")
    out.append(f"flake8 --select LC / floor    {_ratio(f8_lc, floor)}")
    out.append(f"flake8 --select LC / lc       {_ratio(f8_lc, lc)}")
    if f8_all is not None:
        out.append(f"flake8 default / floor        {_ratio(f8_all, floor)}")
        out.append(f"flake8 default / layercheck   {_ratio(f8_all, lc)}")
    out.append("")
    shown = ", ".join(f"{code} {n}" for code, n in sorted(found.items())) or "none"
    out.append(f"layercheck findings: {sum(found.values())} ({shown})")
    expected = gen.expected_lc201
    verdict = "matches" if found["LC201"] == expected else "DIFFERS FROM"
    out.append(f"  LC201 {found['LC201']} {verdict} the {expected} planted")
    if f8_lc is not None:
        codes = _flake8_codes(f8_lc.output)
        lc_codes = {k: v for k, v in codes.items() if k.startswith("LC")}
        agree = "same as CLI" if lc_codes == dict(found) else f"CLI differs: {lc_codes}"
        out.append(f"flake8 --select LC findings: {sum(codes.values())} ({agree})")
    if f8_all is not None:
        codes = _flake8_codes(f8_all.output)
        top = ", ".join(f"{c} {n}" for c, n in codes.most_common(6))
        out.append(f"flake8 default findings: {sum(codes.values())} ({top or 'none'})")
    out.append("planted in the tree:")
    out.extend(f"  {n:4d}  {kind}" for kind, n in gen.planted.items())
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=2000, help="Python files to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the tree goes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; best is kept")
    parser.add_argument(
        "--flake8-repeat",
        type=int,
        default=2,
        help="runs of each flake8 command, ~10x slower than the rest (default 2; 0 skips)",
    )
    parser.add_argument(
        "--no-flake8-default", action="store_true", help="skip flake8 with its default checks"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated tree")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    out: Path = args.out.resolve()
    gen = generate(out, args.files, args.seed)
    print(f"generated {gen.files} files in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    scratch = Path(tempfile.mkdtemp(prefix="layercheck-bench-"))
    try:
        runner = Runner(out, child_env(scratch / "pycache"))
        py, tree, clear = sys.executable, str(out), _clear_cache(out)
        # The findings run comes first: it also warms the page cache and compiles
        # layercheck into the bytecode cache, so no timed run pays for that.
        clear()
        found = _findings(runner, out)
        timings: list[Timing] = []
        timings.append(runner.timed("interpreter start (-c pass)", [py, "-c", "pass"], args.repeat))
        floor = runner.timed("parse floor (1 process)", [py, "-c", PARSE_FLOOR, tree], args.repeat)
        timings.append(floor)
        if floor.output.strip() != str(gen.files):
            raise SystemExit(f"parse floor saw {floor.output.strip()} files, not {gen.files}")
        lc_cmd = [py, "-m", "layercheck", tree, "--exit-zero", "--quiet", "--verbose"]
        lc = runner.timed("layercheck", lc_cmd, args.repeat, before=clear)
        timings.append(lc)
        lc_warm = None
        if any(out.rglob(CACHE_DIR)):
            # Only once layercheck writes a cache is there a warm path to measure.
            lc_warm = runner.timed("layercheck (warm cache)", lc_cmd, args.repeat)
            timings.append(lc_warm)
        # One file passed, as pre-commit and editors do: the whole project still feeds the
        # index; with a warm cache the other files are neither read nor parsed.
        one_cmd = [*lc_cmd[:3], str(one_service(out)), *lc_cmd[4:]]
        one = runner.timed("layercheck, one file", one_cmd, args.repeat, before=clear)
        timings.append(one)
        one_warm = None
        if any(out.rglob(CACHE_DIR)):
            one_warm = runner.timed("layercheck, one file (warm cache)", one_cmd, args.repeat)
            timings.append(one_warm)
        f8_lc = f8_all = None
        f8 = [py, "-m", "flake8", tree, "--exit-zero"]
        if args.flake8_repeat > 0:
            _warm_flake8(runner, scratch)
            f8_lc = runner.timed(
                "flake8 --select LC", [*f8, "--select", "LC"], args.flake8_repeat, clear
            )
            timings.append(f8_lc)
            if not args.no_flake8_default:
                f8_all = runner.timed("flake8 (default checks)", f8, args.flake8_repeat, clear)
                timings.append(f8_all)
        print(report(gen, timings, floor, lc, lc_warm, f8_lc, f8_all, found, args, one, one_warm))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if not args.keep and (out / MARKER).is_file():
            shutil.rmtree(out)
    load_after = os.getloadavg()[0]
    print(f"\nload average (1 min) before {load_before:.2f}, after {load_after:.2f}")
    print(f"whole script: {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
