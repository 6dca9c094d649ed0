"""Statements -> per-file facts: the pass that fills a module's name table and gathers
the `FileFacts` the index and the cache read, before any rule runs.

The pass visits statements only (module level, and the bodies of classes and functions
for raises, catches and handler registrations); expressions are left to the rule walk.
"""

from __future__ import annotations

import ast
import builtins
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from layercheck.annotations import (
    DEPENDS,
    Qualify,
    annotated_provider,
    depends_provider,
    parse_string,
    produced_type,
    single_type,
    tagged_members,
    union_types,
)
from layercheck.facts import (
    ROUTE_METHODS,
    ROUTE_REGISTRARS,
    UNKNOWN,
    AttributeFact,
    ClassFact,
    FileFacts,
    FunctionFact,
    ImportFact,
    RevisionFact,
)
from layercheck.layers import Layer
from layercheck.names import LOCAL, ImportTable
from layercheck.tree_walk import walk

EXTRACTION_REVISION: Final = 8
"""Raised whenever `extract` records something else for the same source (a cached file's
facts from an older revision are not reused): 2 records NewType and bound TypeVar
declarations as type aliases, 3 what classes store on `self`, 4 routes' response models,
5 dependency providers, `include_router` and session calls (layers confirmed by content),
6 `@x.get("/path")` decorators on any receiver, 8 discriminated union type aliases and
`x.add_api_route(...)` on any receiver."""
_ROUTE_ADDERS: Final = frozenset({"add_api_route", "add_api_websocket_route"})
_NEW_TYPES: Final = frozenset({"typing.NewType", "typing_extensions.NewType"})
_TYPE_VARS: Final = frozenset({"typing.TypeVar", "typing_extensions.TypeVar"})


_SESSION_METHODS: Final = frozenset(
    {"execute", "scalars", "scalar", "query", "add", "add_all", "commit", "flush", "refresh"}
    | {"get", "delete", "merge", "exec", "stream", "begin", "rollback"}
)
_SESSION_NAMES: Final = frozenset({"session", "db", "db_session", "conn", "connection", "_db"})


def _session_call(node: ast.expr | None) -> bool:
    """A call chain that goes through `<session>.<method>(...)`: `self.session.get(x)`,
    `db.query(User).filter(...).first()`, `(await session.execute(q)).scalars()`."""
    while node is not None:
        if isinstance(node, ast.Await):
            node = node.value
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                owner = func.value
                name = (
                    owner.id
                    if isinstance(owner, ast.Name)
                    else owner.attr
                    if isinstance(owner, ast.Attribute)
                    else ""
                )
                if func.attr in _SESSION_METHODS and (
                    name in _SESSION_NAMES or name.endswith("_session")
                ):
                    return True
                node = owner
            else:
                return False
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return False
    return False


def _path_decorator(call: ast.Call) -> bool:
    """`@x.get("/items")`: a route method called with a path."""
    func = call.func
    first = call.args[0] if call.args else None
    return (
        isinstance(func, ast.Attribute)
        and func.attr in ROUTE_METHODS
        and isinstance(first, ast.Constant)
        and isinstance(first.value, str)
        and first.value.startswith("/")
    )


_TRIMMING: Final = frozenset({"response_model_exclude", "response_model_include"})
_CONTAINERS: Final = frozenset(
    {"list", "set", "frozenset", "tuple", "builtins.list", "builtins.set", "builtins.tuple"}
    | {f"typing.{n}" for n in ("List", "Set", "FrozenSet", "Sequence", "Tuple", "Iterable")}
    | {f"collections.abc.{n}" for n in ("Sequence", "Iterable", "Collection")}
)


def _response_class(node: ast.expr | None, qualify: Qualify) -> str | None:
    """The class a response annotation names: `UserOut`, `"UserOut"`, `UserOut | None`,
    `list[UserOut]`, `Sequence["UserOut"]`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        node = parse_string(node)
    found = single_type(node, qualify, strings=False)
    if found is not None:
        return found
    if isinstance(node, ast.Subscript):
        head = node.value
        name = head.id if isinstance(head, ast.Name) and qualify(head) is None else qualify(head)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if name in _CONTAINERS and items:
            return _response_class(items[0], qualify)
    return None


_NOT_BODY: Final = frozenset(
    {"Query", "Path", "Header", "Cookie", "Form", "File", "Depends", "Security"}
)
"""FastAPI's parameter markers that take a value from elsewhere than the body."""


def _marked(node: ast.expr | None, qualify: Qualify) -> bool:
    """`Query(...)`, `fastapi.params.Path()`, `Depends(get_db)`: no body."""
    if not isinstance(node, ast.Call):
        return False
    name = qualify(node.func) or ""
    return name.startswith("fastapi.") and name.rpartition(".")[2] in _NOT_BODY


def _marked_annotation(node: ast.expr | None, qualify: Qualify) -> bool:
    """`Annotated[X, Query()]`, `Annotated[Session, Depends(get_db)]`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        node = parse_string(node)
    if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Tuple):
        return False
    return any(_marked(item, qualify) for item in node.slice.elts[1:])


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _declared_type(call: ast.Call, callee: str | None) -> ast.expr | None:
    """The type a `NewType("Name", T)` wraps, or that a `TypeVar("T", bound=B)` is bound
    to: an annotation with either stands for that type."""
    if callee in _NEW_TYPES and len(call.args) == 2:
        return call.args[1]
    if callee in _TYPE_VARS:
        return next((kw.value for kw in call.keywords if kw.arg == "bound"), None)
    return None


def _literal(node: ast.expr | None) -> str:
    if isinstance(node, ast.Constant):
        return repr(node.value)
    return "?"


def _string_values(node: ast.expr | None) -> tuple[str, ...] | None:
    """`"abc"` -> ("abc",); `("a", "b")` -> ("a", "b"); None -> (); else None."""
    if isinstance(node, ast.Constant):
        if node.value is None:
            return ()
        if isinstance(node.value, str):
            return (node.value,)
    if isinstance(node, ast.Tuple | ast.List):
        found = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        if len(found) == len(node.elts) and all(isinstance(v, str) for v in found):
            return tuple(str(v) for v in found)
    return None


def _has_default(value: ast.expr | None, callee: str | None) -> bool:
    """Whether a class-body field gets a default: any value but a `Field(...)` call
    without a default (pydantic's and sqlmodel's `Field`)."""
    if value is None:
        return False
    if not isinstance(value, ast.Call) or callee is None or not callee.endswith(".Field"):
        return True
    if value.args:
        first = value.args[0]
        return not (isinstance(first, ast.Constant) and first.value is Ellipsis)
    return any(kw.arg in {"default", "default_factory"} for kw in value.keywords)


@dataclass(slots=True)
class _Function:
    """State while scanning one module-level function's statements."""

    calls: dict[str, str] = field(default_factory=dict)
    yielded: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Collector:
    table: ImportTable
    imports: list[ImportFact] = field(default_factory=list)
    classes: list[ClassFact] = field(default_factory=list)
    functions: list[FunctionFact] = field(default_factory=list)
    instances: list[tuple[str, str]] = field(default_factory=list)
    aliases: list[tuple[str, str, str]] = field(default_factory=list)
    unions: list[tuple[str, str]] = field(default_factory=list)
    receivers: list[str] = field(default_factory=list)
    responses: list[tuple[str, str, str]] = field(default_factory=list)
    bodies: list[tuple[str, str, str, str]] = field(default_factory=list)
    mixins: list[tuple[str, str]] = field(default_factory=list)
    handlers: list[str] = field(default_factory=list)
    raises: list[tuple[str, int]] = field(default_factory=list)
    catches: list[str] = field(default_factory=list)
    assigned: dict[str, ast.Assign | ast.AnnAssign] = field(default_factory=dict)
    providers: list[str] = field(default_factory=list)
    includes_routers: bool = False
    path_decorators: bool = False
    uses_session: bool = False
    overlays: list[dict[str, str]] = field(default_factory=list)
    """Names bound inside the functions being scanned (imports; locals as LOCAL)."""
    function: _Function | None = None

    def own(self, name: str) -> str:
        return sys.intern(f"{self.table.module}.{name}") if self.table.module else name

    # -- names ---------------------------------------------------------------------------
    def qualify(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        head: ast.expr = node
        while isinstance(head, ast.Attribute):
            head = head.value
        if isinstance(head, ast.Name):
            for overlay in reversed(self.overlays):
                if head.id in overlay:
                    bound = overlay[head.id]
                    if bound == LOCAL:
                        return None
                    rest = ast.unparse(node)[len(head.id) :] if node is not head else ""
                    return sys.intern(bound + rest)
        return self.module_qualified(node)

    def module_qualified(self, node: ast.expr) -> str | None:
        """What `node` names through the module scope alone, interned: the facts of many
        files name the same few classes and callees."""
        found = self.table.qualified(node)
        return sys.intern(found) if found is not None else None

    def exception(self, node: ast.expr | None) -> str | None:
        """A class named in `raise`/`except`/a handler; builtins get `builtins.`."""
        found = self.qualify(node)
        if found is not None:
            return found
        if (
            isinstance(node, ast.Name)
            and not any(node.id in o for o in self.overlays)
            and isinstance(getattr(builtins, node.id, None), type)
        ):
            return sys.intern(f"builtins.{node.id}")
        return None

    def bind_module(self, name: str, qualified: str) -> None:
        if self.overlays:
            self.overlays[-1][name] = qualified
        else:
            self.table.module_scope[name] = qualified

    # -- statements ----------------------------------------------------------------------
    def add_import(self, node: ast.Import | ast.ImportFrom, type_checking: bool) -> None:
        table = self.table
        nested = bool(self.overlays)
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.imports.append(
                    ImportFact(sys.intern(alias.name), None, node.lineno, type_checking, nested)
                )
        else:
            base = table.absolute(node.level, node.module)
            if base is not None:
                base = sys.intern(base)
                for alias in node.names:
                    target = base if alias.name == "*" else sys.intern(f"{base}.{alias.name}")
                    self.imports.append(
                        ImportFact(target, base, node.lineno, type_checking, nested)
                    )
        for name, qualified in table.import_bindings(node):
            self.bind_module(name, qualified)

    def route_receiver(self, call: ast.expr, methods: frozenset[str]) -> None:
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in methods
        ):
            receiver = self.qualify(call.func.value)
            if receiver is not None:
                self.receivers.append(receiver)

    def response_model(
        self, decorator: ast.expr, function: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> None:
        """`@router.get("/", response_model=list[UserOut])` / `-> UserOut`."""
        if not (
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in ROUTE_METHODS
        ):
            return
        receiver = self.qualify(decorator.func.value)
        keywords = {kw.arg: kw.value for kw in decorator.keywords if kw.arg is not None}
        if receiver is None:
            return
        self.request_bodies(decorator, receiver, function)
        if keywords.keys() & _TRIMMING:
            return
        shown = keywords.get("response_model", function.returns)
        model = _response_class(shown, self.qualify)
        if model is not None:
            self.responses.append((receiver, model, function.name))

    def request_bodies(
        self, decorator: ast.Call, receiver: str, function: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> None:
        """The classes a path operation may take as its body, with its methods."""
        assert isinstance(decorator.func, ast.Attribute)
        verb = decorator.func.attr
        if verb == "websocket":
            return
        methods: tuple[str, ...] = (verb,)
        keywords = {kw.arg: kw.value for kw in decorator.keywords if kw.arg is not None}
        if verb == "api_route":
            named = _string_values(keywords.get("methods"))
            methods = tuple(m.lower() for m in named) if named else ("get",)
        first = decorator.args[0] if decorator.args else keywords.get("path")
        literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
        path = str(first.value) if literal and isinstance(first, ast.Constant) else ""
        arguments = function.args
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
        pairs = [
            *zip(positional, [*defaults, *arguments.defaults], strict=True),
            *zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True),
        ]
        for arg, default in pairs:
            if _marked(default, self.qualify) or _marked_annotation(arg.annotation, self.qualify):
                continue
            model = _response_class(arg.annotation, self.qualify)
            if model is not None:
                self.bodies.extend((receiver, method, path, model) for method in methods)

    def router_inclusion(self, call: ast.expr) -> None:
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute):
            if call.func.attr == "include_router":
                self.includes_routers = True
            elif call.func.attr in _ROUTE_ADDERS:
                self.path_decorators = True  # `router.add_api_route(...)` on any receiver

    def dependencies_in(self, nodes: list[ast.expr | None]) -> bool:
        """Record the providers that `Depends(...)` calls among `nodes` name (annotations
        included, `Annotated[X, Depends(p)]` also in a string); True when there is one."""
        found = False
        for node in nodes:
            if node is None:
                continue
            provider = annotated_provider(node, self.qualify)
            if provider is not None:
                self.providers.append(provider)
                found = True
            if type(node) is ast.Name or type(node) is ast.Constant:
                continue  # most annotations and defaults: no call under them
            for inner in walk(node):
                if isinstance(inner, ast.Call) and self.qualify(inner.func) in DEPENDS:
                    found = True
                    named = depends_provider(inner, self.qualify)
                    if named is not None:
                        self.providers.append(named)
        return found

    def handler_registration(self, call: ast.expr) -> None:
        """`@app.exception_handler(E)`, `app.add_exception_handler(E, h)`,
        `FastAPI(exception_handlers={E: h})`."""
        if not isinstance(call, ast.Call):
            return
        func = call.func
        if isinstance(func, ast.Call):
            self.handler_registration(func)  # `app.exception_handler(E)(handler)`
            return
        if isinstance(func, ast.Attribute) and func.attr in {
            "exception_handler",
            "add_exception_handler",
        }:
            target = call.args[0] if call.args else None
            for keyword in call.keywords:
                if keyword.arg in {"exc_class_or_status_code", "exc_class"}:
                    target = keyword.value
            if isinstance(target, ast.Constant) and isinstance(target.value, int):
                return  # a handler for a status code, not an exception class
            self.handlers.append(self.exception(target) or UNKNOWN)
        for keyword in call.keywords:
            if keyword.arg == "exception_handlers":
                self.handler_table(keyword.value)

    def handler_table(self, node: ast.expr | None) -> None:
        if isinstance(node, ast.Name) and not any(node.id in o for o in self.overlays):
            # `HANDLERS = {E: h}` at module level, then `FastAPI(exception_handlers=HANDLERS)`
            bound = self.assigned.get(node.id)
            if bound is not None and isinstance(bound.value, ast.Dict):
                node = bound.value
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, int):
                    continue
                self.handlers.append(self.exception(key) or UNKNOWN)
        elif node is not None:
            self.handlers.append(UNKNOWN)

    def rebind(self, target: ast.expr) -> None:
        """Names bound by unpacking, `for` or `with`: no longer what was imported."""
        if isinstance(target, ast.Name):
            if self.overlays:
                self.overlays[-1][target.id] = LOCAL
            else:
                self.table.module_scope[target.id] = self.own(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.rebind(element)
        elif isinstance(target, ast.Starred):
            self.rebind(target.value)

    def assign(self, stmt: ast.Assign | ast.AnnAssign, target: ast.expr) -> None:
        value = stmt.value
        self.uses_session = self.uses_session or _session_call(value)
        if isinstance(value, ast.Call):
            self.handler_registration(value)
            self.dependencies_in([kw.value for kw in value.keywords if kw.arg == "dependencies"])
        if not isinstance(target, ast.Name):
            self.rebind(target)
            return
        name = target.id
        if "exception_handlers" in name.lower() and isinstance(value, ast.Dict):
            self.handler_table(value)
        if self.overlays:
            self.overlays[-1][name] = LOCAL
            if self.function is not None and isinstance(value, ast.Call):
                callee = self.qualify(value.func)
                if callee is not None:
                    self.function.calls[name] = callee
            return
        self.assigned[name] = stmt
        alias = self.qualify(value) if isinstance(value, ast.Name | ast.Attribute) else None
        if alias is not None:
            self.table.module_scope[name] = alias
            return
        self.table.module_scope[name] = self.own(name)
        if isinstance(value, ast.Call):
            callee = self.qualify(value.func)
            if callee is None and isinstance(value.func, ast.Attribute):
                # `registry().generate_base()`, `mapper_registry.generate_base()`
                inner = value.func.value
                owner = self.qualify(inner.func if isinstance(inner, ast.Call) else inner)
                if owner is not None:
                    callee = f"{owner}().{value.func.attr}"
            if callee is not None:
                self.instances.append((name, callee))
                if callee.endswith(("declarative_base", "generate_base")):
                    mixin = next((kw.value for kw in value.keywords if kw.arg == "cls"), None)
                    qualified = self.qualify(mixin)
                    if qualified is not None:
                        self.mixins.append((name, qualified))
            declared = _declared_type(value, callee)
            if declared is not None:
                self.type_alias(name, declared)
        elif isinstance(value, ast.Subscript | ast.BinOp | ast.Constant) or (
            isinstance(stmt, ast.AnnAssign) and value is not None
        ):
            self.type_alias(name, value)

    def type_alias(self, name: str, value: ast.expr | None) -> None:
        kind = single_type(value, self.qualify)
        provider = annotated_provider(value, self.qualify)
        if kind is not None or provider is not None:
            self.aliases.append((name, kind or "", provider or ""))
        members = tagged_members(value, self.qualify)
        if len(members) > 1:
            self.unions.extend((name, member) for member in members)

    def statements(self, body: list[ast.stmt], type_checking: bool) -> None:
        for stmt in body:
            self.statement(stmt, type_checking)

    def statement(self, stmt: ast.stmt, type_checking: bool) -> None:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            self.add_import(stmt, type_checking)
        elif isinstance(stmt, ast.ClassDef):
            self.class_def(stmt, type_checking)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            self.function_def(stmt, type_checking)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                self.assign(stmt, target)
        elif isinstance(stmt, ast.AnnAssign):
            self.assign(stmt, stmt.target)
        elif isinstance(stmt, ast.Expr):
            value = stmt.value
            if isinstance(value, ast.Await):
                value = value.value
            self.route_receiver(value, ROUTE_REGISTRARS)
            self.handler_registration(value)
            self.router_inclusion(value)
            self.uses_session = self.uses_session or _session_call(value)
            if isinstance(value, ast.Yield | ast.YieldFrom):
                self.yielded(value.value)
        elif isinstance(stmt, ast.Return):
            self.uses_session = self.uses_session or _session_call(stmt.value)
            returned = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            if isinstance(returned, ast.Call):
                self.handler_registration(returned)
            self.yielded(stmt.value)
        elif isinstance(stmt, ast.Raise):
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            name = self.exception(exc)
            if name is not None:
                self.raises.append((name, stmt.lineno))
        elif isinstance(stmt, ast.If):
            guarded = self.table.is_type_checking_test(stmt.test)
            self.statements(stmt.body, type_checking or guarded)
            self.statements(stmt.orelse, type_checking)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            self.try_statement(stmt, type_checking)
        elif isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            if isinstance(stmt, ast.For | ast.AsyncFor):
                self.rebind(stmt.target)
            self.statements(stmt.body, type_checking)
            self.statements(stmt.orelse, type_checking)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                self.with_item(item)
            self.statements(stmt.body, type_checking)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                self.statements(case.body, type_checking)
        elif type(stmt).__name__ == "TypeAlias":
            name_node = getattr(stmt, "name", None)
            if isinstance(name_node, ast.Name):
                self.bind_module(name_node.id, self.own(name_node.id))
                if not self.overlays:
                    self.type_alias(name_node.id, getattr(stmt, "value", None))

    def try_statement(self, stmt: ast.stmt, type_checking: bool) -> None:
        self.statements(getattr(stmt, "body", []), type_checking)
        for handler in getattr(stmt, "handlers", []):
            kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            for kind in kinds:
                name = self.exception(kind) if kind is not None else "builtins.BaseException"
                self.catches.append(name or UNKNOWN)
            self.statements(handler.body, type_checking)
        self.statements(getattr(stmt, "orelse", []), type_checking)
        self.statements(getattr(stmt, "finalbody", []), type_checking)

    def with_item(self, item: ast.withitem) -> None:
        target = item.optional_vars
        context = item.context_expr
        if (
            self.function is not None
            and isinstance(target, ast.Name)
            and isinstance(context, ast.Call)
        ):
            callee = self.qualify(context.func)
            if callee is not None:
                self.function.calls[target.id] = callee
        if target is not None:
            self.rebind(target)

    def yielded(self, value: ast.expr | None) -> None:
        if self.function is None or value is None:
            return
        if isinstance(value, ast.Name) and value.id in self.function.calls:
            self.function.yielded.append(self.function.calls[value.id])
        elif isinstance(value, ast.Call):
            callee = self.qualify(value.func)
            if callee is not None:
                self.function.yielded.append(callee)

    def class_def(self, stmt: ast.ClassDef, type_checking: bool) -> None:
        top_level = not self.overlays
        self.bind_module(stmt.name, self.own(stmt.name))
        for decorator in stmt.decorator_list:
            self.handler_registration(decorator)
        self.overlays.append({})
        try:
            facts = self.class_body(stmt) if top_level else None
            for member in stmt.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    # Class-based views register their methods as path operations (mealie).
                    for decorator in member.decorator_list:
                        self.route_receiver(decorator, ROUTE_METHODS)
                    self.function_def(member, type_checking, method=True)
                elif not isinstance(member, ast.ClassDef):
                    self.statement(member, type_checking)
        finally:
            self.overlays.pop()
        if facts is not None:
            self.classes.append(facts)

    def class_body(self, stmt: ast.ClassDef) -> ClassFact:
        qualify = self.module_qualified
        bases: list[str] = []
        for base in stmt.bases:
            found = self.exception(base)
            if found is None and isinstance(base, ast.Subscript):
                found = qualify(base.value)  # `RootModel[int]`, `Generic[T]`
            if found is not None:
                bases.append(found)
        keywords = tuple(
            (kw.arg, qualify(kw.value) or _literal(kw.value))
            for kw in stmt.keywords
            if kw.arg is not None
        )
        attributes: list[AttributeFact] = []
        config: list[tuple[str, str]] = []
        tablename = abstract = defines_init = False
        for member in stmt.body:
            target: ast.expr | None = None
            value: ast.expr | None = None
            annotation = ""
            if isinstance(member, ast.AnnAssign):
                target, value = member.target, member.value
                head = member.annotation
                if isinstance(head, ast.Subscript):
                    head = head.value
                annotation = qualify(head) or ""
            elif isinstance(member, ast.Assign) and len(member.targets) == 1:
                target, value = member.targets[0], member.value
            elif isinstance(member, ast.FunctionDef) and member.name == "__tablename__":
                tablename = True
            elif isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef) and member.name in {
                "__init__",
                "__new__",
            }:
                defines_init = True
            elif isinstance(member, ast.ClassDef) and member.name == "Config":
                config.extend(self.config_class(member))
            if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                declared = self.declared_attribute(member)
                if declared is not None:
                    attributes.append(declared)
            if not isinstance(target, ast.Name):
                continue
            name = target.id
            if name == "__tablename__":
                tablename = True
            elif name == "__abstract__":
                abstract = _literal(value) == "True"
            elif name == "model_config":
                config.extend(self.config_items(value))
            callee = qualify(value.func) if isinstance(value, ast.Call) else None
            attributes.append(
                AttributeFact(
                    name, callee or "", annotation, member.lineno, _has_default(value, callee)
                )
            )
        return ClassFact(
            name=stmt.name,
            bases=tuple(bases),
            line=stmt.lineno,
            decorators=tuple(
                q
                for q in (
                    qualify(d.func if isinstance(d, ast.Call) else d) for d in stmt.decorator_list
                )
                if q is not None
            ),
            keywords=keywords,
            attributes=tuple(attributes),
            config=tuple(config),
            tablename=tablename,
            abstract=abstract,
            defines_init=defines_init,
            methods=tuple(
                member.name
                for member in stmt.body
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef)
            ),
            instance_types=tuple(self.instance_types(stmt)),
        )

    def instance_types(self, stmt: ast.ClassDef) -> Iterator[tuple[str, str]]:
        qualify = self.table.qualified
        seen: set[str] = set()
        for method in stmt.body:
            if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            positional = [*method.args.posonlyargs, *method.args.args]
            if not positional:
                continue
            owner = positional[0].arg
            if any(_is_name(d, "property") for d in method.decorator_list):
                kinds = union_types(method.returns, qualify)
                if kinds and method.name not in seen:
                    seen.add(method.name)
                    for kind in kinds:
                        yield method.name, kind
                continue
            parameters = {
                arg.arg: kinds
                for arg in (*positional[1:], *method.args.kwonlyargs)
                if (kinds := union_types(arg.annotation, qualify))
            }
            for node in _statements_breadth_first(method):
                target: ast.expr
                value: ast.expr | None
                annotation: ast.expr | None
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    target, value, annotation = node.targets[0], node.value, None
                elif isinstance(node, ast.AnnAssign):
                    target, value, annotation = node.target, node.value, node.annotation
                else:
                    continue
                if (
                    not (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == owner
                    )
                    or target.attr in seen
                ):
                    continue
                kinds = union_types(annotation, qualify) if annotation is not None else []
                if not kinds and isinstance(value, ast.Name):
                    kinds = parameters.get(value.id, [])
                if kinds:
                    seen.add(target.attr)
                    for kind in kinds:
                        yield target.attr, kind

    def declared_attribute(
        self, member: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> AttributeFact | None:
        """`@declared_attr def updated_at(cls) -> Mapped[datetime]: ...` maps an attribute
        as surely as a class-body assignment does (the value is the decorator's name)."""
        for decorator in member.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = self.module_qualified(target)
            if name is not None and name.rpartition(".")[2] in {"declared_attr", "directive"}:
                returns = member.returns
                head = returns.value if isinstance(returns, ast.Subscript) else returns
                annotation = self.module_qualified(head) if head is not None else None
                return AttributeFact(member.name, name, annotation or "", member.lineno)
        return None

    @staticmethod
    def config_items(value: ast.expr | None) -> Iterator[tuple[str, str]]:
        if isinstance(value, ast.Call):
            for keyword in value.keywords:
                if keyword.arg is not None:
                    yield keyword.arg, _literal(keyword.value)
        elif isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    yield key.value, _literal(item)

    @staticmethod
    def config_class(node: ast.ClassDef) -> Iterator[tuple[str, str]]:
        for member in node.body:
            if isinstance(member, ast.Assign):
                for target in member.targets:
                    if isinstance(target, ast.Name):
                        yield f"Config.{target.id}", _literal(member.value)
            elif isinstance(member, ast.AnnAssign) and isinstance(member.target, ast.Name):
                yield f"Config.{member.target.id}", _literal(member.value)

    def function_def(
        self,
        stmt: ast.FunctionDef | ast.AsyncFunctionDef,
        type_checking: bool,
        *,
        method: bool = False,
    ) -> None:
        for decorator in stmt.decorator_list:
            self.handler_registration(decorator)
            if isinstance(decorator, ast.Call):
                self.path_decorators = self.path_decorators or _path_decorator(decorator)
                self.dependencies_in(
                    [kw.value for kw in decorator.keywords if kw.arg == "dependencies"]
                )
            if not method:
                self.route_receiver(decorator, ROUTE_METHODS)
                self.response_model(decorator, stmt)
        arguments = stmt.args
        parameters = [
            *arguments.posonlyargs,
            *arguments.args,
            *arguments.kwonlyargs,
            arguments.vararg,
            arguments.kwarg,
        ]
        takes_dependencies = self.dependencies_in(
            [*arguments.defaults, *arguments.kw_defaults]
            + [arg.annotation for arg in parameters if arg is not None]
        )
        top_level = not self.overlays
        self.bind_module(stmt.name, self.own(stmt.name))
        outer_function = self.function
        # A nested function's returns are its own, not the enclosing provider's.
        self.function = _Function() if top_level else None
        overlay: dict[str, str] = {}
        for arg in parameters:
            if arg is not None:
                overlay[arg.arg] = LOCAL
        self.overlays.append(overlay)
        try:
            self.statements(stmt.body, type_checking)
        finally:
            self.overlays.pop()
        if top_level and self.function is not None:
            self.functions.append(
                FunctionFact(
                    name=stmt.name,
                    line=stmt.lineno,
                    produces=produced_type(stmt.returns, self.qualify),
                    yields_calls=tuple(dict.fromkeys(self.function.yielded)),
                    decorators=tuple(
                        q
                        for q in (
                            self.qualify(d.func if isinstance(d, ast.Call) else d)
                            for d in stmt.decorator_list
                        )
                        if q is not None
                    ),
                    takes_dependencies=takes_dependencies,
                )
            )
        self.function = outer_function

    def revision(self) -> RevisionFact | None:
        revision = self.assigned.get("revision")
        down = self.assigned.get("down_revision")
        if revision is None or down is None:
            return None
        ids = _string_values(revision.value)
        downs = _string_values(down.value)
        labels = self.assigned.get("branch_labels")
        return RevisionFact(
            revision=ids[0] if ids else None,
            down_revisions=downs or (),
            revision_line=revision.lineno,
            down_revision_line=down.lineno,
            down_revision_known=downs is not None,
            branch_labels=(_string_values(labels.value) or ()) if labels is not None else (),
        )


def extract(
    tree: ast.Module,
    table: ImportTable,
    *,
    path: str,
    path_layer: Layer | None,
    is_test: bool,
    detect_routes: bool,
    layer_folder: str | None = None,
    layer_given: bool = False,
    outer_layers: tuple[tuple[str, str], ...] = (),
) -> FileFacts:
    """Fill `table`'s module scope and return the file's facts."""
    collector = _Collector(table)
    collector.statements(tree.body, type_checking=False)
    return FileFacts(
        path=path,
        module=table.module,
        is_package=table.is_package,
        path_layer=path_layer,
        layer_folder=layer_folder,
        is_test=is_test,
        detect_routes=detect_routes,
        imports=tuple(collector.imports),
        bindings=tuple((name, sys.intern(value)) for name, value in table.module_scope.items()),
        classes=tuple(collector.classes),
        functions=tuple(collector.functions),
        instances=tuple(collector.instances),
        type_aliases=tuple(collector.aliases),
        union_aliases=tuple(collector.unions),
        route_receivers=tuple(collector.receivers),
        response_models=tuple(collector.responses),
        request_bodies=tuple(collector.bodies),
        base_mixins=tuple(collector.mixins),
        handlers=tuple(dict.fromkeys(collector.handlers)),
        raises=tuple(collector.raises),
        catches=tuple(dict.fromkeys(collector.catches)),
        revision=collector.revision(),
        layer_given=layer_given,
        outer_layers=outer_layers,
        includes_routers=collector.includes_routers,
        path_decorators=collector.path_decorators,
        uses_session=collector.uses_session,
        providers=tuple(dict.fromkeys(collector.providers)),
    )


# Fields that hold statements, or the handlers and cases that hold them.
_STATEMENT_FIELDS: Final = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})


def _statements_breadth_first(
    function: ast.FunctionDef | ast.AsyncFunctionDef,
) -> Iterator[ast.AST]:
    """The statements under `function` in `ast.walk`'s order (breadth first), without
    visiting expressions: no expression holds a statement, and skipping whole subtrees
    keeps the order of the nodes that remain."""
    pending: deque[ast.AST] = deque([function])
    while pending:
        node = pending.popleft()
        for name in node._fields:
            if name in _STATEMENT_FIELDS:
                items = getattr(node, name, None)
                if type(items) is list:
                    pending.extend(items)
        yield node
