"""The one walk over a file's tree. At each node the semantic model is updated first (its
parts' `visit_*` / `leave_*`, then the scopes and names), and only then does the node go
to the rules that asked for its type: a rule reads the model, it never feeds it."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Final

from layercheck.context import RuleContext
from layercheck.rules._base import Rule

_Handler = Callable[[ast.AST, RuleContext], None]

# What the walk must do besides dispatching, by node type; the scopes first (`<=`).
_PLAIN, _SCOPE, _NAMED_SCOPE, _NAME, _IMPORT, _BINDS_NAME, _MATCH_MAPPING, _DECLARES = range(8)
_KINDS: Final[dict[type[ast.AST], int]] = {
    ast.FunctionDef: _NAMED_SCOPE,
    ast.AsyncFunctionDef: _NAMED_SCOPE,
    ast.ClassDef: _NAMED_SCOPE,
    ast.Lambda: _SCOPE,
    ast.ListComp: _SCOPE,
    ast.SetComp: _SCOPE,
    ast.DictComp: _SCOPE,
    ast.GeneratorExp: _SCOPE,
    ast.Name: _NAME,
    ast.Import: _IMPORT,
    ast.ImportFrom: _IMPORT,
    ast.ExceptHandler: _BINDS_NAME,
    ast.MatchAs: _BINDS_NAME,
    ast.MatchStar: _BINDS_NAME,
    ast.MatchMapping: _MATCH_MAPPING,
    ast.Global: _DECLARES,
    ast.Nonlocal: _DECLARES,
}
# Children of a scope node evaluated in the enclosing scope; the rest run inside it.
_OUTER_FIELDS: Final = frozenset(
    {"decorator_list", "args", "returns", "bases", "keywords", "type_params"}
)
# Load/Store contexts and operator singletons are read from their parent (`node.ctx`,
# `node.op`), never dispatched: skipping them saves about a third of all visits.
_SKIPPED_FIELDS: Final = frozenset({"ctx", "op", "ops", "type_ignores"})
# Fields that never hold a node (names, flags, numbers), in any node type; and those that
# hold none in some types only (a `TypeAlias`'s name is a node). Not looking at them
# spares a getattr per field, and makes `Name` and `Constant` leaves.
_SCALAR_FIELDS: Final = frozenset(
    {
        "arg",
        "asname",
        "attr",
        "conversion",
        "id",
        "is_async",
        "kind",
        "kwd_attrs",
        "level",
        "module",
        "rest",
        "simple",
        "tag",
        "type_comment",
    }
)
_SCALAR_IN: Final[dict[str, frozenset[str]]] = {
    "value": frozenset({"Constant", "MatchSingleton"}),
    "names": frozenset({"Global", "Nonlocal"}),
}
_fields: dict[type[ast.AST], tuple[str, ...]] = {}
# A scope node's child fields (last first) evaluated inside it, and those outside it.
_scope_fields: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}

# Stack items other than nodes, each of its own type so that the plan table sorts them
# out with the nodes: a node's leave handlers (a tuple of them) or `_LEAVE` when it has
# none; the markers around a scope's body.
_LEAVE: Final = object()


class _PushScope:
    __slots__ = ()


class _PopScope:
    __slots__ = ()


_PUSH_SCOPE: Final = _PushScope()
_POP_SCOPE: Final = _PopScope()
# Kinds of the items that are no node to enter (below zero).
_NOT_A_NODE, _RUN_LEAVE, _ENTER_SCOPE, _LEAVE_SCOPE = -1, -2, -3, -4

# Per item type: the enter handlers, the kind, the child fields (last first, as they go on
# the stack), the leave handlers (`_LEAVE` when none) and whether it is a leaf (no
# children): a leaf's leave handlers run at once rather than from the stack.
_Plan = tuple[tuple[_Handler, ...], int, tuple[str, ...], object, bool]
_OTHER_ITEMS: Final[dict[type, _Plan]] = {
    tuple: ((), _RUN_LEAVE, (), _LEAVE, False),
    _PushScope: ((), _ENTER_SCOPE, (), _LEAVE, False),
    _PopScope: ((), _LEAVE_SCOPE, (), _LEAVE, False),
}
_bare_plans: dict[type, _Plan] = dict(_OTHER_ITEMS)
"""The plans of item types no handler asked for: the same for every walker."""


def _bare_plan(item_type: type) -> _Plan:
    plan = _bare_plans.get(item_type)
    if plan is None:
        if not issubclass(item_type, ast.AST):
            # A `None` or a name among a list field's items (`kw_defaults`, `Dict.keys`,
            # `Global.names`): nothing to visit.
            plan = ((), _NOT_A_NODE, (), _LEAVE, False)
        else:
            kind = _KINDS.get(item_type, _PLAIN)
            fields = _child_fields(item_type)
            leaf = not fields and kind not in (_SCOPE, _NAMED_SCOPE)
            plan = ((), kind, tuple(reversed(fields)), _LEAVE, leaf)
        _bare_plans[item_type] = plan
    return plan


_handler_names: dict[type, tuple[tuple[str, str, bool], ...]] = {}


def _declared_handlers(rule_type: type) -> tuple[tuple[str, str, bool], ...]:
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


def _child_fields(node_type: type[ast.AST]) -> tuple[str, ...]:
    found = _fields.get(node_type)
    if found is None:
        found = _fields[node_type] = tuple(
            name for name in node_type._fields if _may_hold_nodes(node_type.__name__, name)
        )
    return found


def _may_hold_nodes(type_name: str, field_name: str) -> bool:
    if field_name in _SKIPPED_FIELDS or field_name in _SCALAR_FIELDS:
        return False
    if field_name == "name":
        return type_name == "TypeAlias"
    return type_name not in _SCALAR_IN.get(field_name, ())


def culprit(exc: BaseException) -> str | None:
    """The rule (or model part) whose handler raised `exc` during a walk, None when it
    did not come from a walk: the object of the first frame below the walk loop. Found
    after the fact from the traceback, so the loop itself pays nothing."""
    trace = exc.__traceback__
    loop = Walker.walk.__code__
    while trace is not None and trace.tb_frame.f_code is not loop:
        trace = trace.tb_next
    if trace is None:
        return None
    below = trace.tb_next
    owner = below.tb_frame.f_locals.get("self") if below is not None else None
    if isinstance(owner, _CallDispatch) and below is not None:
        below = below.tb_next  # a call handed on by the dispatch
        owner = below.tb_frame.f_locals.get("self") if below is not None else None
    meta = getattr(type(owner), "meta", None)
    code, name = getattr(meta, "code", None), getattr(meta, "name", None)
    if isinstance(code, str):
        return f"rule {code} {name}" if isinstance(name, str) else f"rule {code}"
    if owner is not None:
        return f"the semantic model ({type(owner).__name__})"
    return "the tree walk"


class _CallDispatch:
    """Hands a call to the `visit_Call`s whose rule named its callee (`Rule.calls`), and to
    those that want every call, in their order. Kept apart from the Walker: a bound
    method of the walker in its own handler table would be a reference cycle, and with
    the collector off during a run every walker, its rules and its tree would live on."""

    def __init__(self, calls: list[tuple[_Handler, frozenset[str] | None]]) -> None:
        self._calls = calls
        self._by_callee: dict[tuple[str | None, str | None], tuple[_Handler, ...]] = {}
        self._named = frozenset(name for _, names in calls if names is not None for name in names)
        self._unnamed = tuple(handler for handler, names in calls if names is None)

    def dispatch(self, node: ast.AST, ctx: RuleContext) -> None:
        func = node.func  # type: ignore[attr-defined]
        func_type = type(func)
        written = func.attr if func_type is ast.Attribute else None
        if func_type is ast.Name:
            written = func.id
        resolved = None
        if written is not None:
            qualified = ctx.qualified(func)
            if qualified is not None:
                resolved = qualified.rpartition(".")[2]
        named = self._named
        if written not in named and resolved not in named:
            handlers = self._unnamed  # most calls: no rule named their callee
        else:
            handlers = self._selected(written, resolved)
        for handler in handlers:
            handler(node, ctx)

    def _selected(self, written: str | None, resolved: str | None) -> tuple[_Handler, ...]:
        key = (written, resolved)
        handlers = self._by_callee.get(key)
        if handlers is None:
            handlers = self._by_callee[key] = tuple(
                handler
                for handler, names in self._calls
                if names is None or written in names or resolved in names
            )
        return handlers


class _Template:
    """The handlers of one choice of model parts and rules (their classes, and the callees
    each rule named), as (position of the owner, method name): worked out once per choice
    and bound to each file's own objects as the walk meets their node types. Most files
    of a project share a choice."""

    __slots__ = ("bare", "calls", "enter", "leave")

    def __init__(self, owners: tuple[object, ...]) -> None:
        enter: dict[type, list[tuple[int, str]]] = defaultdict(list)
        leave: dict[type, list[tuple[int, str]]] = defaultdict(list)
        # Every `visit_Call`, in order, with the callee names it is limited to.
        calls: list[tuple[int, str, frozenset[str] | None]] = []
        for slot, owner in enumerate(owners):
            # The model's parts see every call.
            names = owner.calls if isinstance(owner, Rule) else None
            for type_name, method, is_leave in _declared_handlers(type(owner)):
                node_type = getattr(ast, type_name)
                if node_type is ast.Call and not is_leave:
                    calls.append((slot, method, names))
                (leave if is_leave else enter)[node_type].append((slot, method))
        if not any(names is not None for *_, names in calls):
            calls.clear()  # every call goes to every `visit_Call`: no dispatch
        # Each type's handlers as (owner positions, method names): bound per file by
        # `map`, without a Python frame per handler.
        self.enter = {node_type: _columns(entries) for node_type, entries in enter.items()}
        self.leave = {node_type: _columns(entries) for node_type, entries in leave.items()}
        self.calls = tuple(calls)
        self.bare: dict[type, _Plan] = {
            item_type: plan
            for item_type, plan in _bare_plans.items()
            if item_type not in enter and item_type not in leave
        }
        """The plans of the item types none of these handlers asked for."""


def _columns(entries: list[tuple[int, str]]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    return tuple(slot for slot, _ in entries), tuple(method for _, method in entries)


def _bound(
    owners: tuple[object, ...], columns: tuple[tuple[int, ...], tuple[str, ...]]
) -> tuple[_Handler, ...]:
    """The handlers of `columns` (`_Template.enter`, `.leave`) bound to this file's owners."""
    slots, methods = columns
    return tuple(map(getattr, map(owners.__getitem__, slots), methods))


_templates: dict[tuple[object, ...], _Template] = {}
_TEMPLATES_KEPT = 256


def _template(owners: tuple[object, ...]) -> _Template:
    key = tuple((type(owner), owner.calls if isinstance(owner, Rule) else None) for owner in owners)
    found = _templates.get(key)
    if found is None:
        if len(_templates) >= _TEMPLATES_KEPT:
            _templates.clear()
        found = _templates[key] = _Template(owners)
    return found


class Walker:
    def __init__(self, rules: Iterable[Rule], model: Iterable[object] = ()) -> None:
        """`model`: the parts of the semantic model to update (`SemanticModel.binders`);
        their handlers run before any rule's, at every node."""
        self._owners = (*model, *rules)
        self._template = _template(self._owners)
        # What the walk does with an item of each type: a dict lookup per node instead of
        # several. Types no handler asked for share their plans with every walker.
        self._plans = self._template.bare.copy()

    def _plan(self, item_type: type) -> _Plan:
        """The plan of a type met for the first time in this walk, its handlers bound."""
        template = self._template
        bare = _bare_plan(item_type)
        if item_type not in template.enter and item_type not in template.leave:
            template.bare[item_type] = bare  # the next walkers of this choice find it
            return bare
        owners = self._owners
        entries = template.enter.get(item_type)
        enter = _bound(owners, entries) if entries is not None else ()
        if item_type is ast.Call and template.calls:
            # Most rules look at a few callees only; a call goes to those that named its.
            dispatch = _CallDispatch(
                [(getattr(owners[slot], method), names) for slot, method, names in template.calls]
            )
            enter = (dispatch.dispatch,)
        leave_entries = template.leave.get(item_type)
        leave: object = _LEAVE
        if leave_entries is not None:
            leave = _bound(owners, leave_entries)
        _, kind, fields, _, leaf = bare
        return (enter, kind, fields, leave, leaf)

    def walk(self, tree: ast.Module, ctx: RuleContext) -> None:
        # Iterative, so that deeply nested code cannot exhaust the C stack.
        plans = self._plans
        names = ctx.names
        ancestors = ctx.ancestors
        enter_node = ancestors.append
        leave_node = ancestors.pop
        stack: list[object] = [tree]
        pop = stack.pop
        push = stack.append
        extend = stack.extend
        store = ast.Store
        while stack:
            item = pop()
            if item is _LEAVE:
                leave_node()
                continue
            item_type = type(item)
            plan = plans.get(item_type)
            if plan is None:
                plan = plans[item_type] = self._plan(item_type)
            enter, kind, fields, leave, leaf = plan
            if kind < _PLAIN:
                if kind == _RUN_LEAVE:
                    node = ancestors[-1]
                    for handler in item:  # type: ignore[attr-defined]
                        handler(node, ctx)
                    leave_node()
                elif kind == _LEAVE_SCOPE:
                    names.pop()
                elif kind == _ENTER_SCOPE:
                    self._push_scope(pop(), ctx)  # type: ignore[arg-type]
                continue
            node = item  # type: ignore[assignment]
            enter_node(node)
            for handler in enter:
                handler(node, ctx)
            if leaf:
                # What the stack would do next: bind, then leave.
                if kind == _NAME:
                    if type(node.ctx) is store:  # type: ignore[attr-defined]
                        names.bind_local(node.id)  # type: ignore[attr-defined]
                elif kind != _PLAIN:
                    self._bind(node, kind, ctx)
                if leave is not _LEAVE:
                    for handler in leave:  # type: ignore[attr-defined]
                        handler(node, ctx)
                leave_node()
                continue
            push(leave)
            if kind != _PLAIN:
                if kind <= _NAMED_SCOPE:
                    if kind == _NAMED_SCOPE:
                        # The def binds its own name in the enclosing scope.
                        names.bind_local(node.name)  # type: ignore[attr-defined]
                    self._schedule_scope(node, stack)
                    continue
                self._bind(node, kind, ctx)
            # Children go on the stack last first, so that they are entered in order.
            for field_name in fields:
                value = getattr(node, field_name, None)
                if value is None:
                    continue
                if type(value) is list:
                    extend(reversed(value))
                else:
                    push(value)  # not a node: skipped when popped (`_NOT_A_NODE`)

    @staticmethod
    def _bind(node: ast.AST, kind: int, ctx: RuleContext) -> None:
        names = ctx.names
        if kind == _NAME:
            assert isinstance(node, ast.Name)
            if isinstance(node.ctx, ast.Store):
                names.bind_local(node.id)
        elif kind == _IMPORT:
            assert isinstance(node, ast.Import | ast.ImportFrom)
            if len(names.scopes) > 1:
                for local, qualified in names.import_bindings(node):
                    names.bind(local, qualified)
        elif kind == _BINDS_NAME:
            assert isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar)
            if node.name:
                names.bind_local(node.name)
        elif kind == _MATCH_MAPPING:
            assert isinstance(node, ast.MatchMapping)
            if node.rest:
                names.bind_local(node.rest)
        elif kind == _DECLARES:
            assert isinstance(node, ast.Global | ast.Nonlocal)
            names.declare(node)

    @staticmethod
    def _push_scope(node: ast.AST, ctx: RuleContext) -> None:
        names = ctx.names
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            arguments = node.args
            parameters = [
                *arguments.posonlyargs,
                *arguments.args,
                *arguments.kwonlyargs,
                arguments.vararg,
                arguments.kwarg,
            ]
            names.push_locals(node, [arg.arg for arg in parameters if arg is not None])
        else:
            names.push(node, is_class=isinstance(node, ast.ClassDef))

    @staticmethod
    def _schedule_scope(node: ast.AST, stack: list[object]) -> None:
        node_type = type(node)
        split = _scope_fields.get(node_type)
        if split is None:
            fields = _child_fields(node_type)
            split = _scope_fields[node_type] = (
                tuple(name for name in reversed(fields) if name not in _OUTER_FIELDS),
                tuple(name for name in reversed(fields) if name in _OUTER_FIELDS),
            )
        inner, outer = split
        push = stack.append
        extend = stack.extend
        push(_POP_SCOPE)
        for field_name in inner:
            value = getattr(node, field_name, None)
            if type(value) is list:
                extend(reversed(value))
            elif value is not None:
                push(value)  # not a node: skipped when popped (`_NOT_A_NODE`)
        push(node)
        push(_PUSH_SCOPE)
        for field_name in outer:
            value = getattr(node, field_name, None)
            if type(value) is list:
                extend(reversed(value))
            elif value is not None:
                push(value)
