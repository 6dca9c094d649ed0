"""What an annotation says about a value's type, with names resolved by the caller."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable
from typing import Final

Qualify = Callable[[ast.expr], "str | None"]
"""Resolves a Name/Attribute to its qualified name in some scope."""

ANNOTATED: Final = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
OPTIONAL: Final = frozenset({"typing.Optional", "typing_extensions.Optional"})
UNION: Final = frozenset({"typing.Union", "typing_extensions.Union"})
DEPENDS: Final = frozenset(
    {"fastapi.Depends", "fastapi.params.Depends", "fastapi.Security", "fastapi.params.Security"}
)
_ITERATORS: Final = frozenset(
    f"{module}.{name}"
    for module in ("typing", "typing_extensions", "collections.abc")
    for name in (
        "AsyncGenerator",
        "AsyncIterator",
        "AsyncIterable",
        "Generator",
        "Iterator",
        "Iterable",
        "Awaitable",
        "Coroutine",
    )
)
_CONTEXT_MANAGERS: Final = frozenset(
    {
        "contextlib.AbstractAsyncContextManager",
        "contextlib.AbstractContextManager",
        "typing.AsyncContextManager",
        "typing.ContextManager",
    }
)


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def parse_string(node: ast.expr) -> ast.expr | None:
    """The expression inside a string annotation (`"User"`, `"Session | None"`)."""
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
        return None
    try:
        with warnings.catch_warnings():
            # A docstring is no annotation: what the parse thinks of it is not the user's.
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.parse(node.value.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _items(node: ast.Subscript) -> list[ast.expr]:
    return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]


def union_types(node: ast.expr | None, qualify: Qualify, *, strings: bool = True) -> list[str]:
    """The classes an annotation allows, `None` aside: `X` and `X | None` give `[X]`,
    `X | Y` and `Union[X, Y]` give `[X, Y]`; `[]` when some member names no class."""
    if node is None:
        return []
    if strings and isinstance(node, ast.Constant):
        return union_types(parse_string(node), qualify, strings=False)
    members: list[ast.expr] = []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        members = [node.left, node.right]
    elif isinstance(node, ast.Subscript) and qualify(node.value) in UNION:
        members = _items(node)
    if not members:
        found = single_type(node, qualify, strings=strings)
        return [found] if found is not None else []
    kinds: list[str] = []
    for member in members:
        if _is_none(member):
            continue
        inner = union_types(member, qualify, strings=strings)
        if not inner:
            return []
        kinds.extend(inner)
    return kinds


def tagged_members(node: ast.expr | None, qualify: Qualify) -> list[str]:
    """The classes of a discriminated union: `Annotated[A | B, Discriminator("kind")]`,
    `Annotated[Union[A, B], Field(discriminator="kind")]`. [] for an untagged union,
    whose members are told apart by the fields they require."""
    if isinstance(node, ast.Constant):
        node = parse_string(node)
    if not (isinstance(node, ast.Subscript) and qualify(node.value) in ANNOTATED):
        return []
    first, *marks = _items(node)
    tagged = any(
        isinstance(mark, ast.Call)
        and (
            (qualify(mark.func) or "").rpartition(".")[2] == "Discriminator"
            or any(k.arg == "discriminator" for k in mark.keywords)
        )
        for mark in marks
    )
    return union_types(first, qualify) if tagged else []


def single_type(node: ast.expr | None, qualify: Qualify, *, strings: bool = True) -> str | None:
    """The one class an annotation denotes: `X`, `"X"`, `X | None`, `Optional[X]`,
    `Union[X, None]`, `Annotated[X, ...]`. None when it names no single class."""
    if node is None:
        return None
    if isinstance(node, ast.Name | ast.Attribute):
        return qualify(node)
    if strings and isinstance(node, ast.Constant):
        return single_type(parse_string(node), qualify, strings=False)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        if _is_none(node.right):
            return single_type(node.left, qualify, strings=strings)
        if _is_none(node.left):
            return single_type(node.right, qualify, strings=strings)
        return None
    if isinstance(node, ast.Subscript):
        head = qualify(node.value)
        items = _items(node)
        if head in ANNOTATED or head in OPTIONAL:
            return single_type(items[0], qualify, strings=strings) if items else None
        if head in UNION:
            kept = [item for item in items if not _is_none(item)]
            return single_type(kept[0], qualify, strings=strings) if len(kept) == 1 else None
    return None


def depends_provider(node: ast.expr | None, qualify: Qualify) -> str | None:
    """`get_db` for `Depends(get_db)` / `Security(get_user, scopes=[...])`."""
    if not isinstance(node, ast.Call) or qualify(node.func) not in DEPENDS:
        return None
    target: ast.expr | None = node.args[0] if node.args else None
    for keyword in node.keywords:
        if keyword.arg == "dependency":
            target = keyword.value
    return qualify(target) if isinstance(target, ast.Name | ast.Attribute) else None


def annotated_provider(node: ast.expr | None, qualify: Qualify) -> str | None:
    """The provider in `Annotated[X, Depends(provider)]`, also inside a string."""
    if isinstance(node, ast.Constant):
        node = parse_string(node)
    if not isinstance(node, ast.Subscript) or qualify(node.value) not in ANNOTATED:
        return None
    for item in _items(node)[1:]:
        provider = depends_provider(item, qualify)
        if provider is not None:
            return provider
    return None


def produced_type(node: ast.expr | None, qualify: Qualify) -> str | None:
    """What a provider hands out: `X` for `-> X`, `-> AsyncGenerator[X, None]`,
    `-> Iterator[X]`, `-> AsyncContextManager[X]` (and their Optional/string forms)."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return produced_type(parse_string(node), qualify)
    if isinstance(node, ast.Subscript):
        head = qualify(node.value)
        if head in _ITERATORS or head in _CONTEXT_MANAGERS:
            items = _items(node)
            if head is not None and head.endswith("Coroutine"):
                return produced_type(items[-1], qualify) if items else None
            return produced_type(items[0], qualify) if items else None
    return single_type(node, qualify)
