"""Which values are SQLAlchemy sessions: shown by annotations, session factories,
`Depends(...)` providers and constructor-injected attributes, never by a name alone."""

from __future__ import annotations

import ast
import enum
from dataclasses import dataclass, field
from typing import Final

from layercheck.annotations import (
    ANNOTATED,
    OPTIONAL,
    annotated_provider,
    depends_provider,
    parse_string,
    produced_type,
    single_type,
    union_types,
)
from layercheck.index import ProjectIndex, derived
from layercheck.semantic.core import FileModel
from layercheck.semantic.schemas import SchemaClasses

ASYNC_SESSION_CLASSES: Final = frozenset(
    {
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    }
)
SESSION_CLASSES: Final = ASYNC_SESSION_CLASSES | frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlmodel.Session",
        "sqlmodel.orm.session.Session",
    }
)
ASYNC_SESSION_FACTORIES: Final = frozenset(
    {
        "sqlalchemy.ext.asyncio.async_sessionmaker",
        "sqlalchemy.ext.asyncio.session.async_sessionmaker",
    }
)
SYNC_SESSION_FACTORIES: Final = frozenset(
    {"sqlalchemy.orm.sessionmaker", "sqlalchemy.orm.session.sessionmaker"}
)
SESSION_FACTORIES: Final = (
    ASYNC_SESSION_FACTORIES
    | SYNC_SESSION_FACTORIES
    | frozenset({"sqlalchemy.orm.scoped_session", "sqlalchemy.ext.asyncio.async_scoped_session"})
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
SELECT_BUILDERS: Final = frozenset(name for name in STATEMENT_BUILDERS if name.endswith(".select"))
_LITERALS: Final = frozenset(
    f"{module}.{name}"
    for module in _STATEMENT_MODULES
    for name in ("literal", "literal_column", "text")
)
_CALLABLES: Final = frozenset({"typing.Callable", "collections.abc.Callable"})
_NEXT: Final = frozenset({"next", "anext"})
_Function = ast.FunctionDef | ast.AsyncFunctionDef


class Origin(enum.Enum):
    """Where a session comes from, as seen by the code that uses it."""

    RECEIVED = "received"
    """A parameter, a `Depends(...)`, or an attribute set from one: someone else owns it."""
    OPENED = "opened"
    """Opened here: a factory call, `Session(...)`, `with factory() as s`."""


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


def annotation_is_session(annotation: ast.expr | None, ctx: FileModel) -> bool:
    """`AsyncSession`, `Session | None`, `Annotated[Session, Depends(get_db)]`, a type
    alias of one (`SessionDep`, in this module or imported), or `Annotated[..., Depends(p)]`
    where `p` provides a session."""
    index = ctx.index
    if annotation is None:
        return False
    if type(annotation) is ast.Name or type(annotation) is ast.Attribute:
        # Most annotations: a class named as it is, with nothing to unwrap.
        named = ctx.qualified(annotation)
        return named is not None and type_is_session(named, index)
    provider = annotated_provider(annotation, ctx.qualified)
    if provider is not None and provides_session(provider, index):
        return True
    kinds = union_types(annotation, ctx.qualified)
    return bool(kinds) and all(type_is_session(kind, index) for kind in kinds)


def annotation_is_factory(annotation: ast.expr | None, ctx: FileModel) -> bool:
    """`async_sessionmaker[AsyncSession]`, `sessionmaker`, `Optional[...]` of one, or a
    `Callable[..., AsyncSession]` (also through `AsyncContextManager[...]`)."""
    node = parse_string(annotation) if isinstance(annotation, ast.Constant) else annotation
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return any(
            annotation_is_factory(side, ctx)
            for side in (node.left, node.right)
            if not (isinstance(side, ast.Constant) and side.value is None)
        )
    head = node.value if isinstance(node, ast.Subscript) else node
    if not isinstance(head, ast.Name | ast.Attribute):
        return False
    qualified = ctx.qualified(head)
    if qualified in SESSION_FACTORIES:
        return True
    if not isinstance(node, ast.Subscript):
        return False
    items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
    if qualified in ANNOTATED or qualified in OPTIONAL:
        return bool(items) and annotation_is_factory(items[0], ctx)
    if qualified in _CALLABLES and len(items) == 2:
        produced = produced_type(items[1], ctx.qualified)
        return produced is not None and is_session_class(produced, ctx.index)
    return False


def opens_session(node: ast.expr | None, ctx: FileModel) -> bool:
    """`Session(engine)`, `AsyncSession(engine)`, `SessionLocal()` for a project
    `SessionLocal = sessionmaker(...)`, `sessionmaker(...)()`, `SessionLocal.begin()`, or
    a direct call of a project function that provides a session (`get_session()`,
    `async with session_scope() as s`) instead of receiving it through `Depends`."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Call):
        maker = ctx.qualified(func.func)
        return maker is not None and maker in SESSION_FACTORIES
    if isinstance(func, ast.Attribute) and func.attr == "begin":
        owner = ctx.qualified(func.value)
        return owner is not None and is_session_factory(owner, ctx.index)
    callee = ctx.qualified(func)
    return callee is not None and _opening_callee(ctx.index, callee)


@derived("sessions.opening-callee")
def _opening_callee(index: ProjectIndex, callee: str) -> bool:
    # Asked of nearly every call a function makes: once per index rather than once per use.
    return (
        is_session_class(callee, index)
        or is_session_factory(callee, index)
        or provides_session(callee, index)
    )


def builds_factory(node: ast.expr | None, ctx: FileModel) -> bool:
    """`sessionmaker(...)` / `async_sessionmaker(...)` (resolved names)."""
    if not isinstance(node, ast.Call):
        return False
    callee = ctx.qualified(node.func)
    return callee is not None and callee in SESSION_FACTORIES


def self_name(function: _Function) -> str | None:
    """The first positional parameter of a method (`self`), None without one."""
    arguments = function.args
    if arguments.posonlyargs:
        return arguments.posonlyargs[0].arg
    return arguments.args[0].arg if arguments.args else None


_COMPOUND: Final = frozenset(
    getattr(ast, name)
    for name in ("If", "For", "AsyncFor", "While", "With", "AsyncWith", "Try", "TryStar")
    if hasattr(ast, name)
)
"""The statements other than `match` that hold bodies of statements."""


def assignments(body: list[ast.stmt], found: list[ast.Assign | ast.AnnAssign]) -> None:
    """The `Assign` and `AnnAssign` statements of a body and of its compound statements,
    in source order, appended to `found`; the bodies of nested functions and classes are
    not entered (a class scan reads every method of a class this way)."""
    for stmt in body:
        kind = type(stmt)
        if kind is ast.Assign or kind is ast.AnnAssign:
            found.append(stmt)  # type: ignore[arg-type]
        elif kind in _COMPOUND:
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, name, None)
                if isinstance(inner, list):
                    assignments(inner, found)
            for handler in getattr(stmt, "handlers", ()):
                assignments(handler.body, found)
        elif kind is ast.Match:
            for case in stmt.cases:  # type: ignore[attr-defined]
                assignments(case.body, found)


@dataclass(slots=True)
class _Locals:
    """What one function's names hold."""

    sessions: dict[str, tuple[Origin, str]] = field(default_factory=dict)
    """Name -> (origin, key); names holding the same session share a key."""
    factories: set[str] = field(default_factory=set)
    holders: dict[str, str] = field(default_factory=dict)
    """Name -> key of the session a project object was built with (`UserRepository(s)`)."""

    def clear(self, name: str) -> None:
        self.sessions.pop(name, None)
        self.factories.discard(name)
        self.holders.pop(name, None)


@dataclass(slots=True)
class _Members:
    """What one class's `self.<name>` attributes hold."""

    key: str
    sessions: dict[str, Origin] = field(default_factory=dict)
    factories: set[str] = field(default_factory=set)
    holders: set[str] = field(default_factory=set)


class Sessions:
    """Which local names and `self` attributes hold sessions (and session factories, and
    project objects built with a session). The walk updates it before any rule sees a
    node (`visit_*`); rules ask `is_session(expr, ctx)`, `origin(expr, ctx)`,
    `key(expr, ctx)`, `is_factory(expr, ctx)` and `opens(expr, ctx)`.

    A name holds what its latest binding, in source order, put there; a binding the facts
    cannot read (`for s in ...`, `s += ...`, `a, b = pair`) forgets what it held. A
    class's attributes are read from all its methods and class-level annotations when its
    first method is seen, so a method may use `self._session` before `__init__` sets it."""

    def __init__(self, classes: SchemaClasses) -> None:
        self._locals: dict[int, _Locals] = {}
        """Function id -> its parameters and locals."""
        self._members: dict[int, _Members] = {}
        """Class id -> its attributes."""
        self._classes = classes
        """The module-level classes seen so far: a base class's body is read there."""

    # -- updated by the walk ---------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef, ctx: FileModel) -> None:
        self._function(node, ctx)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: FileModel) -> None:
        self._function(node, ctx)

    def visit_Assign(self, node: ast.Assign, ctx: FileModel) -> None:
        for target in node.targets:
            self._assigned(target, node.value, ctx)

    def visit_AnnAssign(self, node: ast.AnnAssign, ctx: FileModel) -> None:
        self._assigned(node.target, node.value, ctx)

    def visit_NamedExpr(self, node: ast.NamedExpr, ctx: FileModel) -> None:
        self._assigned(node.target, node.value, ctx)

    def visit_AugAssign(self, node: ast.AugAssign, ctx: FileModel) -> None:
        self._forget(node.target, ctx)

    def visit_For(self, node: ast.For, ctx: FileModel) -> None:
        self._iterated(node.target, node.iter, ctx)

    def visit_AsyncFor(self, node: ast.AsyncFor, ctx: FileModel) -> None:
        self._iterated(node.target, node.iter, ctx)

    def visit_withitem(self, node: ast.withitem, ctx: FileModel) -> None:
        """`with Session(engine) as s:` / `async with factory() as s:` /
        `async with factory.begin() as s:`."""
        target = node.optional_vars
        if target is None:
            return
        if not isinstance(target, ast.Name):
            self._forget(target, ctx)
            return
        scope = self._target_scope(target.id, ctx)
        if scope is None:
            return
        function, names = scope
        names.clear(target.id)
        found = self._value(node.context_expr, ctx)
        if found is not None:
            origin, key = found
            names.sessions[target.id] = (origin, key or f"{id(function)}:{target.id}")

    def _function(self, node: _Function, ctx: FileModel) -> None:
        """At the def (its annotations and defaults are evaluated outside it)."""
        owner = ctx.parent
        if isinstance(owner, ast.ClassDef) and id(owner) not in self._members:
            self._members[id(owner)] = self._scan_class(owner, ctx)
        self._locals[id(node)] = self._parameters(node, ctx)

    def _assigned(self, target: ast.expr, value: ast.expr | None, ctx: FileModel) -> None:
        if value is None:
            return
        if isinstance(target, ast.Tuple | ast.List | ast.Starred):
            self._unpacked(target, value, ctx)
            return
        if isinstance(target, ast.Name):
            scope = self._target_scope(target.id, ctx)
            if scope is None:
                return
            function, names = scope
            name = target.id
            found = self._value(value, ctx)
            factory = found is None and (self.is_factory(value, ctx) or builds_factory(value, ctx))
            held = None if found or factory else self._built_with_session(value, ctx)
            names.clear(name)
            if found is not None:
                origin, key = found
                names.sessions[name] = (origin, key or f"{id(function)}:{name}")
            elif factory:
                names.factories.add(name)
            elif held is not None:
                names.holders[name] = held
            return
        members, attribute = self._attribute(target, ctx)
        if members is None:
            return
        found = self._value(value, ctx)
        if found is not None:
            members.sessions.setdefault(attribute, found[0])
        elif self.is_factory(value, ctx) or builds_factory(value, ctx):
            members.factories.add(attribute)
        elif self._built_with_session(value, ctx) is not None:
            members.holders.add(attribute)

    def _iterated(self, target: ast.expr, iterable: ast.expr, ctx: FileModel) -> None:
        """`for s in get_session():` iterates a session provider: `s` is the session it
        opens. Any other loop forgets what its targets held."""
        if isinstance(target, ast.Name) and self.opens(iterable, ctx):
            scope = self._target_scope(target.id, ctx)
            if scope is not None:
                function, names = scope
                names.clear(target.id)
                names.sessions[target.id] = (Origin.OPENED, f"{id(function)}:{target.id}")
                return
        self._forget(target, ctx)

    def _unpacked(self, target: ast.expr, value: ast.expr, ctx: FileModel) -> None:
        """`a, b = x, y` pairs each name with its value; any other unpacking forgets."""
        if (
            isinstance(target, ast.Tuple | ast.List)
            and isinstance(value, ast.Tuple | ast.List)
            and len(target.elts) == len(value.elts)
            and not any(isinstance(item, ast.Starred) for item in (*target.elts, *value.elts))
        ):
            # The values are all evaluated before any name is bound.
            found = [self._value(item, ctx) for item in value.elts]
            for item, seen in zip(target.elts, found, strict=True):
                if seen is not None and isinstance(item, ast.Name):
                    scope = self._target_scope(item.id, ctx)
                    if scope is not None:
                        function, names = scope
                        names.clear(item.id)
                        origin, key = seen
                        names.sessions[item.id] = (origin, key or f"{id(function)}:{item.id}")
                        continue
                self._forget(item, ctx)
            return
        self._forget(target, ctx)

    def _forget(self, target: ast.expr, ctx: FileModel) -> None:
        """Names bound by something that shows nothing about them: whatever they held
        before is forgotten."""
        pending = [target]
        while pending:
            node = pending.pop()
            if isinstance(node, ast.Name):
                scope = self._target_scope(node.id, ctx)
                if scope is not None:
                    scope[1].clear(node.id)
            elif isinstance(node, ast.Tuple | ast.List):
                pending.extend(node.elts)
            elif isinstance(node, ast.Starred):
                pending.append(node.value)

    def _target_scope(self, name: str, ctx: FileModel) -> tuple[_Function, _Locals] | None:
        """The function whose local `name` a binding here sets (None at module level, in
        a class body, or for a name declared `global`); `nonlocal` names belong to the
        function that declares them."""
        functions = ctx.functions()
        if not functions:
            return None
        function: _Function = functions[0]
        current = ctx.names.scopes[-1]
        if current.is_class or isinstance(current.node, ast.Lambda):
            # A comprehension's walrus binds in the function; these bind elsewhere.
            return None
        declared = ctx.names.declared(function, name)
        if declared == "global":
            return None
        if declared == "nonlocal":
            scope = ctx.names.binding_scope(name)
            owner = scope.node if scope is not None else None
            if not isinstance(owner, ast.FunctionDef | ast.AsyncFunctionDef):
                return None
            function = owner
        names = self._locals.get(id(function))
        if names is None:
            names = self._locals[id(function)] = _Locals()
        return function, names

    # -- questions -----------------------------------------------------------------------
    def is_session(self, node: ast.expr, ctx: FileModel) -> bool:
        return self.origin(node, ctx) is not None

    def origin(self, node: ast.expr, ctx: FileModel) -> Origin | None:
        found = self._lookup(node, ctx)
        return found[0] if found is not None else None

    def key(self, node: ast.expr, ctx: FileModel) -> str | None:
        """Identifies the session `node` is, or the session a project object held by
        `node` was built with (`repo` for `repo = UserRepository(session)`); the same key
        for every name and attribute that holds the same session."""
        found = self._lookup(node, ctx)
        if found is not None:
            return found[1]
        if isinstance(node, ast.Name):
            scope = self._scope_of(node.id, ctx)
            return scope.holders.get(node.id) if scope is not None else None
        members, attribute = self._attribute(node, ctx)
        if members is not None and attribute in members.holders:
            return members.key
        return None

    def is_factory(self, node: ast.expr, ctx: FileModel) -> bool:
        """A session factory: a project `sessionmaker` instance, or a local / attribute
        holding one (`factory: async_sessionmaker[AsyncSession]`)."""
        if isinstance(node, ast.Name):
            scope = self._scope_of(node.id, ctx)
            if scope is not None:
                return node.id in scope.factories
        members, attribute = self._attribute(node, ctx)
        if members is not None:
            return attribute in members.factories
        qualified = ctx.qualified(node) if isinstance(node, ast.Name | ast.Attribute) else None
        return qualified is not None and is_session_factory(qualified, ctx.index)

    def opens(self, node: ast.expr | None, ctx: FileModel) -> bool:
        """`opens_session`, or a call of a factory held in a local or an attribute
        (`self._factory()`, `factory.begin()`), or `next(get_db())`; `await` unwrapped."""
        if isinstance(node, ast.Await):
            node = node.value
        if not isinstance(node, ast.Call):
            return False
        if opens_session(node, ctx):
            return True
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "begin":
            return self.is_factory(func.value, ctx)
        if (
            isinstance(func, ast.Name)
            and func.id in _NEXT
            and ctx.names.lookup(func.id) is None
            and len(node.args) == 1
        ):
            return self.opens(node.args[0], ctx)
        return self.is_factory(func, ctx)

    # -- internals -----------------------------------------------------------------------
    def _value(self, value: ast.expr, ctx: FileModel) -> tuple[Origin, str] | None:
        """(origin, key or "" for a new session) of a value that is a session."""
        if self.opens(value, ctx):
            return Origin.OPENED, ""
        if (
            isinstance(value, ast.Call)
            and len(value.args) == 2
            and ctx.qualified(value.func) in _CASTS
        ):
            # `cast(AsyncSession, x)`: what `x` is, else a session someone else made.
            inner = self._value(value.args[1], ctx)
            if inner is not None:
                return inner
            if annotation_is_session(value.args[0], ctx):
                return Origin.RECEIVED, ""
            return None
        return self._lookup(value, ctx)

    def _lookup(self, node: ast.expr, ctx: FileModel) -> tuple[Origin, str] | None:
        if isinstance(node, ast.Name):
            return self._name(node, ctx)
        if isinstance(node, ast.Call):
            return _object_session(node, ctx)
        if not isinstance(node, ast.Attribute):
            return None
        members, attribute = self._attribute(node, ctx)
        if members is not None:
            if attribute in members.sessions:
                return members.sessions[attribute], members.key
            return None
        return (
            _module_session(node, ctx)
            or _inspected_session(node, ctx)
            or _declared_member(node, ctx)
        )

    def _name(self, node: ast.Name, ctx: FileModel) -> tuple[Origin, str] | None:
        name = node.id
        if ctx.comprehension_binding(name) is not None:
            return None  # a comprehension's own variable
        scope = ctx.names.binding_scope(name)
        if scope is None:
            return None
        if scope.node is None or scope.bindings.get(name):
            # A module-level name, or one a function imports: a module's own session.
            return _module_session(node, ctx)
        if not isinstance(scope.node, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        names = self._locals.get(id(scope.node))
        return names.sessions.get(name) if names is not None else None

    def _scope_of(self, name: str, ctx: FileModel) -> _Locals | None:
        if ctx.comprehension_binding(name) is not None:
            return None  # a comprehension's own variable
        scope = ctx.names.binding_scope(name)
        if scope is None or not isinstance(scope.node, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        return self._locals.get(id(scope.node))

    def _attribute(self, node: ast.expr, ctx: FileModel) -> tuple[_Members | None, str]:
        """The class members behind `self.attr`, where `self` is the first parameter of a
        method (used in the method or in a function nested in it)."""
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            return None, ""
        name = node.value.id
        scope = ctx.names.binding_scope(name)
        method = scope.node if scope is not None else None
        if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            return None, ""
        if self_name(method) != name:
            return None, ""
        chain = ctx.ancestors
        for depth in range(len(chain) - 1, 0, -1):
            if chain[depth] is method:
                owner = chain[depth - 1]
                if not isinstance(owner, ast.ClassDef):
                    return None, ""
                known = self._members
                members = known.get(id(owner))
                if members is None:
                    members = known[id(owner)] = _Members(key=f"self:{id(owner)}")
                return members, node.attr
        return None, ""

    def _built_with_session(self, value: ast.expr, ctx: FileModel) -> str | None:
        """The key of the session a project class is built with: `UserRepository(session)`."""
        if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Name | ast.Attribute):
            return None
        callee = ctx.qualified(value.func)
        if callee is None or not ctx.index.is_project_class(callee):
            return None
        for argument in [*value.args, *(keyword.value for keyword in value.keywords)]:
            key = self.key(argument, ctx)
            if key is not None:
                return key
        return None

    def _parameters(self, node: _Function, ctx: FileModel) -> _Locals:
        arguments = node.args
        found = _Locals()
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        defaults.extend(arguments.defaults)
        pairs = [*zip(positional, defaults, strict=True)]
        pairs.extend(zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True))
        for arg, default in pairs:
            if arg.annotation is None and default is None:
                continue  # `self`: nothing shows what it holds
            provider = depends_provider(default, ctx.qualified)
            if annotation_is_session(arg.annotation, ctx) or (
                provider is not None and provides_session(provider, ctx.index)
            ):
                found.sessions[arg.arg] = (Origin.RECEIVED, f"{id(node)}:{arg.arg}")
            elif annotation_is_factory(arg.annotation, ctx):
                found.factories.add(arg.arg)
        return found

    def _scan_class(self, node: ast.ClassDef, ctx: FileModel) -> _Members:
        """Class-level annotations (`session: AsyncSession`, dataclass style) and every
        `self.x = ...` in the class's methods, whatever their order."""
        members = _Members(key=f"self:{id(node)}")
        self._members[id(node)] = members  # a base naming its subclass must not loop
        for member in node.body:
            if isinstance(member, ast.AnnAssign) and isinstance(member.target, ast.Name):
                if annotation_is_session(member.annotation, ctx):
                    members.sessions[member.target.id] = Origin.RECEIVED
                elif annotation_is_factory(member.annotation, ctx):
                    members.factories.add(member.target.id)
        for method in node.body:
            if not isinstance(method, _Function):
                continue
            if _is_property(method, ctx) and annotation_is_session(method.returns, ctx):
                members.sessions.setdefault(method.name, Origin.RECEIVED)
                continue
            self._scan_method(method, members, ctx)
        for base in node.bases:
            inherited = self._base_members(base, ctx)
            if inherited is None:
                _imported_members(base, members, ctx)
                continue
            for attribute, origin in inherited.sessions.items():
                members.sessions.setdefault(attribute, origin)
            members.factories |= inherited.factories
            members.holders |= inherited.holders
        return members

    def _base_members(self, base: ast.expr, ctx: FileModel) -> _Members | None:
        """What a base class defined earlier in this module stores on `self`
        (`class UserRepository(BaseRepository[User])`)."""
        if isinstance(base, ast.Subscript):
            base = base.value
        qualified = ctx.qualified(base) if isinstance(base, ast.Name | ast.Attribute) else None
        node = self._classes.body(qualified) if qualified is not None else None
        if node is None:
            return None
        return self._members.get(id(node)) or self._scan_class(node, ctx)

    def _scan_method(self, method: _Function, members: _Members, ctx: FileModel) -> None:
        if any(
            isinstance(d, ast.Name) and d.id in {"staticmethod", "classmethod"}
            for d in method.decorator_list
        ):
            return
        owner = self_name(method)
        if owner is None:
            return
        # Only a method that sets `self.<name>` reads its parameters (most set none).
        params: _Locals | None = None
        # What each local was last set to: whether it opened a session is asked only of
        # a local stored on `self` (the scan changes nothing the answer reads).
        latest: dict[str, ast.expr] = {}
        found: list[ast.Assign | ast.AnnAssign] = []
        assignments(method.body, found)
        for stmt in found:
            if isinstance(stmt, ast.Assign):
                targets, value, annotation = stmt.targets, stmt.value, None
            elif stmt.value is not None:
                targets, value, annotation = [stmt.target], stmt.value, stmt.annotation
            else:
                continue
            for target in targets:
                if isinstance(target, ast.Name):
                    latest[target.id] = value
                    continue
                if not (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == owner
                ):
                    continue
                if params is None:
                    params = self._parameters(method, ctx)
                self._scan_attribute(
                    target.attr, value, annotation, (owner, params, latest), members, ctx
                )

    @staticmethod
    def _scan_attribute(
        attribute: str,
        value: ast.expr,
        annotation: ast.expr | None,
        method: tuple[str, _Locals, dict[str, ast.expr]],
        members: _Members,
        ctx: FileModel,
    ) -> None:
        """Records what `self.<attribute> = value` makes of the attribute; `method` is
        (the name of `self`, the method's parameters, the value each local was last set
        to)."""
        owner, params, latest = method

        def is_session(node: ast.expr) -> bool:
            if isinstance(node, ast.Name):
                return node.id in params.sessions
            return (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == owner
                and node.attr in members.sessions
            )

        name = value.id if isinstance(value, ast.Name) else None
        if name in params.sessions:
            members.sessions.setdefault(attribute, Origin.RECEIVED)
        elif isinstance(value, ast.Attribute) and is_session(value):
            members.sessions.setdefault(attribute, members.sessions[value.attr])
        elif (name in latest and opens_session(latest[name], ctx)) or opens_session(value, ctx):
            members.sessions.setdefault(attribute, Origin.OPENED)
        elif annotation is not None and annotation_is_session(annotation, ctx):
            members.sessions.setdefault(attribute, Origin.RECEIVED)
        elif (
            name in params.factories
            or builds_factory(value, ctx)
            or (annotation is not None and annotation_is_factory(annotation, ctx))
        ):
            members.factories.add(attribute)
        elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name | ast.Attribute):
            callee = ctx.qualified(value.func)
            arguments = [*value.args, *(keyword.value for keyword in value.keywords)]
            if (
                callee is not None
                and ctx.index.is_project_class(callee)
                and any(is_session(argument) for argument in arguments)
            ):
                members.holders.add(attribute)


_CASTS: Final = frozenset({"typing.cast", "typing_extensions.cast"})
_OBJECT_SESSION: Final = frozenset(
    {"sqlalchemy.orm.object_session", "sqlalchemy.orm.session.object_session"}
)
_INSPECT: Final = frozenset({"sqlalchemy.inspect", "sqlalchemy.inspection.inspect"})


def type_is_session(qualified: str, index: ProjectIndex) -> bool:
    """A session class, a project subclass of one, or a type alias of either."""
    return _type_is_session(index, qualified)


@derived("sessions.type-is-session")
def _type_is_session(index: ProjectIndex, qualified: str) -> bool:
    # Asked of every parameter annotation: once per index rather than once per use.
    current: str | None = qualified
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


def _module_session(node: ast.expr, ctx: FileModel) -> tuple[Origin, str] | None:
    """A module-level `session = Session(engine)` / `SessionLocal()` of a project module,
    named here or imported: the module opened it."""
    qualified = ctx.qualified(node)
    if qualified is None:
        return None
    callee = ctx.index.instance_of(qualified)
    if callee is None:
        return None
    if is_session_class(callee, ctx.index) or is_session_factory(callee, ctx.index):
        return Origin.OPENED, f"module:{ctx.index.resolve(qualified)}"
    return None


def _object_session(node: ast.Call, ctx: FileModel) -> tuple[Origin, str] | None:
    """`object_session(obj)` / `Session.object_session(obj)`: the session `obj` belongs to,
    opened by someone else."""
    func = node.func
    if len(node.args) != 1:
        return None
    qualified = ctx.qualified(func)
    if qualified in _OBJECT_SESSION or (
        isinstance(func, ast.Attribute)
        and func.attr == "object_session"
        and (owner := ctx.qualified(func.value)) is not None
        and is_session_class(owner, ctx.index)
    ):
        return Origin.RECEIVED, f"object:{id(node)}"
    return None


def _inspected_session(node: ast.Attribute, ctx: FileModel) -> tuple[Origin, str] | None:
    """`inspect(obj).session`: the session an ORM object's state belongs to."""
    value = node.value
    if (
        node.attr == "session"
        and isinstance(value, ast.Call)
        and len(value.args) == 1
        and ctx.qualified(value.func) in _INSPECT
    ):
        return Origin.RECEIVED, f"object:{id(node)}"
    return None


def _declared_member(node: ast.Attribute, ctx: FileModel) -> tuple[Origin, str] | None:
    """`db.session` where the parameter `db` is annotated with a project class that
    declares `session: Session` in its body (or a base's body)."""
    owner = node.value
    if not isinstance(owner, ast.Name) or ctx.comprehension_binding(owner.id) is not None:
        return None
    scope = ctx.names.binding_scope(owner.id)
    function = scope.node if scope is not None else None
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    arguments = function.args
    annotation = next(
        (
            arg.annotation
            for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
            if arg.arg == owner.id
        ),
        None,
    )
    kind = single_type(annotation, ctx.qualified) if annotation is not None else None
    if kind is None:
        return None
    index = ctx.index
    for cls in index.ancestors(kind):
        fact = index.class_fact(cls)
        if fact is None:
            continue
        for attribute in fact.attributes:
            if attribute.name == node.attr:
                if attribute.annotation and type_is_session(attribute.annotation, index):
                    return Origin.RECEIVED, f"{id(function)}:{owner.id}.{node.attr}"
                return None
    return None


def _imported_members(base: ast.expr, members: _Members, ctx: FileModel) -> None:
    """What a base class defined in another module, and its own bases, store on `self` or
    declare in their bodies (`class UserRepository(RepositoryBase[User])` where
    `RepositoryBase.__init__` sets `self.session = session`)."""
    if isinstance(base, ast.Subscript):
        base = base.value
    qualified = ctx.qualified(base) if isinstance(base, ast.Name | ast.Attribute) else None
    if qualified is None:
        return
    index = ctx.index
    for ancestor in index.ancestors(qualified):
        fact = index.class_fact(ancestor)
        if fact is None:
            continue
        kinds: dict[str, list[str]] = {}
        for attribute, kind in fact.instance_types:
            kinds.setdefault(attribute, []).append(kind)
        for declared in fact.attributes:
            if declared.annotation:
                kinds.setdefault(declared.name, [declared.annotation])
        for attribute, allowed in kinds.items():
            # `AsyncSession | AsyncReadSession`: a session whichever member it is.
            if all(type_is_session(kind, index) for kind in allowed):
                members.sessions.setdefault(attribute, Origin.RECEIVED)
            elif all(index.resolve(kind) in SESSION_FACTORIES for kind in allowed):
                members.factories.add(attribute)


def _is_property(function: _Function, ctx: FileModel) -> bool:
    return any(
        (isinstance(decorator, ast.Name) and decorator.id == "property")
        or ctx.qualified(decorator) == "functools.cached_property"
        for decorator in function.decorator_list
    )


def is_sql_ping(node: ast.expr, ctx: FileModel) -> bool:
    """`text("SELECT 1")` (any case and spacing, an optional `;`), sqlalchemy's `text`;
    `select(1)`, `select(literal(1))`, `select(literal_column("1"))`."""
    if not isinstance(node, ast.Call) or len(node.args) != 1 or node.keywords:
        return False
    argument = node.args[0]
    if ctx.qualified(node.func) in SELECT_BUILDERS:
        if (
            isinstance(argument, ast.Call)
            and len(argument.args) == 1
            and not argument.keywords
            and ctx.qualified(argument.func) in _LITERALS
        ):
            argument = argument.args[0]
        # `literal(True)` is no ping: True == 1, so compare types too
        return (
            isinstance(argument, ast.Constant)
            and type(argument.value) in (int, str)
            and (argument.value in (1, "1"))
        )
    if not isinstance(argument, ast.Constant) or not isinstance(argument.value, str):
        return False
    callee = ctx.qualified(node.func)
    if callee not in TEXT_BUILDERS:
        return False
    words = argument.value.strip().rstrip(";").split()
    return [word.lower() for word in words] == ["select", "1"]
