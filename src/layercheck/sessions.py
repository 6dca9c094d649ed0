"""Which values are SQLAlchemy sessions: shown by annotations, session factories,
`Depends(...)` providers and constructor-injected attributes, never by a name alone."""

from __future__ import annotations

import ast
from typing import Final

from layercheck.annotations import annotated_provider, depends_provider, single_type
from layercheck.index import ProjectIndex
from layercheck.rules._base import RuleContext

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
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.ext.asyncio.async_sessionmaker",
        "sqlalchemy.ext.asyncio.session.async_sessionmaker",
        "sqlalchemy.ext.asyncio.async_scoped_session",
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
_Function = ast.FunctionDef | ast.AsyncFunctionDef


def is_session_class(qualified: str, index: ProjectIndex) -> bool:
    """SQLAlchemy's / sqlmodel's `Session` or `AsyncSession`, or a project subclass."""
    return index.inherits(qualified, SESSION_CLASSES)


def is_session_factory(qualified: str, index: ProjectIndex) -> bool:
    """A project `SessionLocal = sessionmaker(...)` / `async_sessionmaker(...)`."""
    callee = index.instance_of(qualified)
    return callee is not None and callee in SESSION_FACTORIES


def provides_session(provider: str, index: ProjectIndex) -> bool:
    """A `Depends` provider that hands out a session: by its return annotation, or by
    yielding/returning what a session class or factory made."""
    function = index.function(provider)
    if function is None:
        return False
    if function.produces is not None and is_session_class(function.produces, index):
        return True
    return any(
        is_session_class(callee, index) or is_session_factory(callee, index)
        for callee in function.yields_calls
    )


def annotation_is_session(annotation: ast.expr | None, ctx: RuleContext) -> bool:
    """`AsyncSession`, `Session | None`, `Annotated[Session, Depends(get_db)]`, a type
    alias of one (`SessionDep`, in this module or imported), or `Annotated[..., Depends(p)]`
    where `p` provides a session."""
    index = ctx.index
    provider = annotated_provider(annotation, ctx.qualified)
    if provider is not None and provides_session(provider, index):
        return True
    current = single_type(annotation, ctx.qualified)
    seen: set[str] = set()
    while current and current not in seen:
        seen.add(current)
        if is_session_class(current, index):
            return True
        alias = index.type_alias(current)
        if alias is None:
            return False
        current, provider = alias
        if provider and provides_session(provider, index):
            return True
    return False


def opens_session(node: ast.expr | None, ctx: RuleContext) -> bool:
    """`Session(engine)`, `AsyncSession(engine)`, `SessionLocal()` for a project
    `SessionLocal = sessionmaker(...)`, `sessionmaker(...)()`, `factory.begin()`-free."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Call):
        maker = ctx.qualified(func.func)
        return maker is not None and maker in SESSION_FACTORIES
    callee = ctx.qualified(func)
    if callee is None:
        return False
    return is_session_class(callee, ctx.index) or is_session_factory(callee, ctx.index)


class Sessions:
    """Tracks, during the one walk of a file, which local names and `self` attributes hold
    sessions. Feed it from the rule's visitors; ask `is_session(expr, ctx)` anywhere."""

    def __init__(self) -> None:
        self._names: dict[int, set[str]] = {}
        """Function id -> its parameters and locals shown to be sessions."""
        self._attributes: dict[int, set[str]] = {}
        """Class id -> `self.<name>` attributes set from a session in its methods."""

    def function(self, node: _Function, ctx: RuleContext) -> None:
        """At the def (its annotations and defaults are evaluated outside it)."""
        arguments = node.args
        names: set[str] = set()
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        defaults.extend(arguments.defaults)
        pairs = [*zip(positional, defaults, strict=True)]
        pairs.extend(zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True))
        for arg, default in pairs:
            if annotation_is_session(arg.annotation, ctx):
                names.add(arg.arg)
                continue
            provider = depends_provider(default, ctx.qualified)
            if provider is not None and provides_session(provider, ctx.index):
                names.add(arg.arg)
        self._names[id(node)] = names

    def assigned(self, target: ast.expr, value: ast.expr | None, ctx: RuleContext) -> None:
        functions = ctx.functions()
        if not functions or value is None:
            return
        holds_session = opens_session(value, ctx) or self.is_session(value, ctx)
        if isinstance(target, ast.Name):
            names = self._names.setdefault(id(functions[0]), set())
            if holds_session:
                names.add(target.id)
            else:
                names.discard(target.id)
        elif holds_session and self._self_attribute(target, functions[0], ctx) is not None:
            owner = self._owner_class(ctx)
            if owner is not None and isinstance(target, ast.Attribute):
                self._attributes.setdefault(id(owner), set()).add(target.attr)

    def withitem(self, node: ast.withitem, ctx: RuleContext) -> None:
        """`with Session(engine) as s:` / `async with factory() as s:`."""
        target = node.optional_vars
        functions = ctx.functions()
        if isinstance(target, ast.Name) and functions and opens_session(node.context_expr, ctx):
            self._names.setdefault(id(functions[0]), set()).add(target.id)

    def is_session(self, node: ast.expr, ctx: RuleContext) -> bool:
        if isinstance(node, ast.Name):
            scope = ctx.names.binding_scope(node.id)
            if scope is None or not isinstance(scope.node, ast.FunctionDef | ast.AsyncFunctionDef):
                return False
            return node.id in self._names.get(id(scope.node), ())
        functions = ctx.functions()
        if functions and self._self_attribute(node, functions[0], ctx) is not None:
            owner = self._owner_class(ctx)
            assert isinstance(node, ast.Attribute)
            return owner is not None and node.attr in self._attributes.get(id(owner), ())
        return False

    @staticmethod
    def _self_attribute(node: ast.expr, function: _Function, ctx: RuleContext) -> str | None:
        """`attr` for `self.attr` inside a method whose first parameter is `self`."""
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            return None
        positional = [*function.args.posonlyargs, *function.args.args]
        if not positional or positional[0].arg != node.value.id:
            return None
        return node.attr

    @staticmethod
    def _owner_class(ctx: RuleContext) -> ast.ClassDef | None:
        """The class whose method (directly in its body) holds the current node."""
        chain = ctx.ancestors
        for depth in range(len(chain) - 2, 0, -1):
            node = chain[depth]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                parent = chain[depth - 1]
                return parent if isinstance(parent, ast.ClassDef) else None
        return None


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
