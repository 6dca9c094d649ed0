"""SQLAlchemy declarative models, found through the project index: which classes are
mapped models, and which attributes are their columns (inherited ones included)."""

from __future__ import annotations

from typing import Final

from layercheck.facts import AttributeFact
from layercheck.index import ProjectIndex

DECLARATIVE_BASE_CLASSES: Final = frozenset(
    {
        "sqlalchemy.orm.DeclarativeBase",
        "sqlalchemy.orm.DeclarativeBaseNoMeta",
        "sqlalchemy.orm.decl_api.DeclarativeBase",
        "sqlalchemy.orm.decl_api.DeclarativeBaseNoMeta",
    }
)
BASE_FACTORIES: Final = frozenset(
    {
        "sqlalchemy.orm.declarative_base",
        "sqlalchemy.orm.decl_api.declarative_base",
        "sqlalchemy.ext.declarative.declarative_base",
        "sqlalchemy.ext.declarative.api.declarative_base",
        "sqlalchemy.orm.registry().generate_base",
        "sqlalchemy.orm.decl_api.registry().generate_base",
    }
)
AS_DECLARATIVE: Final = frozenset(
    {
        "sqlalchemy.orm.as_declarative",
        "sqlalchemy.orm.decl_api.as_declarative",
        "sqlalchemy.ext.declarative.as_declarative",
    }
)
COLUMN_FACTORIES: Final = frozenset(
    {
        "sqlalchemy.Column",
        "sqlalchemy.schema.Column",
        "sqlalchemy.sql.schema.Column",
        "sqlalchemy.orm.mapped_column",
        "sqlalchemy.orm._orm_constructors.mapped_column",
        "sqlalchemy.orm.column_property",
        "sqlalchemy.orm.deferred",
        "sqlalchemy.orm.query_expression",
    }
)
RELATIONSHIP_FACTORIES: Final = frozenset(
    {
        "sqlalchemy.orm.relationship",
        "sqlalchemy.orm._orm_constructors.relationship",
        "sqlalchemy.orm.relation",
    }
)
MAPPED: Final = frozenset({"sqlalchemy.orm.Mapped", "sqlalchemy.orm.base.Mapped"})


def _base_factory_instance(qualified: str, index: ProjectIndex) -> bool:
    """`Base = declarative_base()` / `Base = registry().generate_base()`."""
    callee = index.instance_of(qualified)
    if callee is None:
        return False
    if callee in BASE_FACTORIES:
        return True
    # `mapper_registry = registry(); Base = mapper_registry.generate_base()`
    owner, _, method = callee.rpartition("().")
    if method == "generate_base" and owner:
        return index.instance_of(owner) in {
            "sqlalchemy.orm.registry",
            "sqlalchemy.orm.decl_api.registry",
        }
    return False


def is_declarative_base(qualified: str, index: ProjectIndex) -> bool:
    """The project's declarative base: `class Base(DeclarativeBase)`, the result of
    `declarative_base()` / `registry().generate_base()`, or an `@as_declarative()` class."""
    name = index.resolve(qualified)
    if _base_factory_instance(name, index):
        return True
    facts = index.class_fact(name)
    if facts is None:
        return False
    if any(index.resolve(base) in DECLARATIVE_BASE_CLASSES for base in facts.bases):
        return True
    return any(index.resolve(decorator) in AS_DECLARATIVE for decorator in facts.decorators)


def is_declarative_model(qualified: str, index: ProjectIndex) -> bool:
    """A class mapped through a declarative base: it derives (across modules, mixins and
    abstract bases) from a declarative base without being one. SQLModel classes, Pydantic
    models and `Table(...)` objects are not declarative models."""
    key = ("declarative-model", qualified)
    cached = index.memo.get(key)
    if cached is not None:
        return cached
    name = index.resolve(qualified)
    result = index.class_fact(name) is not None and not is_declarative_base(name, index)
    if result:
        result = any(is_declarative_base(a, index) for a in index.ancestors(name)[1:])
    index.memo[key] = result
    return result


def is_concrete_model(qualified: str, index: ProjectIndex) -> bool:
    """A declarative model with a table: `__tablename__` on it or a base, not abstract."""
    if not is_declarative_model(qualified, index):
        return False
    own = index.class_fact(qualified)
    if own is None or own.abstract:
        return False
    return any(
        facts is not None and facts.tablename
        for facts in (index.class_fact(a) for a in index.ancestors(qualified))
    )


def attributes(qualified: str, index: ProjectIndex) -> dict[str, AttributeFact]:
    """Class-body attributes of a class and of its project bases; nearest definition wins."""
    found: dict[str, AttributeFact] = {}
    for ancestor in index.ancestors(qualified):
        facts = index.class_fact(ancestor)
        if facts is None:
            continue
        for attribute in facts.attributes:
            found.setdefault(attribute.name, attribute)
    return found


def is_column(attribute: AttributeFact) -> bool:
    """A mapped column: `Column(...)`, `mapped_column(...)`, or a bare `x: Mapped[int]`."""
    if attribute.value in COLUMN_FACTORIES:
        return True
    return attribute.value == "" and attribute.annotation in MAPPED


def columns(qualified: str, index: ProjectIndex) -> dict[str, AttributeFact]:
    return {name: a for name, a in attributes(qualified, index).items() if is_column(a)}


def uses_async(index: ProjectIndex) -> bool:
    """Some project module imports `sqlalchemy.ext.asyncio` (or sqlmodel's async session)."""
    key = ("uses-async", "")
    cached = index.memo.get(key)
    if cached is not None:
        return cached
    result = any(
        fact.target.startswith(("sqlalchemy.ext.asyncio", "sqlmodel.ext.asyncio"))
        for item in index.by_path.values()
        for fact in item.imports
    )
    index.memo[key] = result
    return result
