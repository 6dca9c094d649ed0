"""Which objects are FastAPI routers and which functions are route handlers."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from layercheck.facts import ROUTE_METHODS, ROUTE_REGISTRARS
from layercheck.index import ROUTER_CLASSES
from layercheck.semantic.core import FileModel

Function = ast.FunctionDef | ast.AsyncFunctionDef
WEBSOCKET_OPERATIONS: Final = frozenset({"websocket", "add_api_websocket_route"})


@dataclass(frozen=True, slots=True)
class PathOperation:
    """One registration of a function as a path operation: the decorator call
    (`@router.get("/", status_code=201)`) or the `router.add_api_route(...)` call."""

    call: ast.Call
    method: str
    """`get`, `post`, ..., `api_route`, `websocket`, `add_api_route`,
    `add_api_websocket_route`."""

    @property
    def websocket(self) -> bool:
        return self.method in WEBSOCKET_OPERATIONS

    def keyword(self, name: str) -> ast.expr | None:
        """The value of keyword argument `name`, or None when it is not given."""
        return next((kw.value for kw in self.call.keywords if kw.arg == name), None)

    @property
    def has_unpacked_keywords(self) -> bool:
        """`**options`: any keyword may be in there."""
        return any(kw.arg is None for kw in self.call.keywords)


def is_router_instance(qualified: str, ctx: FileModel) -> bool:
    """True when `qualified` names a module-level `x = APIRouter(...)` / `FastAPI(...)`
    (or a project subclass of them) of a project module."""
    callee = ctx.index.instance_of(qualified)
    return callee is not None and ctx.index.inherits(callee, ROUTER_CLASSES)


def builds_router(value: ast.expr | None, ctx: FileModel) -> bool:
    """True for a call of `APIRouter`/`FastAPI` or a project subclass of them."""
    if not isinstance(value, ast.Call):
        return False
    callee = ctx.qualified(value.func)
    return callee is not None and ctx.index.inherits(callee, ROUTER_CLASSES)


class RouteHandlers:
    """Which functions of a module are route handlers: decorated with a path operation of
    an `APIRouter`/`FastAPI` instance (module-level, imported, or local to a factory
    function), or registered with `add_api_route` / `add_api_websocket_route`.

    The walk updates it before any rule sees a node. Decorated handlers are known as
    soon as their def is visited (`is_handler`, `operations`); functions registered with
    `add_api_route` only once the module has been seen (`handlers()`, `innermost()`)."""

    def __init__(self) -> None:
        self._handlers: set[int] = set()
        self._operations: dict[int, list[PathOperation]] = {}
        self._local_routers: dict[int, set[str]] = {}
        self._defined: list[tuple[ast.AST | None, str, Function]] = []
        self._registered: list[tuple[ast.AST | None, str, PathOperation]] = []
        self._functions: dict[int, Function] = {}

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

    def visit_Call(self, node: ast.Call, ctx: FileModel) -> None:
        self._call(node, ctx)

    def _function(self, node: Function, ctx: FileModel) -> None:
        """At a def: decorators run in the enclosing scope, which is still current."""
        self._defined.append((ctx.names.scopes[-1].node, node.name, node))
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call):
                method = self.operation_method(decorator, ctx)
                if method is not None and method in ROUTE_METHODS:
                    self._add(node, PathOperation(decorator, method))

    def _assigned(self, target: ast.expr, value: ast.expr | None, ctx: FileModel) -> None:
        """`app = FastAPI()` inside a function (an app factory)."""
        functions = ctx.functions()
        if isinstance(target, ast.Name) and functions and builds_router(value, ctx):
            self._local_routers.setdefault(id(functions[0]), set()).add(target.id)

    def _call(self, node: ast.Call, ctx: FileModel) -> None:
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
            scope = ctx.names.binding_scope(endpoint.id)
            if scope is not None:
                self._registered.append((scope.node, endpoint.id, PathOperation(node, func.attr)))

    # -- questions --------------------------------------------------------------------------
    def operation_method(self, node: ast.Call, ctx: FileModel) -> str | None:
        """`get`/`post`/.../`websocket` for a path-operation decorator call, or
        `add_api_route`/`add_api_websocket_route` for a registration, on an `APIRouter` /
        `FastAPI` instance; None for any other call (`requests.get(...)`, `client.get`)."""
        func = node.func
        if not isinstance(func, ast.Attribute):
            return None
        if func.attr not in ROUTE_METHODS and func.attr not in ROUTE_REGISTRARS:
            return None
        return func.attr if self._is_router(func.value, ctx) else None

    def is_handler(self, node: Function) -> bool:
        """Decorated with a path operation (registrations count once resolved)."""
        return id(node) in self._handlers

    def current(self, ctx: FileModel) -> Function | None:
        """The innermost function holding the current node, when it is a handler known
        so far (decorated handlers; `add_api_route` ones only after `handlers()`)."""
        functions = ctx.functions()
        return functions[0] if functions and self.is_handler(functions[0]) else None

    def operations(self, node: Function) -> tuple[PathOperation, ...]:
        """How `node` is registered as a path operation; () when it is not a handler."""
        return tuple(self._operations.get(id(node), ()))

    def handlers(self) -> list[tuple[Function, tuple[PathOperation, ...]]]:
        """Every handler of the module with its operations, in source order; call once
        the module has been seen (e.g. in leave_Module)."""
        self._resolve()
        found = [
            (function, tuple(self._operations[key]))
            for key, function in self._functions.items()
            if key in self._handlers
        ]
        return sorted(found, key=lambda item: (item[0].lineno, item[0].col_offset))

    def _add(self, node: Function, operation: PathOperation) -> None:
        self._handlers.add(id(node))
        self._functions.setdefault(id(node), node)
        self._operations.setdefault(id(node), []).append(operation)

    def _resolve(self) -> None:
        for scope, name, operation in self._registered:
            for where, defined, function in self._defined:
                if where is scope and defined == name:
                    self._add(function, operation)
        self._registered.clear()

    def _is_router(self, receiver: ast.expr, ctx: FileModel) -> bool:
        if isinstance(receiver, ast.Name):
            scope = ctx.names.binding_scope(receiver.id)
            if scope is not None and scope.node is not None:
                return receiver.id in self._local_routers.get(id(scope.node), ())
        qualified = ctx.qualified(receiver)
        return qualified is not None and is_router_instance(qualified, ctx)

    def innermost(self, functions: Iterable[Function]) -> Function | None:
        """The innermost handler among `functions`; call once the module has been seen."""
        self._resolve()
        return next((f for f in functions if id(f) in self._handlers), None)
