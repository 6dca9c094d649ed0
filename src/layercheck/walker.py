"""The one walk over a file's tree: each node goes to the rules that asked for its type."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Final

from layercheck.rules._base import Rule, RuleContext

_Handler = Callable[[ast.AST, RuleContext], None]
_SCOPE_NODES: Final = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)
_NAMED_SCOPES: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Children of a scope node evaluated in the enclosing scope; the rest run inside it.
_OUTER_FIELDS: Final = frozenset(
    {"decorator_list", "args", "returns", "bases", "keywords", "type_params"}
)
_handler_names: dict[type[Rule], tuple[tuple[str, str, bool], ...]] = {}


def _declared_handlers(rule_type: type[Rule]) -> tuple[tuple[str, str, bool], ...]:
    """(node type name, method name, is_leave) for every visit_/leave_ method."""
    cached = _handler_names.get(rule_type)
    if cached is None:
        found: list[tuple[str, str, bool]] = []
        for attr in dir(rule_type):
            for prefix, is_leave in (("visit_", False), ("leave_", True)):
                if attr.startswith(prefix) and hasattr(ast, attr[len(prefix) :]):
                    found.append((attr[len(prefix) :], attr, is_leave))
        cached = _handler_names[rule_type] = tuple(found)
    return cached


class Walker:
    def __init__(self, rules: Iterable[Rule]) -> None:
        self.enter: dict[type[ast.AST], list[_Handler]] = defaultdict(list)
        self.leave: dict[type[ast.AST], list[_Handler]] = defaultdict(list)
        for rule in rules:
            for type_name, method, is_leave in _declared_handlers(type(rule)):
                node_type = getattr(ast, type_name)
                (self.leave if is_leave else self.enter)[node_type].append(getattr(rule, method))

    def walk(self, tree: ast.Module, ctx: RuleContext) -> None:
        # Iterative, so that deeply nested code cannot exhaust the C stack.
        enter, leave = self.enter, self.leave
        names = ctx.names
        ancestors = ctx.ancestors
        # Stack items: (node, 0) enter, (node, 1) leave, (node, 2) push scope, (None, 3) pop.
        stack: list[tuple[ast.AST | None, int]] = [(tree, 0)]
        while stack:
            node, action = stack.pop()
            if action == 0:
                assert node is not None
                ancestors.append(node)
                node_type = type(node)
                for handler in enter.get(node_type, ()):
                    handler(node, ctx)
                stack.append((node, 1))
                if isinstance(node, _SCOPE_NODES):
                    if isinstance(node, _NAMED_SCOPES):
                        # The def binds its own name in the enclosing scope.
                        names.bind_local(node.name)
                    self._schedule_scope(node, stack)
                    continue
                if isinstance(node, ast.Name):
                    if isinstance(node.ctx, ast.Store):
                        names.bind_local(node.id)
                elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
                    if node.name:
                        names.bind_local(node.name)
                elif isinstance(node, ast.MatchMapping) and node.rest:
                    names.bind_local(node.rest)
                elif isinstance(node, ast.Import | ast.ImportFrom) and len(names.scopes) > 1:
                    for local, qualified in names.import_bindings(node):
                        names.bind(local, qualified)
                children = list(ast.iter_child_nodes(node))
                stack.extend((child, 0) for child in reversed(children))
            elif action == 1:
                assert node is not None
                for handler in leave.get(type(node), ()):
                    handler(node, ctx)
                ancestors.pop()
            elif action == 2:
                assert node is not None
                names.push(node, is_class=isinstance(node, ast.ClassDef))
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                    arguments = node.args
                    for arg in (
                        *arguments.posonlyargs,
                        *arguments.args,
                        *arguments.kwonlyargs,
                        arguments.vararg,
                        arguments.kwarg,
                    ):
                        if arg is not None:
                            names.bind_local(arg.arg)
            else:
                names.pop()

    @staticmethod
    def _schedule_scope(node: ast.AST, stack: list[tuple[ast.AST | None, int]]) -> None:
        outer: list[ast.AST] = []
        inner: list[ast.AST] = []
        for field_name, value in ast.iter_fields(node):
            target = outer if field_name in _OUTER_FIELDS else inner
            if isinstance(value, ast.AST):
                target.append(value)
            elif isinstance(value, list):
                target.extend(item for item in value if isinstance(item, ast.AST))
        stack.append((None, 3))
        stack.extend((child, 0) for child in reversed(inner))
        stack.append((node, 2))
        stack.extend((child, 0) for child in reversed(outer))
