"""Qualified names the HTTP-concern rules match against, and the lookups they share."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from typing import Final

from layercheck.annotations import parse_string
from layercheck.index import ProjectIndex
from layercheck.layers import Layer
from layercheck.rules._base import Rule, RuleContext

HTTP_EXCEPTION_BASES: Final = frozenset(
    {
        "fastapi.HTTPException",
        "fastapi.exceptions.HTTPException",
        "starlette.exceptions.HTTPException",
    }
)
SERVICE_AND_REPOSITORY: Final = frozenset({Layer.SERVICES, Layer.REPOSITORIES})
LAYER_WORDS: Final = {Layer.SERVICES: "service", Layer.REPOSITORIES: "repository"}

_RESPONSE_NAMES: Final = (
    "Response",
    "JSONResponse",
    "ORJSONResponse",
    "UJSONResponse",
    "HTMLResponse",
    "RedirectResponse",
    "StreamingResponse",
    "FileResponse",
    "PlainTextResponse",
)
RESPONSE_CLASSES: Final = frozenset(
    f"{module}.{name}"
    for module in ("fastapi", "fastapi.responses", "starlette.responses")
    for name in _RESPONSE_NAMES
)
REQUEST_CLASSES: Final = frozenset(
    {"fastapi.Request", "fastapi.requests.Request", "starlette.requests.Request"}
)
STATUS_MODULES: Final = frozenset({"fastapi.status", "starlette.status"})
STATUS_PREFIXES: Final = ("HTTP_", "WS_")

_UNIONS: Final = frozenset(
    {"typing.Optional", "typing.Union", "typing_extensions.Optional", "typing_extensions.Union"}
)
_ANNOTATED: Final = frozenset({"typing.Annotated", "typing_extensions.Annotated"})


def layer_word(ctx: RuleContext) -> str:
    """`service` / `repository`, for messages."""
    return LAYER_WORDS.get(ctx.layer, "module") if ctx.layer is not None else "module"


def short_name(qualified: str) -> str:
    return qualified.rpartition(".")[2]


def http_exception_use(node: ast.Call | ast.Raise, ctx: RuleContext) -> tuple[ast.AST, str] | None:
    """The HTTPException class a call builds or a bare `raise X` raises, if any."""
    target: ast.AST | None
    if isinstance(node, ast.Call):
        target = node.func
    else:
        target = node.exc if isinstance(node.exc, ast.Name | ast.Attribute) else None
    if target is None:
        return None
    name = ctx.qualified(target)
    if name is None or not ctx.index.inherits(name, HTTP_EXCEPTION_BASES):
        return None
    return target, short_name(name)


def class_in(node: ast.AST, classes: frozenset[str], ctx: RuleContext) -> str | None:
    """The qualified name `node` resolves to, when it is one of `classes` or a project
    subclass of one; None otherwise (unresolved names never match)."""
    if not isinstance(node, ast.Name | ast.Attribute):
        return None
    name = ctx.qualified(node)
    if name is None or not ctx.index.inherits(name, classes):
        return None
    return name


def annotation_classes(annotation: ast.AST, ctx: RuleContext) -> Iterator[tuple[ast.AST, str]]:
    """(node to report, qualified name) for each class an annotation names as its type:
    the annotation itself, `X | Y`, `Optional[X]`, `Union[X, Y]`, the first argument of
    `Annotated[X, ...]`, and the same inside a string annotation (reported at the string).
    Other generics (`list[X]`, `Callable[..., X]`) and `Literal[...]` are not followed."""
    pending: list[tuple[ast.AST, ast.Constant | None]] = [(annotation, None)]
    while pending:
        node, string = pending.pop()
        if isinstance(node, ast.Name | ast.Attribute):
            name = ctx.qualified(node)
            if name is not None:
                yield string or node, name
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            parsed = parse_string(node)
            if parsed is not None:
                pending.append((parsed, string or node))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            pending.extend(((node.right, string), (node.left, string)))
        elif isinstance(node, ast.Subscript):
            generic = ctx.qualified(node.value)
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if generic in _ANNOTATED:
                items = items[:1]
            elif generic not in _UNIONS:
                continue
            pending.extend((item, string) for item in reversed(items))


class HttpExceptionRule(Rule):
    """Reports each HTTPException class built (`HTTPException(...)`) or raised bare
    (`raise HTTPException`); the layers come from the subclass's meta."""

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        found = http_exception_use(node, ctx)
        if found is not None:
            ctx.report(self, found[0], name=found[1])

    def visit_Raise(self, node: ast.Raise, ctx: RuleContext) -> None:
        found = http_exception_use(node, ctx)
        if found is not None:
            ctx.report(self, found[0], name=found[1])


BUILTINS: Final = "builtins."


def builtin_exception(name: str) -> type[BaseException] | None:
    """`builtins.ValueError` -> ValueError; None for anything else."""
    if not name.startswith(BUILTINS):
        return None
    found = getattr(builtins, name[len(BUILTINS) :], None)
    if isinstance(found, type) and issubclass(found, BaseException):
        return found
    return None


def exception_ancestors(name: str, index: ProjectIndex) -> list[str]:
    """The class and every class it derives from, resolved, nearest first; builtin
    exceptions bring their own bases (`LookupError` -> `Exception`, `BaseException`)."""
    order = index.ancestors(name)
    for ancestor in list(order):
        builtin = builtin_exception(ancestor)
        if builtin is not None:
            for base in builtin.__mro__[1:]:
                qualified = f"{BUILTINS}{base.__name__}"
                if base is not object and qualified not in order:
                    order.append(qualified)
    return order


def is_domain_exception(name: str, index: ProjectIndex) -> bool:
    """A project class shown to be an exception (it derives, through project classes,
    from a builtin exception) that is no HTTPException. Builtin and third-party classes
    are not domain exceptions, nor a project class whose bases cannot be followed."""
    if index.class_fact(name) is None:
        return False
    if index.inherits(name, HTTP_EXCEPTION_BASES):
        return False
    return any(builtin_exception(a) is not None for a in exception_ancestors(name, index))
