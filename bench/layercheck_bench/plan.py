"""The project plan: how many domains and entities make exactly `--files` files, each
entity's columns, and which entities carry a planted violation."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Col:
    """A column of an entity's table; `ref` is the entity a foreign key points at."""

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
    """One table and the modules built around it, one a layer, plus its migration and tests;
    the flags say which violations are planted in those modules."""

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


def plan_sizes(files: int) -> tuple[int, int, int]:
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


def make_entities(rng: random.Random, domains: int, count: int) -> list[Entity]:
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


def plant(rng: random.Random, entities: list[Entity]) -> dict[str, int]:
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
