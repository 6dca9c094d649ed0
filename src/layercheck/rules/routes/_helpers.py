"""What the route-convention rules share: status codes and their `status.HTTP_*` names,
test files, report positions, response classes, and the calls that open a session."""

from __future__ import annotations

import ast
import re
from http import HTTPStatus
from pathlib import PurePosixPath
from typing import Final

from layercheck.annotations import produced_type
from layercheck.index import ProjectIndex, derived
from layercheck.layers import is_test_path
from layercheck.model import Location
from layercheck.rules._base import RuleContext
from layercheck.rules.http._helpers import RESPONSE_CLASSES
from layercheck.semantic.sessions import (
    is_session_class,
    is_session_factory,
    opens_session,
    provides_session,
)

Function = ast.FunctionDef | ast.AsyncFunctionDef

_STARLETTE_NAMES: Final = {
    413: "REQUEST_ENTITY_TOO_LARGE",
    414: "REQUEST_URI_TOO_LONG",
    416: "REQUESTED_RANGE_NOT_SATISFIABLE",
    422: "UNPROCESSABLE_ENTITY",
}
"""Where `fastapi.status` (starlette's names) and `http.HTTPStatus` differ: Python 3.13
renamed these members after RFC 9110; starlette kept the old names (its newer releases
keep them as deprecated aliases), so they work with every FastAPI version."""
_STATUS_CODES: Final = frozenset(status.value for status in HTTPStatus)
_NOT_RESPONSES: Final = frozenset({"pydantic", "sqlmodel", "builtins", "typing"})
"""Packages whose `*Response` classes are data, never HTTP responses."""
_UNWRAP: Final = frozenset({"next", "anext"})
_DEF: Final = re.compile(rb"(?:async\s+)?def\s+")


def status_constant(code: int) -> str:
    """`HTTP_404_NOT_FOUND` for 404, spelled as `fastapi.status` spells it."""
    phrase = _STARLETTE_NAMES.get(code) or HTTPStatus(code).name
    return f"HTTP_{code}_{phrase}"


def status_code_literal(node: ast.expr | None) -> int | None:
    """The HTTP status code an integer literal spells (100-599 and known to
    `http.HTTPStatus`); None for anything else (variables, constants, `True`, 42)."""
    if not isinstance(node, ast.Constant) or type(node.value) is not int:
        return None
    code: int = node.value
    return code if 100 <= code <= 599 and code in _STATUS_CODES else None


def is_test_file(ctx: RuleContext) -> bool:
    """Tests have no layer; rules that run in every module still stay quiet there."""
    facts = ctx.index.by_path.get(str(ctx.path))
    if facts is not None:
        return facts.is_test
    relative = ctx.settings.relative(ctx.path)
    return is_test_path(relative if relative is not None else PurePosixPath(ctx.path.name))


def function_name_span(node: Function, ctx: RuleContext) -> tuple[Location, Location]:
    """The span of the function's name on its `def` line (the def itself if the name is
    not on that line)."""
    line = ctx.lines.line(node.lineno).encode("utf-8")
    name = node.name.encode("utf-8")
    match = _DEF.match(line, node.col_offset)
    if match is None or line[match.end() : match.end() + len(name)] != name:
        at = ctx.lines.location(node.lineno, node.col_offset)
        return at, at
    first, last = match.end(), match.end() + len(name)
    return ctx.lines.location(node.lineno, first), ctx.lines.location(node.lineno, last)


def returns_response_class(callee: str, ctx: RuleContext) -> bool:
    """A class whose instances are HTTP responses FastAPI sends as they are: FastAPI's and
    Starlette's response classes and project subclasses, and third-party classes named
    `*Response` that are not Pydantic models (`sse_starlette.EventSourceResponse`).
    A project class counts only through its bases, so a schema named `UserResponse` is
    no response class."""
    return _returns_response_class(ctx.index, callee)


@derived("routes.response-class")
def _returns_response_class(index: ProjectIndex, callee: str) -> bool:
    # Asked of every call and annotation in a route module: once per index, not per use.
    if index.inherits(callee, RESPONSE_CLASSES):
        return True
    for ancestor in index.ancestors(callee):
        root = ancestor.partition(".")[0]
        if root in _NOT_RESPONSES or index.is_project_class(ancestor):
            continue
        if _is_project_root(index, root) or not ancestor.endswith("Response"):
            continue  # a project name the index does not know (`.schemas.UserResponse`)
        return True
    return False


@derived("routes.project-root")
def _is_project_root(index: ProjectIndex, root: str) -> bool:
    # The set of first names is built once per index: a trimmed answer asked again
    # would otherwise scan every module of the project again.
    return root in index.shared("routes.project-roots", _project_roots)


def _project_roots(index: ProjectIndex) -> frozenset[str]:
    """The first name of every module of the project (`app` for `app.api.users`)."""
    return frozenset(module.partition(".")[0] for module in index.by_module)


def template_response(node: ast.Call) -> bool:
    """`templates.TemplateResponse(...)`: Starlette's `Jinja2Templates` method, matched by
    its name alone (the receiver is rarely provable, and staying quiet is the cheaper
    mistake)."""
    return isinstance(node.func, ast.Attribute) and node.func.attr == "TemplateResponse"


def session_opening(node: ast.Call, ctx: RuleContext) -> str | None:
    """How the call opens a new session, for messages (`SessionLocal()`,
    `Session(engine)`, `sessionmaker(...)()`, `factory.begin()`, `get_db()`), or None.

    Besides `sessions.opens_session`: `factory.begin()` on a project `sessionmaker`
    (a session with a transaction), and calling a session provider directly
    (`next(get_db())`, `async with get_session() as s`) instead of through `Depends`."""
    func = node.func
    if opens_session(node, ctx):
        if isinstance(func, ast.Call):
            return f"{_short(func.func)}(...)()"
        return f"{_short(func)}()"
    if isinstance(func, ast.Attribute) and func.attr == "begin":
        owner = ctx.qualified(func.value)
        if owner is not None and is_session_factory(owner, ctx.index):
            return f"{_short(func)}()"
        return None
    callee = ctx.qualified(func)
    if callee is not None and provides_session(callee, ctx.index):
        return f"{_short(func)}()"
    return None


def hands_out_new_session(value: ast.expr | None, ctx: RuleContext) -> bool:
    """A value that is a newly opened session: `SessionLocal()`, `await make_session()`,
    `next(get_db())` (builtin `next`/`anext` only)."""
    if isinstance(value, ast.Await):
        value = value.value
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id in _UNWRAP
        and len(value.args) == 1
        and ctx.names.lookup(value.func.id) is None
    ):
        value = value.args[0]
    return isinstance(value, ast.Call) and session_opening(value, ctx) is not None


def produces_session(node: Function, ctx: RuleContext) -> bool:
    """The function's return annotation promises a session (`-> Session`,
    `-> AsyncIterator[AsyncSession]`, `-> Generator[Session, None, None]`)."""
    produced = produced_type(node.returns, ctx.qualified)
    return produced is not None and is_session_class(produced, ctx.index)


def _short(node: ast.expr) -> str:
    return ast.unparse(node)
