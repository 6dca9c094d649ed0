"""SQLAlchemy declarative models, found through the project index: which classes are
mapped models, and which attributes are their columns (inherited ones included)."""

from __future__ import annotations

from typing import Final

from layercheck.facts import AttributeFact
from layercheck.index import ProjectIndex, derived
from layercheck.layers import Layer
from layercheck.pydantic_models import is_pydantic_model, is_sqlmodel_table

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
        "sqlalchemy.ext.declarative.api.as_declarative",
    }
)
REGISTRY_CLASSES: Final = frozenset({"sqlalchemy.orm.registry", "sqlalchemy.orm.decl_api.registry"})
LEGACY_BASE_FACTORIES: Final = frozenset(
    name for name in BASE_FACTORIES if name.endswith(".declarative_base")
)
"""`declarative_base()`; 2.0 wants `class Base(DeclarativeBase)`."""
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
WRITE_ONLY_MAPPED: Final = frozenset(
    {"sqlalchemy.orm.WriteOnlyMapped", "sqlalchemy.orm.base.WriteOnlyMapped"}
)
DYNAMIC_MAPPED: Final = frozenset(
    {"sqlalchemy.orm.DynamicMapped", "sqlalchemy.orm.base.DynamicMapped"}
)
MAPPED_ANNOTATIONS: Final = MAPPED | WRITE_ONLY_MAPPED | DYNAMIC_MAPPED
"""Annotations that declare a mapped attribute: `Mapped[...]` and its relationship kinds."""
COLUMN_CLASSES: Final = frozenset(
    {"sqlalchemy.Column", "sqlalchemy.schema.Column", "sqlalchemy.sql.schema.Column"}
)
"""The 1.x-style `Column` (sqlmodel re-exports it as `sqlmodel.Column`)."""
MAPPED_COLUMN: Final = frozenset(
    {"sqlalchemy.orm.mapped_column", "sqlalchemy.orm._orm_constructors.mapped_column"}
)
TABLE_CLASSES: Final = frozenset(
    {"sqlalchemy.Table", "sqlalchemy.schema.Table", "sqlalchemy.sql.schema.Table"}
)
METADATA_CLASSES: Final = frozenset(
    {"sqlalchemy.MetaData", "sqlalchemy.schema.MetaData", "sqlalchemy.sql.schema.MetaData"}
)
_CLASS_VARS: Final = frozenset({"typing.ClassVar", "typing_extensions.ClassVar"})
DECLARED_ATTR: Final = frozenset(
    f"{module}.declared_attr{suffix}"
    for module in (
        "sqlalchemy.orm",
        "sqlalchemy.orm.decl_api",
        "sqlalchemy.ext.declarative",
        "sqlalchemy.ext.declarative.api",
    )
    for suffix in ("", ".directive", ".cascading")
)


def _base_factory_instance(qualified: str, index: ProjectIndex) -> bool:
    """`Base = declarative_base()` / `Base = registry().generate_base()`."""
    callee = index.instance_of(qualified)
    if callee is None:
        return False
    if callee in BASE_FACTORIES:
        return True
    # `mapper_registry = registry(); Base = mapper_registry.generate_base()`
    owner, _, method = callee.rpartition(".")
    owner = owner.removesuffix("()")
    return method == "generate_base" and index.instance_of(owner) in REGISTRY_CLASSES


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
    models, `Table(...)` objects and classes defined in migrations are not declarative
    models."""
    return _declarative_model(index, qualified)


@derived("declarative-model")
def _declarative_model(index: ProjectIndex, qualified: str) -> bool:
    name = index.resolve(qualified)
    result = (
        index.class_fact(name) is not None
        and index.layer_of_module(name) is not Layer.MIGRATIONS
        and not is_declarative_base(name, index)
    )
    if result:
        result = any(is_declarative_base(a, index) for a in index.ancestors(name)[1:])
    return result


def is_model_class(qualified: str, index: ProjectIndex) -> bool:
    """A class whose class-body attributes end up mapped: a declarative model, a
    declarative base, or a project class (mixin, abstract base) that some declarative
    model of the project derives from. Pydantic models never are."""
    return _model_class(index, qualified)


@derived("model-class")
def _model_class(index: ProjectIndex, qualified: str) -> bool:
    name = index.resolve(qualified)
    if index.class_fact(name) is None or index.layer_of_module(name) is Layer.MIGRATIONS:
        return False
    if is_declarative_model(name, index) or is_declarative_base(name, index):
        return True
    done = ("model-ancestors", "")
    if done not in index.memo:
        _mark_model_ancestors(index)
        index.memo[done] = True
    return index.memo.get(("model-ancestor", name), False) and not is_pydantic_model(name, index)


def _mark_model_ancestors(index: ProjectIndex) -> None:
    """Every ancestor of a declarative model of the project, in `index.memo`. A model has
    a declarative base among its ancestors: classes without one (nearly all of a large
    project) are passed over on that alone, each base asked about once."""
    bases: dict[str, bool] = {}
    # Each class named in turn, not listed first (`index.classes()`): that list held a
    # tuple and a name for every class of the project at once, in each rules worker.
    # Named from the index's own (name, bases): decoding every file's classes for their
    # names was most of a run after an edit to one file of a large project.
    for model in index.class_names():
        ancestors = index.ancestors(model)
        found = False
        for ancestor in ancestors[1:]:
            known = bases.get(ancestor)
            if known is None:
                known = bases[ancestor] = is_declarative_base(ancestor, index)
            if known:
                found = True
                break
        if found and is_declarative_model(model, index):
            for ancestor in ancestors[1:]:
                index.memo[("model-ancestor", ancestor)] = True


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


def mapped_attributes(qualified: str, index: ProjectIndex) -> dict[str, AttributeFact]:
    """Attributes that are SQL expressions on the class (`Model.col`): columns and
    relationships of a declarative model, inherited ones included, or the fields of a
    SQLModel `table=True` class (its class attributes other than dunders, `ClassVar`s and
    `model_config`). Empty for any other class."""
    if is_declarative_model(qualified, index):
        return {
            name: a
            for name, a in attributes(qualified, index).items()
            if is_column(a)
            or a.value in RELATIONSHIP_FACTORIES
            or a.annotation in MAPPED_ANNOTATIONS
        }
    if is_sqlmodel_table(qualified, index):
        return {
            name: a
            for name, a in attributes(qualified, index).items()
            if a.annotation not in _CLASS_VARS
            and not name.startswith("__")
            and name != "model_config"
        }
    return {}


_ASYNC_MODULES: Final = ("sqlalchemy.ext.asyncio", "sqlmodel.ext.asyncio")
_SYNC_SESSIONS: Final = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.orm.scoped_session",
        "sqlmodel.Session",
        "sqlmodel.orm.session.Session",
    }
)


_ASYNC_SESSIONS: Final = frozenset(
    {
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    }
)


def _async_name(target: str, index: ProjectIndex) -> bool:
    """An import of async SQLAlchemy, or of a project name that stands for its session: a
    re-export, a subclass, or a `NewType("AsyncSession", AsyncReadSession)` over one."""
    if target.startswith(_ASYNC_MODULES):
        return True
    name = index.resolve(target)
    for _ in range(4):  # `AsyncSession = NewType("AsyncSession", AsyncReadSession)`, ...
        if name.startswith(_ASYNC_MODULES):
            return True
        alias = index.type_alias(name)
        if alias is None or not alias[0]:
            break
        name = alias[0]
    return index.is_project_class(name) and index.inherits(name, _ASYNC_SESSIONS)


def loaded_async(module: str, index: ProjectIndex) -> bool:
    """The models of `module` may be loaded through an async session: the project's
    modules use async sessions at least as often as sync ones, or the module (or one
    that imports it) imports an async session. A mostly sync project with a few async
    endpoints loads most models synchronously, where lazy loading works."""
    return _loaded_async(index, module)


@derived("loaded-async")
def _loaded_async(index: ProjectIndex, module: str) -> bool:
    # A derived question: a file that asks reads this one answer, not every module's
    # imports that the scan below read (recorded for each file that asks, those made
    # a cached run's memory quadratic in the project: 10,000 files, over 20 GiB).
    done = ("loaded-async-scan", "")
    if done not in index.memo:
        _scan_loaded_async(index)
        index.memo[done] = True
    found = index.memo.get(("loaded-async-module", module))
    return found if found is not None else not index.memo[("loaded-async-mostly-sync", "")]


def _scan_loaded_async(index: ProjectIndex) -> None:
    """Which modules' models may be loaded through an async session, stored for every
    module at once (in `memo` directly, under keys no `derive` question has: a trim of
    the derived answers keeps them, and the scan runs once per index)."""
    # Each module's imports read in turn, not listed all at once first: on a large project
    # that list was the largest thing a rules worker built (about 1.5 KiB a file).
    sync: set[str] = set()
    asynchronous: set[str] = set()
    for item in index.by_module.values():
        if item.is_test:
            continue
        imports = item.passing("imports")
        if any(fact.target in _SYNC_SESSIONS for fact in imports):
            sync.add(item.module)
        for fact in imports:
            if _async_name(fact.target, index):
                asynchronous.add(item.module)
    mostly_sync = len(sync) > len(asynchronous)
    reached = set(asynchronous)
    if mostly_sync:
        for item in index.by_module.values():
            if item.module in asynchronous:
                for fact in item.passing("imports"):
                    target = index.import_module(fact)
                    if target is not None:
                        reached.add(target)
    index.memo[("loaded-async-mostly-sync", "")] = mostly_sync
    # Only the modules whose answer is not the project's (`not mostly_sync`, what a
    # module with no entry reads): an entry for every module was about 120 bytes a file
    # in each rules worker.
    if mostly_sync:
        for name in index.by_module:
            if name in reached:
                index.memo[("loaded-async-module", name)] = True


def uses_async(index: ProjectIndex) -> bool:
    """Some project module imports `sqlalchemy.ext.asyncio` (or sqlmodel's async session)."""
    return _uses_async(index, "")


@derived("uses-async")
def _uses_async(index: ProjectIndex, _: str) -> bool:
    return any(
        fact.target.startswith(("sqlalchemy.ext.asyncio", "sqlmodel.ext.asyncio"))
        for item in index.by_path.values()
        for fact in item.passing("imports")
    )
