"""Layers confirmed by content: a path word names a layer, the module's content (or its
package's) must agree, else the word gives nothing and the next word farther up decides.

A word is a domain noun as often as a layer: `api/` holding outbound API clients, a
`models/` package of LLM model descriptions, a `repositories/` feature that manages git
repositories. The evidence each layer needs:

- models: the module, or a module under the folder whose name gave the word, defines an
  ORM class (SQLAlchemy declarative, SQLModel `table=True`, another ORM's model) or a
  `Table(...)`; a package `__init__` also counts what it re-exports.
- repositories: the module shows data access: it calls a session method, keeps a session
  on `self` or hands one out, imports a database library (beyond the session type it
  takes to hand on), a module that defines ORM classes, a module that imports a database
  library (its session), or another repository module that shows data access. A module
  that imports the session type, shows none of that, and imports a module that does is a
  service: `crud/runs.py` calling `get_db().store_run(session, run)`; a package
  `__init__` follows its modules (a service when more of them hand the session on than
  show data access).
- routes: the module (for a file name such as `routes.py`) or a module under the folder
  (for a folder such as `api/`) registers path operations, builds a router or includes
  one with `include_router`; and, for a folder, no two of the services, repositories and
  models words below it (`api/` holding `api/service/` and `api/models/` is the
  application's root).
- core, for a folder word: the folder holds no services or routes word below it, and no
  module below it defines path operations (`capabilities/core/access/rest.py` calling
  `router.add_api_route(...)`); a `core/` whose packages each have their `service.py`
  and `router.py` is the domain root, not the shared core.
- none, whatever the words say: a module in an Alembic environment (under the folder of
  an `env.py` that imports `alembic.context` and has revisions beneath it) other than the
  revisions themselves: `migrations/core/data_migrations.py` and the frozen copies of
  the models that the revisions import belong to the migrations, not to a layer.
- services, for a file word (`services.py`, `billing_service.py`): the module defines a
  function or a class with a method, or no class at all; `models/services.py` of Pydantic
  classes that describe the services a platform deploys gets no layer from its name.
- dependencies, whatever a lower layer's word says: a module with no classes whose
  top-level functions are all dependency providers (named in some `Depends(...)`), one at
  least taking a dependency itself.

Evidence is asked for only where the project shows that kind of thing somewhere: a project
that registers no path operation (another framework), defines no ORM class or imports no
database library gives nothing to tell a layer word from a domain noun, and its words
stand. Globs of `[tool.layercheck.layers]` are taken as given; so are the routes words when
`detect-routes = false`.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from layercheck.facts import ClassFact, FileFacts, ImportFact
from layercheck.layers import Layer

DATABASE_PACKAGES: Final = frozenset(
    {
        "sqlalchemy",
        "sqlmodel",
        "asyncpg",
        "databases",
        "psycopg",
        "psycopg2",
        "aiosqlite",
        "sqlite3",
        "motor",
        "pymongo",
        "tortoise",
        "beanie",
        "odmantic",
        "mongoengine",
        "peewee",
        "piccolo",
        "ormar",
        "pynamodb",
    }
)
"""Importing one of these is data access."""
SESSION_TYPES: Final = frozenset(
    {
        "sqlalchemy.orm",
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.ext.asyncio",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlmodel.Session",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    }
)
"""What a module imports to annotate the session it takes and hands on
(`get_db().store_run(session, run)`): a service in a `crud/` folder; calling the session,
building a statement or naming a model is data access."""
_OTHER_ORM_PREFIXES: Final = (
    "tortoise.",
    "beanie.",
    "odmantic.",
    "mongoengine.",
    "peewee.",
    "piccolo.",
    "ormar.",
    "pynamodb.",
)
_ROUTER_NAMES: Final = frozenset({"APIRouter", "Router", "FastAPI"})
_SQLMODEL: Final = frozenset({"sqlmodel.SQLModel", "sqlmodel.main.SQLModel"})
_BELOW_DEPENDENCIES: Final = frozenset({Layer.SERVICES, Layer.REPOSITORIES, Layer.MODELS})
_CONFIRMED: Final = frozenset(
    {Layer.MODELS, Layer.REPOSITORIES, Layer.ROUTES, Layer.CORE, Layer.SERVICES}
)
_MISSING: Final[Mapping[Layer, str]] = {
    Layer.MODELS: "defines no ORM class or table",
    Layer.REPOSITORIES: "shows no data access",
    Layer.ROUTES: "registers no path operation or router",
    Layer.CORE: "holds services or routes (a domain root, not the shared core)",
    Layer.SERVICES: "only declares data classes (describes services, is none)",
}
_ABOVE_CORE: Final = frozenset({Layer.SERVICES, Layer.ROUTES})
_BELOW_ROUTES: Final = frozenset({Layer.SERVICES, Layer.REPOSITORIES, Layer.MODELS})
_APPLICATION_ROOT: Final = "holds services, repositories or models (the application's root)"
_NOT_ACCESS: Final = frozenset({"exc", "exceptions", "types", "errors"})
"""Submodules of a database library that a module imports without reaching the database:
`from sqlalchemy.exc import IntegrityError` in a logging helper is no session."""


class IndexView(Protocol):
    """What the evidence reads of the project index."""

    by_path: dict[str, FileFacts]
    by_module: dict[str, FileFacts]

    def resolve(self, qualified: str) -> str: ...

    def ancestors(self, qualified: str) -> list[str]: ...

    def class_fact(self, qualified: str) -> ClassFact | None: ...

    def instance_of(self, qualified: str) -> str | None: ...

    def import_module(self, fact: ImportFact) -> str | None: ...

    def type_alias(self, qualified: str) -> tuple[str, str] | None: ...


@dataclass(frozen=True, slots=True)
class LayerDecision:
    layer: Layer | None
    folder: str | None
    """The folder whose name gave the layer (None when the file name, a glob or the
    content did)."""
    note: str = ""
    """Why the layer is not the one the nearest path word names ("" when it is)."""


class LayerEvidence:
    """Decides each file's layer from its path words and the project's content."""

    def __init__(self, index: IndexView, routers: frozenset[str]) -> None:
        self.index = index
        self.routers = routers
        self._orm_classes: dict[str, bool] = {}
        self._orm_modules: dict[str, bool] = {}
        self._data_access: dict[str, bool] = {}
        self._folders: dict[tuple[Layer, str], bool] = {}
        self._providers: frozenset[str] | None = None
        self._shown: dict[Layer, bool] = {}
        self._environments: tuple[str, ...] | None = None
        self._roots: dict[tuple[frozenset[Layer], str], bool] = {}
        self._members: dict[str, list[FileFacts]] = {}
        self._paths: list[str] | None = None
        """The project's paths in its order."""
        self._sorted = array("I")
        """Places in `_paths` in the order of the paths: the paths below a folder are one
        run. Four bytes a file: a map of each path to its place held an int object and an
        entry for each (about 100 bytes a file, 100,000 files: 10 MiB)."""

    # -- the decision ------------------------------------------------------------------
    def decide(self, item: FileFacts) -> LayerDecision:
        if item.is_test:
            return LayerDecision(None, None)
        if item.defines_revision or item.path_layer is Layer.MIGRATIONS:
            return LayerDecision(Layer.MIGRATIONS, None)
        if item.layer_given:
            return LayerDecision(item.path_layer, None)
        environment = self.alembic_environment(item.path)
        if environment is not None:
            where = self._name(item, environment)
            return LayerDecision(None, None, f"beside Alembic's `{where}env.py`")
        if item.detect_routes and self.registers_routes(item):
            overruled = item.path_layer not in {None, Layer.ROUTES}
            note = "registers path operations" if overruled else ""
            return LayerDecision(Layer.ROUTES, None, note)
        if self.only_providers(item):
            note = "" if item.path_layer is Layer.DEPENDENCIES else "only dependency providers"
            return LayerDecision(Layer.DEPENDENCIES, None, note)
        candidates: list[tuple[Layer, str | None]] = []
        if item.path_layer is not None:
            candidates.append((item.path_layer, item.layer_folder))
        candidates.extend((Layer(value), folder) for value, folder in item.outer_layers)
        refused: list[str] = []
        for layer, folder in candidates:
            if self.confirms(item, layer, folder):
                note = "; ".join(refused)
                if refused:
                    note += f"; `{self._name(item, folder)}` gives {layer.value}"
                return LayerDecision(layer, folder, note)
            if layer is Layer.REPOSITORIES and self.hands_session_on(item, folder):
                where = self._name(item, folder)
                note = f"`{where}` takes a session only to hand it on (a service)"
                return LayerDecision(Layer.SERVICES, folder, note)
            refused.append(f"`{self._name(item, folder)}` {self._missing(layer, folder)}")
        return LayerDecision(None, None, "; ".join(refused))

    def _package_access(self, members: list[FileFacts]) -> tuple[int, int]:
        """(modules showing data access, modules handing the session on) of a package."""
        modules = [m for m in members if not m.is_package]
        access = sum(1 for m in modules if self.shows_data_access(m.module))
        return access, sum(1 for m in modules if self.hands_session_on(m, None))

    def hands_session_on(self, item: FileFacts, folder: str | None) -> bool:
        """A module in a repositories place that imports the session type, shows no data
        access of its own, and imports a module that does: mlrun's `crud/runs.py`
        taking `session: Session` to call `get_db().store_run(session, run)` is the
        service layer above the database one. A package is when more of its modules
        hand the session on than show data access."""
        if item.is_package:
            if folder is None:
                return False
            access, handing = self._package_access(self._under(folder))
            return handing > access
        if self.shows_data_access(item.module):
            return False
        if not any(f.target in SESSION_TYPES for f in item.imports):
            return False
        return any(
            imported is not None and imported != item.module and self.shows_data_access(imported)
            for imported in (
                self.index.import_module(f) for f in item.imports if not f.type_checking
            )
        )

    @staticmethod
    def _name(item: FileFacts, folder: str | None) -> str:
        if folder is None:
            return item.path.replace("\\", "/").rpartition("/")[2]
        return folder.replace("\\", "/").rpartition("/")[2] + "/"

    def confirms(self, item: FileFacts, layer: Layer, folder: str | None) -> bool:
        if layer not in _CONFIRMED or _empty(item):
            return True  # nothing in an empty `__init__.py` contradicts its folder
        if layer is Layer.ROUTES and not item.detect_routes:
            return True
        if not self.project_shows(layer):
            return True
        members = [item] if folder is None else self._under(folder)
        if layer is Layer.REPOSITORIES:
            if item.is_package:
                access, handing = self._package_access(members)
                return access > 0 and access >= handing
            return self.shows_data_access(item.module)
        if layer is Layer.MODELS:
            return any(self.defines_orm(member) for member in members)
        if layer is Layer.CORE:
            return folder is None or not self._holds(folder, _ABOVE_CORE)
        if layer is Layer.SERVICES:
            return folder is not None or _behaviour(item)
        if folder is not None and self._holds(folder, _BELOW_ROUTES, at_least=2):
            return False
        key = (layer, folder or item.path)
        found = self._folders.get(key)
        if found is None:
            found = any(self.routes_evidence(member) for member in members)
            self._folders[key] = found
        return found

    def project_shows(self, layer: Layer) -> bool:
        """Some module of the project has the kind of evidence `layer` asks for."""
        if layer in {Layer.CORE, Layer.SERVICES}:
            return True
        found = self._shown.get(layer)
        if found is None:
            items = [item for item in self.index.by_path.values() if not item.is_test]
            if layer is Layer.ROUTES:
                found = any(self.routes_evidence(item) for item in items)
            elif layer is Layer.MODELS:
                found = any(self.defines_orm(item) for item in items)
            else:
                found = any(
                    item.uses_session or any(_database_import(f) for f in item.passing("imports"))
                    for item in items
                )
            self._shown[layer] = found
        return found

    def _under(self, folder: str) -> list[FileFacts]:
        """The modules below `folder` other than tests, in the project's order. Asked of
        every folder a layer word names, once for each module in it: a scan of the whole
        project per question made the index quadratic (10,000 files: 11M comparisons)."""
        found = self._members.get(folder)
        if found is not None:
            return found
        by_path = self.index.by_path
        paths = self._paths
        if paths is None:
            paths = self._paths = list(by_path)
            self._sorted = array("I", sorted(range(len(paths)), key=paths.__getitem__))
        order = self._sorted
        stem = folder.rstrip("/\\")
        below: list[int] = []
        for separator in ("/", "\\"):
            # The paths that start with `stem + separator` sort from it up to, not
            # including, `stem` followed by the character after the separator.
            start = bisect.bisect_left(order, stem + separator, key=paths.__getitem__)
            stop = bisect.bisect_left(
                order, stem + chr(ord(separator) + 1), lo=start, key=paths.__getitem__
            )
            below.extend(order[start:stop])
        below.sort()
        members = (by_path[paths[at]] for at in below)
        found = self._members[folder] = [item for item in members if not item.is_test]
        return found

    # -- core and Alembic environments ---------------------------------------------------
    def _holds(self, folder: str, layers: frozenset[Layer], *, at_least: int = 1) -> bool:
        """Modules below `folder` take `at_least` distinct `layers` from nearer words
        (a module registering path operations aside: it is routes whatever its name):
        `core/billing/service.py` makes `core` the root of the domain packages, not the
        shared layer; `api/service/` beside `api/models/` makes `api` the application's
        root, not the routes layer, while `routes/users/crud.py` of path operations
        does not."""
        key = (layers, folder)
        found = self._roots.get(key)
        if found is None:
            members = self._under(folder)
            named: set[Layer | None] = {
                member.path_layer
                for member in members
                if member.path_layer in layers
                and member.layer_folder != folder
                and not (member.detect_routes and self.registers_routes(member))
            }
            if Layer.ROUTES in layers and any(
                m.detect_routes and (m.path_decorators or m.route_receivers) for m in members
            ):
                named.add(Layer.ROUTES)  # path operations defined below, whatever the names
            found = len(named) >= at_least
            self._roots[key] = found
        return found

    def _missing(self, layer: Layer, folder: str | None) -> str:
        if (
            layer is Layer.ROUTES
            and folder is not None
            and self._holds(folder, _BELOW_ROUTES, at_least=2)
        ):
            return _APPLICATION_ROOT
        return _MISSING[layer]

    def environments(self) -> tuple[str, ...]:
        """Folders of the project's Alembic `env.py` files (those importing
        `alembic.context`) that have revisions beneath them."""
        if self._environments is None:
            found: list[str] = []
            for item in self.index.by_path.values():
                folder, _, name = item.path.replace("\\", "/").rpartition("/")
                if name != "env.py" or item.is_test:
                    continue
                if not any(f.target == "alembic.context" for f in item.imports):
                    continue
                prefix = folder + "/"
                if any(
                    other.defines_revision and other.path.replace("\\", "/").startswith(prefix)
                    for other in self.index.by_path.values()
                ):
                    found.append(folder)
            self._environments = tuple(found)
        return self._environments

    def alembic_environment(self, path: str) -> str | None:
        """The Alembic environment folder holding `path`, unless `path` is a revision."""
        item = self.index.by_path.get(path)
        if item is not None and (item.defines_revision or item.path_layer is Layer.MIGRATIONS):
            return None
        posix = path.replace("\\", "/")
        for folder in self.environments():
            if posix.startswith(folder + "/"):
                return folder
        return None

    # -- routes ------------------------------------------------------------------------
    def registers_routes(self, item: FileFacts) -> bool:
        return any(self.index.resolve(r) in self.routers for r in item.route_receivers)

    def routes_evidence(self, item: FileFacts) -> bool:
        """Path operations, a router built, or one included. Unlike the routes layer by
        content, a word needs no proof that the receiver is a FastAPI router: projects
        build their router class with a factory (`APIRouter = get_api_router_class(R)`),
        and `@router.get("/")` alone speaks for the word."""
        if item.includes_routers or item.route_receivers or item.path_decorators:
            return True
        return any(
            f"{item.module}.{name}" in self.routers or callee.rpartition(".")[2] in _ROUTER_NAMES
            for name, callee in item.passing("instances")
        )

    # -- dependencies ------------------------------------------------------------------
    def providers(self) -> frozenset[str]:
        if self._providers is None:
            found: set[str] = set()
            for facts in self.index.by_path.values():
                found.update(self.index.resolve(name) for name in facts.passing("providers"))
                found.update(
                    self.index.resolve(provider)
                    for _, _, provider in facts.passing("type_aliases")
                    if provider
                )
            self._providers = frozenset(found)
        return self._providers

    def only_providers(self, item: FileFacts) -> bool:
        """A module a lower layer's word names that holds no classes, whose top-level
        functions are all named in some `Depends(...)`, one at least taking a dependency:
        `dependencies/repositories.py` handing out repositories. A session factory such as
        `get_db()` takes none: the modules below import it too, it keeps its path's layer."""
        if item.path_layer not in _BELOW_DEPENDENCIES:
            return False
        if item.classes or not item.functions or not item.module:
            return False
        providers = self.providers()
        return any(fn.takes_dependencies for fn in item.functions) and all(
            f"{item.module}.{fn.name}" in providers for fn in item.functions
        )

    # -- models ------------------------------------------------------------------------
    def defines_orm(self, item: FileFacts) -> bool:
        found = self._orm_modules.get(item.module)
        if found is not None:
            return found
        self._orm_modules[item.module] = False
        names = [f"{item.module}.{cls.name}" for cls in item.classes]
        names.extend(f"{item.module}.{name}" for name, _ in item.instances)
        if item.is_package:
            names.extend(target for _, target in item.bindings)
        found = any(self.is_orm_class(name) or self.is_table(name) for name in names)
        self._orm_modules[item.module] = found
        return found

    def is_table(self, qualified: str) -> bool:
        callee = self.index.instance_of(qualified)
        return callee is not None and _is_sql(callee) and callee.endswith(".Table")

    def is_orm_class(self, qualified: str) -> bool:
        name = self.index.resolve(qualified)
        cached = self._orm_classes.get(name)
        if cached is not None:
            return cached
        self._orm_classes[name] = False
        result = False
        if self.index.class_fact(name) is not None:
            lineage = self.index.ancestors(name)
            facts = [f for f in (self.index.class_fact(a) for a in lineage) if f is not None]
            if any(a in _SQLMODEL for a in lineage):
                result = any(("table", "True") in f.keywords for f in facts)
            else:
                result = any(_orm_root(a, self.index) for a in lineage) or any(
                    _mapped_body(f) for f in facts
                )
        self._orm_classes[name] = result
        return result

    # -- repositories ------------------------------------------------------------------
    def shows_data_access(self, module: str) -> bool:
        found = self._data_access.get(module)
        if found is not None:
            return found
        item = self.index.by_module.get(module)
        if item is None:
            return True
        self._data_access[module] = False  # an import cycle proves nothing
        found = self._imports_data_access(item)
        self._data_access[module] = found
        return found

    def _imports_data_access(self, item: FileFacts) -> bool:
        if item.uses_session or _holds_session(item):
            return True
        for fact in item.imports:
            if _database_import(fact) and fact.target not in SESSION_TYPES:
                return True
        for fact in item.imports:
            if fact.type_checking:
                continue  # a type hint reaches nothing
            imported = self.index.import_module(fact)
            if imported is None or imported == item.module:
                continue
            target = self.index.by_module[imported]
            if self.defines_orm(target) or self.is_orm_class(fact.target):
                return True
            if not fact.in_function and (
                any(_reaches_database(i) for i in target.imports) or _holds_session(target)
            ):
                return True  # its session, engine or driver; a helper imported in a
                # function to be called is orchestration, not the module's own access
            if target.path_layer is Layer.REPOSITORIES and self.shows_data_access(imported):
                return True
        return False


def _behaviour(item: FileFacts) -> bool:
    """A function, or a class with a method: what a service module does. A module of
    classes that only declare fields (`models/services.py` describing the services a
    platform deploys) describes, and a file name gives it no services layer."""
    return bool(item.functions) or not item.classes or any(c.methods for c in item.classes)


def _holds_session(item: FileFacts) -> bool:
    """A class keeps a session (an engine, a connection) on `self`, as a
    `BaseRepository(session)` or a dataclass with a `session: Session` field does, or a
    function hands one out (`get_session() -> Session`): the module owns the access, not
    only the type of what it is given."""
    kept = (kind for cls in item.classes for _, kind in cls.instance_types)
    # A field declared in the class body (`session: AsyncSession` of a dataclass or an
    # attrs class) is kept on the instance too.
    if any(a.annotation in SESSION_TYPES for cls in item.classes for a in cls.attributes):
        return True
    made = (
        name
        for fn in item.functions
        for name in (*fn.yields_calls, *([fn.produces] if fn.produces else []))
    )
    return any(name.split(".")[0] in DATABASE_PACKAGES for name in (*kept, *made))


def _empty(item: FileFacts) -> bool:
    """Nothing that could speak for or against a layer: no import (`__future__` aside);
    an empty `__init__.py`, a stub."""
    return all(fact.target.startswith("__future__") for fact in item.imports)


def _is_sql(name: str) -> bool:
    return name.startswith(("sqlalchemy.", "sqlmodel."))


def _database_import(fact: ImportFact) -> bool:
    return fact.target.split(".")[0] in DATABASE_PACKAGES


def _reaches_database(fact: ImportFact) -> bool:
    """An import that makes the importing module a way to the database for its own
    importers: at module level, not an exception or type submodule."""
    if fact.in_function or fact.type_checking or not _database_import(fact):
        return False
    if fact.target in SESSION_TYPES:
        return False  # the type of a session it takes, not one it opens
    return not (set(fact.target.split(".")[1:]) & _NOT_ACCESS)


def _orm_root(name: str, index: IndexView) -> bool:
    """A library class or factory-made base that mapped classes derive from."""
    if name.startswith(_OTHER_ORM_PREFIXES):
        return True
    if _is_sql(name) and name.rpartition(".")[2] in {"DeclarativeBase", "DeclarativeBaseNoMeta"}:
        return True
    callee = index.instance_of(name)
    if callee is not None and _is_sql(callee):
        return callee.endswith((".declarative_base", ".generate_base"))
    facts = index.class_fact(name)
    return facts is not None and any(
        _is_sql(index.resolve(d)) and d.endswith("as_declarative") for d in facts.decorators
    )


def _mapped_body(facts: ClassFact) -> bool:
    """`__tablename__`, or a class-body column or relationship."""
    return facts.tablename or any(
        (_is_sql(a.value) and a.value.rpartition(".")[2] in _MAPPING_CALLS)
        or (
            a.annotation.startswith("sqlalchemy.orm.")
            and a.annotation.rpartition(".")[2] in _MAPPED_HINTS
        )
        for a in facts.attributes
    )


_MAPPING_CALLS: Final = frozenset(
    {"Column", "mapped_column", "relationship", "relation", "column_property", "deferred"}
)
_MAPPED_HINTS: Final = frozenset({"Mapped", "WriteOnlyMapped", "DynamicMapped"})
