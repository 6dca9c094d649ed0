"""Which objects are FastAPI routers and which functions are route handlers."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from layercheck.facts import ROUTE_METHODS, ROUTE_REGISTRARS
from layercheck.index import ROUTER_CLASSES
from layercheck.rules._base import RuleContext

Function = ast.FunctionDef | ast.AsyncFunctionDef


def is_router_instance(qualified: str, ctx: RuleContext) -> bool:
    """True when `qualified` names a module-level `x = APIRouter(...)` / `FastAPI(...)`
    (or a project subclass of them) of a project module."""
    callee = ctx.index.instance_of(qualified)
    return callee is not None and ctx.index.inherits(callee, ROUTER_CLASSES)


def builds_router(value: ast.expr | None, ctx: RuleContext) -> bool:
    """True for a call of `APIRouter`/`FastAPI` or a project subclass of them."""
    if not isinstance(value, ast.Call):
        return False
    callee = ctx.qualified(value.func)
    return callee is not None and ctx.index.inherits(callee, ROUTER_CLASSES)


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
        functions = ctx.functions()
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
            scope = ctx.names.binding_scope(endpoint.id)
            if scope is not None:
                self._registered.append((scope.node, endpoint.id))

    def _is_router(self, receiver: ast.expr, ctx: RuleContext) -> bool:
        if isinstance(receiver, ast.Name):
            scope = ctx.names.binding_scope(receiver.id)
            if scope is not None and scope.node is not None:
                return receiver.id in self._local_routers.get(id(scope.node), ())
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
