"""Domain exceptions across the project, for the error-translation rules (LC304, LC305):
which classes are domain exceptions, which registered handlers and which `except`
clauses of routes and dependencies cover one."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Final
from weakref import WeakKeyDictionary

from layercheck.facts import UNKNOWN
from layercheck.index import ProjectIndex
from layercheck.layers import Layer
from layercheck.rules._base import RuleContext
from layercheck.rules.http._helpers import (
    BUILTINS,
    builtin_exception,
    exception_ancestors,
    short_name,
)

CATCHING_LAYERS: Final = frozenset({Layer.ROUTES, Layer.DEPENDENCIES})
SUPPRESS: Final = frozenset({"contextlib.suppress"})


@dataclass(frozen=True, slots=True)
class ProjectExceptions:
    """What the whole project says about exception handling, computed once per index."""

    handled: frozenset[str]
    """Resolved classes with a registered exception handler."""
    unknown_handler: bool
    """Some registration names a class the facts cannot see (a loop variable, a dict
    built elsewhere): any exception may be handled."""
    caught: frozenset[str]
    """Resolved classes named by `except` clauses of route and dependency modules."""
    unknown_catch: bool
    """Some route or dependency `except` names something that is not a class (a tuple
    constant): any exception may be caught."""
    caught_anywhere: frozenset[str]
    """Resolved classes named by `except` clauses of any module but tests (services
    catching what a helper raises, middleware catching what routes let through)."""


_PROJECTS: WeakKeyDictionary[ProjectIndex, ProjectExceptions] = WeakKeyDictionary()


def project_exceptions(index: ProjectIndex) -> ProjectExceptions:
    found = _PROJECTS.get(index)
    if found is None:
        handled = index.handled_exceptions()
        caught = index.caught_in(CATCHING_LAYERS, unlayered=True)
        found = _PROJECTS[index] = ProjectExceptions(
            handled=frozenset(name for name in handled if name != UNKNOWN),
            unknown_handler=UNKNOWN in handled
            or not all(_nameable(name, index) for name in handled if name != UNKNOWN),
            caught=caught,
            unknown_catch=UNKNOWN in caught
            or not all(_nameable(name, index) for name in caught if name != UNKNOWN),
            caught_anywhere=index.caught_outside_tests(),
        )
    return found


def _nameable(name: str, index: ProjectIndex) -> bool:
    """A class the facts can reason about: a builtin exception, a project class, or a
    third-party name. A project name that is no class (the facts record a module-level
    loop variable or a tuple constant under its own name) is not."""
    if builtin_exception(name) is not None:
        return True
    module = index.module_of(name)
    return module is None or (module != name and index.class_fact(name) is not None)


def covering_handler(name: str, index: ProjectIndex, *, builtin: bool = True) -> str | None:
    """The nearest class among `name` and its bases with a registered handler; with
    `builtin=False`, a handler for a builtin class (`Exception`) does not count."""
    handled = project_exceptions(index).handled
    for ancestor in exception_ancestors(name, index):
        if ancestor in handled and (builtin or builtin_exception(ancestor) is None):
            return ancestor
    return None


def caught_somewhere(name: str, index: ProjectIndex) -> bool:
    """Some route or dependency module catches `name` or one of its bases, or some other
    module (tests aside) names `name` or a non-builtin base of it in an `except`: a
    catch-all `except Exception` counts in routes and dependencies only."""
    facts = project_exceptions(index)
    if facts.unknown_catch:
        return True
    for ancestor in exception_ancestors(name, index):
        if ancestor in facts.caught:
            return True
        if ancestor in facts.caught_anywhere and builtin_exception(ancestor) is None:
            return True
    return False


def exception_name(node: ast.expr, ctx: RuleContext) -> str | None:
    """The resolved class an `except` clause or `raise` names: builtins get `builtins.`;
    None for anything unresolved (a local variable, a call)."""
    found = ctx.qualified(node)
    if found is not None:
        return found
    if (
        isinstance(node, ast.Name)
        and ctx.names.binding_scope(node.id) is None
        and builtin_exception(f"{BUILTINS}{node.id}") is not None
    ):
        return f"{BUILTINS}{node.id}"
    return None


def names(classes: list[str]) -> str:
    """`A`, `B` (short names) for messages; the template adds no backticks."""
    return ", ".join(f"`{short_name(name)}`" for name in dict.fromkeys(classes))
