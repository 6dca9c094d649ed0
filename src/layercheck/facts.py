"""Per-file facts, the data the project index and the facts cache read: small, frozen,
picklable, derived from source text alone, so a cache can keep them by content hash.
`extract.py` gathers them from a file's statements before any rule runs."""

from __future__ import annotations

import marshal
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Final

from layercheck.layers import Layer

ROUTE_METHODS: Final = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route", "websocket"}
)
ROUTE_REGISTRARS: Final = frozenset({"add_api_route", "add_api_websocket_route"})
UNKNOWN: Final = ""
"""A handler registered for an exception the facts cannot name (e.g. in a loop)."""


def interned(value: Any) -> Any:
    """`value` with its strings, also those in (nested) tuples, interned: the module and
    class names that every file imports are then held once, however many files hold
    them."""
    if type(value) is str:
        return sys.intern(value)
    if type(value) is tuple:
        return tuple(interned(item) for item in value)
    return value


def _rebuilt(kind: type[Any], values: tuple[Any, ...]) -> Any:
    return kind(*(interned(value) for value in values))


class _Compact:
    """Facts that come back from a worker process (pickled) as one object per file and
    per fact, as all facts do, but with their strings interned in the receiving process:
    unpickled strings are new objects, one per file that names them. A file's facts
    travel as one `marshal` string of their values (`plain`), which interns in C the
    strings the sender interned (`FileFacts.__reduce__`)."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        names = field_names(type(self))
        return _rebuilt, (type(self), tuple(getattr(self, name) for name in names))


def field_names(kind: type[Any]) -> tuple[str, ...]:
    """The names of a facts dataclass's fields, in order."""
    found = _FIELD_NAMES.get(kind)
    if found is None:
        found = _FIELD_NAMES[kind] = tuple(item.name for item in fields(kind))
    return found


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


@dataclass(frozen=True, slots=True)
class ImportFact(_Compact):
    target: str
    """`a.b.c` for `import a.b.c` and for `from a.b import c`."""
    from_module: str | None
    """`a.b` for `from a.b import c`; None for `import a.b.c`."""
    line: int
    type_checking: bool
    in_function: bool = False


@dataclass(frozen=True, slots=True)
class AttributeFact(_Compact):
    name: str
    value: str
    """Qualified callee of the assigned call (`sqlalchemy.orm.mapped_column`), or ""."""
    annotation: str
    """Qualified head of the annotation (`sqlalchemy.orm.Mapped`), or ""."""
    line: int
    has_default: bool = True
    """False for `x: int` and `x: int = Field(...)` / `Field(min_length=1)`."""


@dataclass(frozen=True, slots=True)
class ClassFact(_Compact):
    name: str
    bases: tuple[str, ...]
    line: int
    decorators: tuple[str, ...] = ()
    keywords: tuple[tuple[str, str], ...] = ()
    """Class keywords: (`table`, `True`), (`metaclass`, qualified name)."""
    attributes: tuple[AttributeFact, ...] = ()
    config: tuple[tuple[str, str], ...] = ()
    """`model_config = ConfigDict(k=v)` items, and `class Config:` items as `Config.k`."""
    tablename: bool = False
    abstract: bool = False
    defines_init: bool = False
    """The class defines `__init__` or `__new__` (its call signature is its own)."""
    methods: tuple[str, ...] = ()
    """Names of the functions defined in the class body."""
    instance_types: tuple[tuple[str, str], ...] = ()
    """(attribute, qualified type) of what the methods store on `self`: `self.x = p` for a
    parameter `p` annotated with one type, `self.x: T = ...`, and `@property def x(self)
    -> T`; what a subclass in another module inherits. A union gives one pair per member
    (`None` aside)."""


@dataclass(frozen=True, slots=True)
class FunctionFact(_Compact):
    name: str
    line: int
    produces: str | None
    """The class the return annotation promises (generators and context managers
    unwrapped: `AsyncGenerator[AsyncSession, None]` -> AsyncSession)."""
    yields_calls: tuple[str, ...] = ()
    """Callees whose result the function yields or returns (`SessionLocal` for
    `db = SessionLocal(); yield db`)."""
    decorators: tuple[str, ...] = ()
    takes_dependencies: bool = False
    """A parameter of the function is `Depends(...)`/`Security(...)`, or annotated with
    `Annotated[X, Depends(...)]`: FastAPI calls it to inject, it is a provider."""


@dataclass(frozen=True, slots=True)
class RevisionFact(_Compact):
    revision: str | None
    down_revisions: tuple[str, ...]
    """Empty for a root revision (`down_revision = None`)."""
    revision_line: int
    down_revision_line: int
    down_revision_known: bool = True
    """False when `down_revision` is no literal (a variable): the parent is unknown."""
    branch_labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FileFacts(_Compact):
    path: str
    module: str
    is_package: bool
    path_layer: Layer | None
    is_test: bool
    detect_routes: bool = True
    layer_folder: str | None = None
    """The folder whose name gave `path_layer` (None when the file's own name did)."""
    parsed: bool = True
    imports: tuple[ImportFact, ...] = ()
    bindings: tuple[tuple[str, str], ...] = ()
    """Module-level names and what they resolve to (imports, aliases, own definitions)."""
    classes: tuple[ClassFact, ...] = ()
    functions: tuple[FunctionFact, ...] = ()
    instances: tuple[tuple[str, str], ...] = ()
    """Module-level `name = Callee(...)`: (name, qualified callee)."""
    base_mixins: tuple[tuple[str, str], ...] = ()
    """Module-level `Base = declarative_base(cls=Mixin)` (or `generate_base(cls=...)`):
    (name, qualified mixin), the class whose attributes every model on `Base` has."""
    type_aliases: tuple[tuple[str, str, str], ...] = ()
    """Module-level `Name = Annotated[X, Depends(p)]`: (name, X or "", p or "")."""
    union_aliases: tuple[tuple[str, str], ...] = ()
    """Module-level aliases of a discriminated union of classes, `Name = Annotated[A | B,
    Discriminator("kind")]` (also as `Name: TypeAlias = ...` or `type Name = ...`): (name,
    qualified member), one row per member."""
    route_receivers: tuple[str, ...] = ()
    """Qualified names of objects that path operations are registered on."""
    response_models: tuple[tuple[str, str, str], ...] = ()
    """(receiver, model, function) for each decorated path operation: the class its
    `response_model=` (else its return annotation) names, also inside `list[...]`; not
    recorded when `response_model_exclude=` / `_include=` trims what is sent."""
    request_bodies: tuple[tuple[str, str, str, str], ...] = ()
    """(receiver, method, path, class) for each decorated path operation and each of its
    parameters that may be its body: annotated with one class (also inside `list[...]`,
    `Optional`, `Annotated`), with no `Depends`/`Query`/`Path`/`Header`/`Cookie`/`Form`/
    `File` marker; `method` is lower case (`api_route(methods=[...])` gives one row per
    method), `path` the route's literal path or "". Whether the class is a model is the
    reader's to say."""
    handlers: tuple[str, ...] = ()
    """Exceptions given a global handler here (UNKNOWN when not nameable)."""
    raises: tuple[tuple[str, int], ...] = ()
    """(qualified exception, line) of every `raise` naming a class."""
    catches: tuple[str, ...] = ()
    """Qualified exceptions named by `except` clauses (UNKNOWN when not nameable)."""
    revision: RevisionFact | None = None
    layer_given: bool = False
    """A `[tool.layercheck.layers]` glob gave `path_layer`: taken as given, never checked
    against the content."""
    outer_layers: tuple[tuple[str, str], ...] = ()
    """The layers (their values) that folder names farther up the path give, nearest
    first, with the folder that gives each: what decides when the nearer word's content
    contradicts it."""
    includes_routers: bool = False
    """Some statement calls `<x>.include_router(...)`."""
    path_decorators: bool = False
    """Some function, nested ones too, is decorated `@<x>.get("/path")` (any route method,
    whatever `x` is), or some statement calls `<x>.add_api_route(...)`: a router made in
    a factory function still shows here."""
    uses_session: bool = False
    """Some statement calls a session method on a session-like name (`self.session.get(`,
    `db.query(...).first()`, `await session.execute(`): data access without an import."""
    providers: tuple[str, ...] = ()
    """Qualified names handed to `Depends(...)`/`Security(...)` in function signatures,
    `Annotated` aliases and `dependencies=[...]` lists: the project's dependency providers."""

    @property
    def defines_revision(self) -> bool:
        return self.revision is not None

    def passing(self, name: str) -> Any:
        """The field `name`, for a reader that does not keep it: facts kept on disk
        (spill.py) read it without holding it for the next reader."""
        return getattr(self, name)

    def __reduce__(self) -> tuple[Any, ...]:
        # One marshal string: unpickling a file's facts fact by fact, each through a
        # Python call that interned its strings one by one, was a share of the parent's
        # cpu in a run with workers.
        if type(self) is not FileFacts:
            return super().__reduce__()
        layer = self.path_layer
        values = [plain(getattr(self, name)) for name in _FILE_FIELDS]
        values[_LAYER_AT] = layer.value if layer is not None else None
        return _unmarshalled, (marshal.dumps(tuple(values), 4),)


_NAMES: Final[dict[type[Any], tuple[str, ...]]] = {
    kind: field_names(kind)
    for kind in (AttributeFact, ClassFact, FunctionFact, ImportFact, RevisionFact, FileFacts)
}
_FILE_FIELDS: Final = _NAMES[FileFacts]
_LAYER_AT: Final = _FILE_FIELDS.index("path_layer")


def plain(value: Any) -> Any:
    """`value` as marshal writes it: each fact the tuple of its values, every string
    interned (marshal marks an interned string, and reading it back interns it)."""
    kind = type(value)
    if kind is str:
        return sys.intern(value)
    if kind is tuple:
        return tuple([plain(item) for item in value])
    names = _NAMES.get(kind)
    if names is not None:
        return tuple([plain(getattr(value, name)) for name in names])
    return value


def _facts_of(kind: type[Any]) -> Callable[[tuple[tuple[Any, ...], ...]], tuple[Any, ...]]:
    def read(rows: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
        return tuple([kind(*row) for row in rows])

    return read


_ATTRIBUTES: Final = _NAMES[ClassFact].index("attributes")


def _classes(rows: tuple[tuple[Any, ...], ...]) -> tuple[ClassFact, ...]:
    at = _ATTRIBUTES
    return tuple(
        [
            ClassFact(
                *(*row[:at], tuple([AttributeFact(*item) for item in row[at]]), *row[at + 1 :])
            )
            for row in rows
        ]
    )


def _revision(row: tuple[Any, ...] | None) -> RevisionFact | None:
    return RevisionFact(*row) if row is not None else None


def _layer(value: str | None) -> Layer | None:
    return Layer(value) if value is not None else None


READERS: Final[dict[str, Callable[[Any], Any]]] = {
    "imports": _facts_of(ImportFact),
    "classes": _classes,
    "functions": _facts_of(FunctionFact),
}
"""The tuple fields of `FileFacts` that hold facts, each with what builds them from the
tuples `plain` made of them; marshal gives the others back as they were written."""
_OWN_READERS: Final[dict[str, Callable[[Any], Any]]] = {
    **READERS,
    "revision": _revision,
    "path_layer": _layer,
}
_FILE_READERS: Final = tuple(_OWN_READERS.get(name) for name in _FILE_FIELDS)


def _unmarshalled(blob: bytes) -> FileFacts:
    values = marshal.loads(blob)
    return FileFacts(
        *[
            value if read is None else read(value)
            for read, value in zip(_FILE_READERS, values, strict=True)
        ]
    )
