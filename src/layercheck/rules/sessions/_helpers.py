"""What the session rules share: the session a method is called on, test files, the order
of statements in a function body, and the session expressions inside a
call's arguments."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Final

from layercheck.layers import is_test_path
from layercheck.rules._base import RuleContext
from layercheck.semantic.sessions import Origin

Function = ast.FunctionDef | ast.AsyncFunctionDef
LOOPS: Final = (ast.For, ast.AsyncFor, ast.While)
COMPREHENSIONS: Final = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def session_method(node: ast.Call, ctx: RuleContext) -> tuple[str, Origin] | None:
    """(method name, origin) for `<session>.<method>(...)`."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return None
    origin = ctx.sessions.origin(func.value, ctx)
    return (func.attr, origin) if origin is not None else None


def is_test_file(ctx: RuleContext) -> bool:
    """Tests have no layer; rules that run in every module still stay quiet there."""
    facts = ctx.index.by_path.get(str(ctx.path))
    if facts is not None:
        return facts.is_test
    relative = ctx.settings.relative(ctx.path)
    return is_test_path(relative if relative is not None else PurePosixPath(ctx.path.name))


def label(node: ast.AST) -> str:
    """Source text of a small expression, for messages (`self._session.add`)."""
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def in_loop(ctx: RuleContext) -> ast.AST | None:
    """The innermost `for`/`while` body or comprehension, inside the innermost function,
    that holds the current node (a loop's `else:` and its iterable run once)."""
    chain = ctx.ancestors
    for depth in range(len(chain) - 2, -1, -1):
        node, child = chain[depth], chain[depth + 1]
        if isinstance(node, Function | ast.Lambda | ast.ClassDef):
            return None
        if isinstance(node, LOOPS) and any(stmt is child for stmt in node.body):
            return node
        if isinstance(node, COMPREHENSIONS):
            first = node.generators[0]
            if child is first and depth + 2 < len(chain) and chain[depth + 2] is first.iter:
                continue  # the outermost iterable is evaluated once, outside the loop
            return node
    return None


# -- the order of statements ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Step:
    """One level of a statement's position: statement `index` of `owner.<field>`."""

    owner: int
    """id() of the node (function, `if`, `with`, `try`, handler...) holding the list."""
    kind: type[ast.AST]
    field: str
    index: int


_TRIES: Final = tuple(
    kind for kind in (ast.Try, getattr(ast, "TryStar", None)) if isinstance(kind, type)
)
_UNCONDITIONAL: Final = frozenset(
    {(ast.With, "body"), (ast.AsyncWith, "body"), *((kind, "body") for kind in _TRIES)}
)
_SEQUENCE: Final = {"body": 0, "handlers": 1, "orelse": 1, "finalbody": 2}
"""The order in which a `try` (or a loop: `body`, then `orelse`) runs its parts;
`handlers` and `orelse` of a `try` exclude each other."""
_SEQUENCED: Final = (*_TRIES, ast.For, ast.AsyncFor, ast.While)


def position(ctx: RuleContext, function: Function) -> tuple[Step, ...]:
    """Where the current node's statement sits in `function`, one step per nested
    statement list (an `except` handler or a `case` is a step of its own), outermost
    first."""
    steps: list[Step] = []
    chain = ctx.ancestors
    start = next((i for i, node in enumerate(chain) if node is function), None)
    if start is None:
        return ()
    for depth in range(start, len(chain) - 1):
        owner, child = chain[depth], chain[depth + 1]
        if not isinstance(child, ast.stmt | ast.excepthandler | ast.match_case):
            continue
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            items = getattr(owner, name, None)
            if not isinstance(items, list):
                continue
            index = next((i for i, item in enumerate(items) if item is child), None)
            if index is not None:
                steps.append(Step(id(owner), type(owner), name, index))
                break
    return tuple(steps)


def always_after(first: tuple[Step, ...], then: tuple[Step, ...]) -> bool:
    """True when the statement at `then` runs, unconditionally, whenever the one at
    `first` has run: it comes later in a statement list that holds `first`, and is not
    inside an `if`, a loop or a handler of its own (a `with` block or a `try:` body
    run through)."""
    for level, (step, other) in enumerate(zip(first, then, strict=False)):
        unconditional = all(
            (deeper.kind, deeper.field) in _UNCONDITIONAL for deeper in then[level + 1 :]
        )
        if step.owner != other.owner:
            return False
        if step.field != other.field:
            # a `finally:` runs after everything else of its `try`
            return other.field == "finalbody" and unconditional
        if step.index == other.index:
            continue
        return step.index < other.index and step.field != "cases" and unconditional
    return False


def may_run_before(first: tuple[Step, ...], then: tuple[Step, ...]) -> bool:
    """True when the statement at `first` can run before the one at `then` on some
    path: it comes earlier in source order, and not in a branch that excludes it
    (`if`/`else`, two `case`s, two handlers, a handler and the `else:` of a `try`)."""
    for step, other in zip(first, then, strict=False):
        if step.owner != other.owner:
            return False
        if step.field != other.field:
            if not issubclass(step.kind, _SEQUENCED):
                return False
            return _SEQUENCE.get(step.field, 0) < _SEQUENCE.get(other.field, 0)
        if step.index != other.index:
            return step.index < other.index and step.field not in {"cases", "handlers"}
    return False


# -- sessions inside arguments ---------------------------------------------------------------
def parts(node: ast.expr) -> Iterator[ast.expr]:
    """The expressions a call hands over: the node itself, a call's receiver chain,
    arguments and keywords, items of tuples, lists, sets and dicts, starred values,
    `await`ed values and lambda bodies, recursively. Other expressions are not entered."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        if isinstance(current, ast.Call):
            pending.append(current.func)
            pending.extend(current.args)
            pending.extend(keyword.value for keyword in current.keywords)
        elif isinstance(current, ast.Attribute):
            pending.append(current.value)
        elif isinstance(current, ast.Tuple | ast.List | ast.Set):
            pending.extend(current.elts)
        elif isinstance(current, ast.Dict):
            pending.extend(current.values)
        elif isinstance(current, ast.Starred | ast.Await):
            pending.append(current.value)
        elif isinstance(current, ast.Lambda):
            pending.append(current.body)
