"""Helpers shared by the layer-boundary rules: what an import statement brings in, which
objects are FastAPI routers, and which values are shown to be SQLAlchemy sessions."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Final
from weakref import WeakKeyDictionary

from layercheck.facts import ROUTE_METHODS, ROUTE_REGISTRARS, FileFacts, ImportFact
from layercheck.index import ROUTER_CLASSES, ProjectIndex
from layercheck.layers import Layer
from layercheck.names import ImportTable
from layercheck.rules._base import RuleContext
from layercheck.source import DecodeError, decode_source, parse

# -- imports -----------------------------------------------------------------------------


def import_facts(node: ast.Import | ast.ImportFrom, ctx: RuleContext) -> Iterator[ImportFact]:
    """One ImportFact per name an import statement brings in, shaped as facts.py shapes
    module-level imports, so that `ProjectIndex.import_module` can resolve it."""
    type_checking = ctx.under_type_checking()
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield ImportFact(alias.name, None, node.lineno, type_checking)
        return
    base = ctx.names.absolute(node.level, node.module)
    if base is None:
        return
    for alias in node.names:
        target = base if alias.name == "*" else f"{base}.{alias.name}"
        yield ImportFact(target, base, node.lineno, type_checking)


def imported_layers(node: ast.Import | ast.ImportFrom, ctx: RuleContext) -> list[tuple[str, Layer]]:
    """(project module, its layer) for each distinct project module with a layer that an
    import statement brings in, in source order.

    `from pkg import x` is module `pkg.x` when that module exists, else the module that
    defines `x` (package re-exports are followed). Third-party modules have no layer.
    Imports under `if TYPE_CHECKING:` count only with `include-type-checking-imports`.
    """
    if not ctx.settings.include_type_checking_imports and ctx.under_type_checking():
        return []
    found: list[tuple[str, Layer]] = []
    seen: set[str] = set()
    for fact in import_facts(node, ctx):
        module = ctx.index.import_module(fact)
        if module is None or module in seen or module == ctx.module:
            continue
        seen.add(module)
        layer = ctx.index.layer_of_module(module)
        if layer is not None:
            found.append((module, layer))
    return found


def quoted(names: Iterable[str]) -> str:
    """`a`, `b`: names for a message."""
    return ", ".join(f"`{name}`" for name in names)


# -- routers -----------------------------------------------------------------------------


def is_router_instance(qualified: str, ctx: RuleContext) -> bool:
    """True when `qualified` names a module-level `x = APIRouter(...)` / `FastAPI(...)`
    (or a project subclass of them) of a project module."""
    index = ctx.index
    module = index.module_of(qualified)
    if module is None or module == qualified:
        return False
    name = qualified[len(module) + 1 :]
    if "." in name:
        return False
    return any(
        instance == name and index.inherits(callee, ROUTER_CLASSES)
        for instance, callee in index.by_module[module].instances
    )


def builds_router(value: ast.expr | None, ctx: RuleContext) -> bool:
    """True for a call of `APIRouter`/`FastAPI` or a project subclass of them."""
    if not isinstance(value, ast.Call):
        return False
    callee = ctx.qualified(value.func)
    return callee is not None and ctx.index.inherits(callee, ROUTER_CLASSES)


# -- scopes ------------------------------------------------------------------------------


Function = ast.FunctionDef | ast.AsyncFunctionDef


def body_functions(ctx: RuleContext) -> list[Function]:
    """Functions whose body holds the current node, innermost first.

    Unlike `ctx.functions()`, a function's decorators, defaults and annotations are not
    inside it (they run in the enclosing scope). Lambdas are transparent.
    """
    chain = ctx.ancestors
    found: list[Function] = []
    for depth in range(len(chain) - 2, -1, -1):
        node = chain[depth]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            child = chain[depth + 1]
            outside = (
                child is node.args
                or child is node.returns
                or any(child is item for item in node.decorator_list)
                or any(child is item for item in getattr(node, "type_params", ()))
            )
            if not outside:
                found.append(node)
    return found


def binding_scope(name: str, ctx: RuleContext) -> tuple[bool, ast.AST | None]:
    """(found, node of the scope that binds `name`): None is the module scope. Follows
    `ImportTable.lookup`: class bodies do not enclose the functions defined in them."""
    scopes = ctx.names.scopes
    innermost = len(scopes) - 1
    for depth in range(innermost, -1, -1):
        scope = scopes[depth]
        if scope.is_class and depth != innermost:
            continue
        if name in scope.bindings:
            return True, scope.node
    return False, None


# -- sessions ----------------------------------------------------------------------------

SESSION_CLASSES: Final = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlmodel.Session",
        "sqlmodel.orm.session.Session",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    }
)
SESSION_FACTORIES: Final = frozenset(
    {
        "sqlalchemy.orm.sessionmaker",
        "sqlalchemy.orm.session.sessionmaker",
        "sqlalchemy.ext.asyncio.async_sessionmaker",
        "sqlalchemy.ext.asyncio.session.async_sessionmaker",
    }
)
QUERY_METHODS: Final = frozenset(
    {"execute", "scalars", "scalar", "get", "add", "delete", "merge", "flush", "refresh", "exec"}
)
"""Session methods that run (or stage) SQL; `exec` is sqlmodel's `execute`."""
STATEMENT_RUNNERS: Final = frozenset({"execute", "exec", "scalar", "scalars"})
_STATEMENT_MODULES: Final = (
    "sqlalchemy",
    "sqlalchemy.sql",
    "sqlalchemy.sql.expression",
    "sqlalchemy.future",
    "sqlalchemy.sql._selectable_constructors",
    "sqlalchemy.sql._dml_constructors",
    "sqlalchemy.sql._elements_constructors",
    "sqlalchemy.sql.selectable",
    "sqlalchemy.sql.dml",
    "sqlmodel",
    "sqlmodel.sql.expression",
    "sqlmodel.sql._expression_select_gen",
)
_DIALECT_INSERTS: Final = frozenset(
    f"sqlalchemy.dialects.{dialect}.{suffix}insert"
    for dialect in ("postgresql", "sqlite", "mysql")
    for suffix in ("", "dml.")
)
STATEMENT_BUILDERS: Final = (
    frozenset(
        f"{module}.{name}"
        for module in _STATEMENT_MODULES
        for name in ("select", "insert", "update", "delete", "text")
    )
    | _DIALECT_INSERTS
)
TEXT_BUILDERS: Final = frozenset(name for name in STATEMENT_BUILDERS if name.endswith(".text"))
_ANNOTATED: Final = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_OPTIONAL: Final = frozenset({"typing.Optional", "typing_extensions.Optional"})
_UNION: Final = frozenset({"typing.Union", "typing_extensions.Union"})


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


Qualify = Callable[[ast.expr], "str | None"]
"""Resolves a Name/Attribute to a qualified name, in some module's scope."""


def annotated_type(
    node: ast.expr | None, qualify: Qualify, *, allow_string: bool = True
) -> str | None:
    """Qualified name of the one type an annotation denotes: `Annotated[X, ...]`,
    `X | None`, `Optional[X]`, `Union[X, None]` and quoted annotations are unwrapped.
    None when the annotation names no single class (or none at all)."""
    if node is None:
        return None
    if isinstance(node, ast.Name | ast.Attribute):
        return qualify(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and allow_string:
        try:
            parsed = ast.parse(node.value.strip(), mode="eval").body
        except SyntaxError:
            return None
        return annotated_type(parsed, qualify, allow_string=False)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        if _is_none(node.right):
            return annotated_type(node.left, qualify, allow_string=allow_string)
        if _is_none(node.left):
            return annotated_type(node.right, qualify, allow_string=allow_string)
        return None
    if isinstance(node, ast.Subscript):
        head = qualify(node.value)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if head in _ANNOTATED or head in _OPTIONAL:
            return annotated_type(items[0], qualify) if items else None
        if head in _UNION:
            kept = [item for item in items if not _is_none(item)]
            return annotated_type(kept[0], qualify) if len(kept) == 1 else None
    return None


_ALIASES: WeakKeyDictionary[ProjectIndex, dict[str, Mapping[str, str]]] = WeakKeyDictionary()


def module_type_aliases(module: str, index: ProjectIndex) -> Mapping[str, str]:
    """Module-level type aliases of another project module, alias name -> qualified type
    (`SessionDep = Annotated[Session, Depends(get_db)]` -> `sqlmodel.Session`).

    FileFacts keep a module's bindings but not the values assigned, so the module's
    source is read (decoded as strictly as the engine does) and parsed once per run;
    names in it are resolved with its FileFacts bindings. A module that cannot be read
    or parsed (the engine reported it as LC001/LC002) has no aliases.
    """
    per_run = _ALIASES.setdefault(index, {})
    found = per_run.get(module)
    if found is None:
        facts = index.by_module.get(module)
        found = {}
        if facts is not None and facts.parsed:
            found = _read_type_aliases(facts, index)
        per_run[module] = found
    return found


def _read_type_aliases(facts: FileFacts, index: ProjectIndex) -> dict[str, str]:
    try:
        tree = parse(decode_source(Path(facts.path).read_bytes()), facts.path)
    except (OSError, DecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    table = ImportTable(facts.module, facts.is_package)
    table.module_scope.update(facts.bindings)

    def qualify(node: ast.expr) -> str | None:
        found = table.qualified(node)
        return index.resolve(found) if found is not None else None

    aliases: dict[str, str] = {}
    for stmt in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            target, value = stmt.target, stmt.value
        elif type(stmt).__name__ == "TypeAlias":  # Python 3.12+: `type X = ...`
            target, value = getattr(stmt, "name", None), getattr(stmt, "value", None)
        if isinstance(target, ast.Name) and isinstance(value, ast.expr):
            aliased = annotated_type(value, qualify, allow_string=False)
            if aliased is not None:
                aliases[target.id] = aliased
    return aliases


def is_session_class(qualified: str, ctx: RuleContext) -> bool:
    """SQLAlchemy's / sqlmodel's `Session` or `AsyncSession`, or a project subclass."""
    return ctx.index.inherits(qualified, SESSION_CLASSES)


def _is_session_factory(qualified: str, ctx: RuleContext) -> bool:
    """A module-level `x = sessionmaker(...)` / `async_sessionmaker(...)` of the project."""
    index = ctx.index
    module = index.module_of(qualified)
    if module is None or module == qualified:
        return False
    name = qualified[len(module) + 1 :]
    return any(
        instance == name and index.resolve(callee) in SESSION_FACTORIES
        for instance, callee in index.by_module[module].instances
    )


def opens_session(node: ast.expr | None, ctx: RuleContext) -> bool:
    """`Session(engine)`, `AsyncSession(engine)`, `SessionLocal()` for a project
    `SessionLocal = sessionmaker(...)`, or `sessionmaker(...)()`."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Call):
        maker = ctx.qualified(func.func)
        return maker is not None and maker in SESSION_FACTORIES
    callee = ctx.qualified(func)
    if callee is None:
        return False
    return is_session_class(callee, ctx) or _is_session_factory(callee, ctx)


def is_sql_ping(node: ast.expr, ctx: RuleContext) -> bool:
    """`text("SELECT 1")` (any case and spacing, an optional `;`), sqlalchemy's `text`."""
    if not isinstance(node, ast.Call) or len(node.args) != 1 or node.keywords:
        return False
    argument = node.args[0]
    if not isinstance(argument, ast.Constant) or not isinstance(argument.value, str):
        return False
    callee = ctx.qualified(node.func)
    if callee not in TEXT_BUILDERS:
        return False
    words = argument.value.strip().rstrip(";").split()
    return [word.lower() for word in words] == ["select", "1"]


# -- trackers: collect on visit, decide when the module has been seen ---------------------


class RouteHandlers:
    """Which functions of a module are route handlers: decorated with a path operation of
    an `APIRouter`/`FastAPI` instance (module-level, imported, or local to a factory
    function), or registered with `add_api_route` / `add_api_websocket_route`."""

    def __init__(self) -> None:
        self._handlers: set[int] = set()
        self._local_routers: dict[int, set[str]] = {}
        self._defined: list[tuple[ast.AST | None, str, Function]] = []
        self._registered: list[tuple[ast.AST | None, str]] = []

    def function(self, node: Function, ctx: RuleContext) -> None:
        """At a def: decorators run in the enclosing scope, which is still current."""
        self._defined.append((ctx.names.scopes[-1].node, node.name, node))
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr in ROUTE_METHODS
                and self._is_router(decorator.func.value, ctx)
            ):
                self._handlers.add(id(node))

    def assigned(self, target: ast.expr, value: ast.expr | None, ctx: RuleContext) -> None:
        """`app = FastAPI()` inside a function (an app factory)."""
        functions = body_functions(ctx)
        if isinstance(target, ast.Name) and functions and builds_router(value, ctx):
            self._local_routers.setdefault(id(functions[0]), set()).add(target.id)

    def call(self, node: ast.Call, ctx: RuleContext) -> None:
        """`router.add_api_route("/path", endpoint)`: remember where `endpoint` is bound."""
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in ROUTE_REGISTRARS:
            return
        if not self._is_router(func.value, ctx):
            return
        endpoint = node.args[1] if len(node.args) > 1 else None
        for keyword in node.keywords:
            if keyword.arg == "endpoint":
                endpoint = keyword.value
        if isinstance(endpoint, ast.Name):
            found, scope = binding_scope(endpoint.id, ctx)
            if found:
                self._registered.append((scope, endpoint.id))

    def _is_router(self, receiver: ast.expr, ctx: RuleContext) -> bool:
        if isinstance(receiver, ast.Name):
            found, scope = binding_scope(receiver.id, ctx)
            if found and scope is not None:
                return receiver.id in self._local_routers.get(id(scope), ())
        qualified = ctx.qualified(receiver)
        return qualified is not None and is_router_instance(qualified, ctx)

    def innermost(self, functions: Iterable[Function]) -> Function | None:
        """The innermost handler among `functions`; call once the module has been seen."""
        for scope, name in self._registered:
            for where, defined, function in self._defined:
                if where is scope and defined == name:
                    self._handlers.add(id(function))
        self._registered.clear()
        return next((f for f in functions if id(f) in self._handlers), None)


Receiver = tuple[Function, str]
"""A name bound in a function: a parameter or a local variable."""


class Sessions:
    """Which function-local names are shown to be sessions: parameters annotated with a
    session type (directly, through `Annotated`/`Optional`, or through a type alias of
    this module, which may follow its use, or of another project module), and locals set from
    `Session(...)`, `AsyncSession(...)` or a project sessionmaker, or bound by
    `with ... as name` on one. A name alone proves nothing."""

    def __init__(self) -> None:
        self._params: dict[int, dict[str, str]] = {}
        self._aliases: dict[str, str] = {}
        self._locals: dict[int, set[str]] = {}

    def function(self, node: Function, ctx: RuleContext) -> None:
        """At a def: annotations are evaluated in the enclosing scope, still current."""
        arguments = node.args
        params: dict[str, str] = {}
        for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            found = annotated_type(arg.annotation, ctx.qualified)
            if found is not None:
                params[arg.arg] = found
        self._params[id(node)] = params

    def assigned(self, target: ast.expr, value: ast.expr | None, ctx: RuleContext) -> None:
        if not isinstance(target, ast.Name) or value is None:
            return
        functions = body_functions(ctx)
        if functions:
            if opens_session(value, ctx):
                self._locals.setdefault(id(functions[0]), set()).add(target.id)
        elif not any(isinstance(node, ast.ClassDef | ast.Lambda) for node in ctx.ancestors):
            aliased = annotated_type(value, ctx.qualified, allow_string=False)
            if aliased is not None:
                self._aliases[f"{ctx.module}.{target.id}"] = aliased

    def withitem(self, node: ast.withitem, ctx: RuleContext) -> None:
        target = node.optional_vars
        functions = body_functions(ctx)
        if isinstance(target, ast.Name) and functions and opens_session(node.context_expr, ctx):
            self._locals.setdefault(id(functions[0]), set()).add(target.id)

    def receiver(self, name: str, ctx: RuleContext) -> Receiver | None:
        """The function-local binding `name` refers to here, if it may be a session."""
        found, scope = binding_scope(name, ctx)
        if not found or not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        if name in self._locals.get(id(scope), ()) or name in self._params.get(id(scope), {}):
            return scope, name
        return None

    def is_session(self, receiver: Receiver, ctx: RuleContext) -> bool:
        """Decide a receiver; call once the module has been seen."""
        function, name = receiver
        if name in self._locals.get(id(function), ()):
            return True
        current: str | None = self._params.get(id(function), {}).get(name)
        seen: set[str] = set()
        while current is not None and current not in seen:
            seen.add(current)
            if is_session_class(current, ctx):
                return True
            current = self._alias_target(current, ctx)
        return False

    def _alias_target(self, qualified: str, ctx: RuleContext) -> str | None:
        """What a type alias stands for: this module's from the walk, another project
        module's from its source (`SessionDep` imported from `app/api/deps.py`)."""
        if qualified in self._aliases:
            return self._aliases[qualified]
        module = ctx.index.module_of(qualified)
        if module is None or module == qualified or module == ctx.module:
            return None
        name = qualified[len(module) + 1 :]
        if "." in name:
            return None
        return module_type_aliases(module, ctx.index).get(name)
