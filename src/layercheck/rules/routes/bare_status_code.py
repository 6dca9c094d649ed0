from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar, Final

from layercheck import edits
from layercheck.model import Edit, Fix
from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Need,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
)
from layercheck.rules.http._helpers import (
    HTTP_EXCEPTION_BASES,
    RESPONSE_CLASSES,
    SERVICE_AND_REPOSITORY,
    short_name,
)
from layercheck.rules.routes._helpers import is_test_file, status_code_literal, status_constant
from layercheck.semantic.routes import WEBSOCKET_OPERATIONS

_FRAMEWORK_CLASSES: Final = HTTP_EXCEPTION_BASES | RESPONSE_CLASSES
_STATUS_MODULES: Final = frozenset({"fastapi.status", "starlette.status"})


@dataclass(frozen=True, slots=True)
class _Positional:
    """A status code passed by position to a project subclass: it is one only if no
    project class between the call and FastAPI's class redefines `__init__`."""

    literal: ast.expr
    code: int
    where: str
    callee: str
    fix: Fix | None


class BareStatusCode(Rule):
    """## What it does
    Checks for a bare integer HTTP status code where a `status.HTTP_*` constant belongs: a
    path operation's `status_code=`, an `HTTPException`, or a response class.

    ## Why is this bad?
    `404` says nothing to a reader who does not know the table by heart, a typo (`402`
    for `422`) is still a valid number, and a search for every "not found" misses the
    literals. `status.HTTP_404_NOT_FOUND` names the status, is checked by the type
    checker and the editor, and reads the same everywhere.

    ## Example
    ```python
    from fastapi import APIRouter, HTTPException

    router = APIRouter()


    @router.post("/users", status_code=201)
    async def create_user(data: UserCreate) -> UserResponse:
        if await users.exists(data.email):
            raise HTTPException(409, detail="Email already registered")
        return await users.create(data)
    ```

    ## Use instead
    ```python
    from fastapi import APIRouter, HTTPException, status

    router = APIRouter()


    @router.post("/users", status_code=status.HTTP_201_CREATED)
    async def create_user(data: UserCreate) -> UserResponse:
        if await users.exists(data.email):
            raise HTTPException(status.HTTP_409_CONFLICT, detail="Email already registered")
        return await users.create(data)
    ```

    ## Fix safety
    The fix replaces the literal with `status.HTTP_<code>_<PHRASE>` as `fastapi.status` spells it
    (`422` -> `status.HTTP_422_UNPROCESSABLE_ENTITY`, `413` ->
    `status.HTTP_413_REQUEST_ENTITY_TOO_LARGE`), and add `from fastapi import status` when
    the module has no `status` yet. Safe: the constant is the same integer, so behaviour
    does not change. No fix is offered where `status` already names something else (a
    parameter or variable called `status`).

    ## Details
    Reported in every module except tests, services and repositories (there the
    `HTTPException` or response itself is the problem, LC201-LC203, and a `status.HTTP_*`
    constant would be LC204's):
    - `status_code=` of a path operation (`@router.get(...)`, `@app.post(...)`,
      `@router.api_route(...)`, `router.add_api_route(...)`) on an `APIRouter` or
      `FastAPI` instance, or a project subclass of them;
    - the status code of `fastapi.HTTPException` / `starlette.exceptions.HTTPException`
      or a project subclass, given first or as `status_code=`, also in a subclass's
      `super().__init__(...)`;
    - the status code of FastAPI's and Starlette's response classes (`JSONResponse`,
      `RedirectResponse`, ...) or a project subclass, given second or as `status_code=`.

    Only integer literals that are HTTP status codes count: variables, `status.HTTP_*`,
    `HTTPStatus.NOT_FOUND` and numbers such as `42` are left alone, and so are other
    libraries' calls (`requests`, `httpx`, Flask, aiohttp). A project subclass that
    redefines `__init__` may take other arguments first, so a positional literal is
    reported for it only when no project class on the way to FastAPI's class, in any
    module, defines its own `__init__`; `status_code=` is always reported.
    The `responses={404: {...}}` table of a path operation is documentation keyed by
    status and is not reported.

    ## Leaves to
    A literal status code in a service or repository: the `HTTPException` or response
    itself is the finding there (LC201, LC202, LC203); this rule's fix would only turn it
    into an LC204 finding.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.ROUTES})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC301",
        name="bare-status-code",
        message="bare status code `{code}` in `{where}`; use `status.{constant}`",
        fix=FixAvailability.SOMETIMES,
        fix_title="Use the `status` constant",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                "app/core/errors.py": "from fastapi import HTTPException\n\n\n"
                "class ApiError(HTTPException):\n    pass\n",
                "app/routes/items.py": "from app.core.errors import ApiError\n\n\n"
                "def gone() -> None:\n    raise ApiError(410)  # error: 20\n",
            },
            note="a positional code for a subclass from another module without `__init__`",
        ),
        Invalid(
            "from fastapi import APIRouter, HTTPException\n"
            "from fastapi.responses import JSONResponse\n\n"
            "router = APIRouter()\n\n\n"
            "@router.post('/items', status_code=201)  # error: 36\n"
            "async def create_item(item: Item) -> Item:\n"
            "    if item.name == '':\n"
            "        raise HTTPException(422, 'empty name')  # error: 29\n"
            "    if item.price < 0:\n"
            "        raise HTTPException(detail='negative', status_code=400)  # error\n"
            "    return JSONResponse({'id': 1}, 202)  # error: 36\n",
            path="app/routes/items.py",
            fixed=(
                "from fastapi import APIRouter, HTTPException, status\n"
                "from fastapi.responses import JSONResponse\n"
                "\n"
                "router = APIRouter()\n"
                "\n"
                "\n"
                "@router.post('/items', status_code=status.HTTP_201_CREATED)  # error: 36\n"
                "async def create_item(item: Item) -> Item:\n"
                "    if item.name == '':\n"
                "        raise"
                " HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, 'empty"
                " name')  # error: 29\n"
                "    if item.price < 0:\n"
                "        raise HTTPException(detail='negative',"
                " status_code=status.HTTP_400_BAD_REQUEST)  # error\n"
                "    return JSONResponse({'id': 1}, status.HTTP_202_ACCEPTED)  # error: 36\n"
            ),
            note="decorator keyword, positional and keyword HTTPException, positional "
            "response status",
        ),
        Invalid(
            "import fastapi\n"
            "from fastapi import responses as r\n\n\n"
            "def create_app() -> fastapi.FastAPI:\n"
            "    app = fastapi.FastAPI()\n\n"
            "    @app.api_route(\n"
            "        '/legacy',\n"
            "        methods=['GET'],\n"
            "        status_code=301,  # error\n"
            "    )\n"
            "    async def legacy() -> r.RedirectResponse:\n"
            "        return r.RedirectResponse('/new', status_code=308)  # error\n\n"
            "    app.add_api_route('/ping', ping, status_code=204)  # error\n"
            "    return app\n",
            path="app/main.py",
            note="`import fastapi`, an app built in a factory, multi-line decorator, "
            "add_api_route, a module alias for responses",
        ),
        Invalid(
            {
                "app/core/errors.py": "from starlette.exceptions import HTTPException\n\n\n"
                "class ApiError(HTTPException):\n"
                "    pass\n\n\n"
                "class NotFound(ApiError):\n"
                "    def __init__(self, what: str) -> None:\n"
                "        super().__init__(404, detail=f'{what} not found')  # error\n\n\n"
                "def gone() -> ApiError:\n"
                "    return ApiError(410)  # error\n",
                "app/api/users.py": "from ..core.errors import ApiError\n\n\n"
                "def load(user_id: int):\n"
                "    raise ApiError(status_code=404)  # error\n"
                "    raise ApiError(404)  # error\n",
            },
            note="project subclasses across modules; `super().__init__` in a subclass; "
            "positional codes where no class on the way defines its own `__init__`",
        ),
        Invalid(
            "from fastapi import HTTPException, status as st\n\n\n"
            "class UsersView:\n"
            "    def check(self, user) -> None:\n"
            "        if user is None:\n"
            "            raise HTTPException(status_code=st.HTTP_404_NOT_FOUND)\n"
            "        if not user.active:\n"
            "            raise HTTPException(status_code=403)  # error\n",
            path="app/dependencies/users.py",
            fixed=(
                "from fastapi import HTTPException, status as st\n"
                "\n"
                "\n"
                "class UsersView:\n"
                "    def check(self, user) -> None:\n"
                "        if user is None:\n"
                "            raise HTTPException(status_code=st.HTTP_404_NOT_FOUND)\n"
                "        if not user.active:\n"
                "            raise HTTPException(status_code=st.HTTP_403_FORBIDDEN)  # error\n"
            ),
            note="a method; `status` imported under an alias is used once, not the other time",
        ),
        Valid(
            "from http import HTTPStatus\n\n"
            "from fastapi import APIRouter, HTTPException, status\n"
            "from fastapi.responses import JSONResponse\n\n"
            "router = APIRouter()\n\n\n"
            "@router.post('/items', status_code=status.HTTP_201_CREATED, "
            "responses={404: {'description': 'missing'}})\n"
            "async def create_item(item: Item, code: int = 400) -> Item:\n"
            "    if item.name == '':\n"
            "        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY)\n"
            "    if item.price < 0:\n"
            "        raise HTTPException(status_code=code)\n"
            "    return JSONResponse({'id': 1}, status.HTTP_202_ACCEPTED)\n",
            path="app/routes/items.py",
            note="constants, `HTTPStatus`, variables, and the `responses` table",
        ),
        Valid(
            "import httpx\n"
            "import requests\n"
            "from aiohttp import web\n"
            "from flask import Flask\n\n"
            "app = Flask(__name__)\n\n\n"
            "@app.get('/ping', status_code=200)\n"
            "def ping():\n"
            "    requests.get('https://example.com', timeout=5)\n"
            "    httpx.Response(404)\n"
            "    return web.Response(text='pong', status=200)\n",
            note="other libraries: Flask's `.get`, httpx/requests/aiohttp responses",
        ),
        Valid(
            "from fastapi import HTTPException\n"
            "from fastapi.responses import JSONResponse\n\n\n"
            "class Paginator:\n"
            "    def get(self, path: str, status_code: int = 200) -> None: ...\n\n\n"
            "pages = Paginator()\n\n\n"
            "@pages.get('/x', status_code=201)\n"
            "def view():\n"
            "    limit = JSONResponse({'n': 42}, status_code=True)\n"
            "    raise HTTPException(42)\n",
            note="a project `.get` that is no router; `True` and 42 are not status codes",
        ),
        Valid(
            {
                "app/core/errors.py": "from fastapi import HTTPException\n\n\n"
                "class RateLimited(HTTPException):\n"
                "    def __init__(self, retry_after: int) -> None:\n"
                "        super().__init__(status_code=self.code, detail='slow down')\n",
                "app/routes/items.py": "from app.core.errors import RateLimited\n\n\n"
                "def check() -> None:\n"
                "    raise RateLimited(300)\n",
            },
            note="a subclass with its own `__init__`: 300 is seconds, not a status code",
        ),
        Valid(
            "from fastapi import HTTPException\n"
            "from fastapi.testclient import TestClient\n\n\n"
            "def test_missing(client: TestClient) -> None:\n"
            "    response = client.get('/users/0')\n"
            "    assert response.status_code == 404\n"
            "    raise HTTPException(404)\n",
            path="tests/test_users.py",
            note="tests are left alone",
        ),
        Valid(
            "from fastapi import HTTPException\n"
            "from fastapi.responses import JSONResponse\n\n\n"
            "def get(user):\n"
            "    if user is None:\n"
            "        raise HTTPException(404)\n"
            "    return JSONResponse({}, status_code=200)\n",
            path="app/services/users.py",
            note="services and repositories: the HTTPException and the response are "
            "LC201/LC203's, and `status.HTTP_*` there would be LC204's",
        ),
    )

    def __init__(self) -> None:
        self._quiet = False
        self._positional: list[_Positional] = []

    def visit_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        self._quiet = ctx.layer in SERVICE_AND_REPOSITORY or is_test_file(ctx)

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if self._quiet or not may_spell_code(node):
            return
        method = ctx.routes.operation_method(node, ctx)
        if method is not None:
            # The label is unparsed only for a call that may be reported.
            if method not in WEBSOCKET_OPERATIONS and any(
                keyword.arg == "status_code" for keyword in node.keywords
            ):
                self._keyword(node, f"{ast.unparse(node.func)}()", ctx)
            return
        found = self._constructed(node, ctx)
        if found is None:
            return
        callee, where = found
        self._keyword(node, where, ctx)
        position = 0 if ctx.index.inherits(callee, HTTP_EXCEPTION_BASES) else 1
        if len(node.args) <= position:
            return
        if any(isinstance(arg, ast.Starred) for arg in node.args[: position + 1]):
            return
        literal = node.args[position]
        code = status_code_literal(literal)
        if code is None:
            return
        if ctx.index.resolve(callee) in _FRAMEWORK_CLASSES:
            self._report(literal, code, where, ctx)
        else:
            self._positional.append(
                _Positional(literal, code, where, callee, self._fix(literal, code, ctx))
            )

    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        for item in self._positional:
            if self._keeps_signature(item.callee, ctx):
                self._report(item.literal, item.code, item.where, ctx, item.fix)

    def _constructed(self, node: ast.Call, ctx: RuleContext) -> tuple[str, str] | None:
        """(class, label) when the call builds an HTTPException or a response class;
        `super().__init__(...)` in a project subclass counts as building its base."""
        func = node.func
        callee: str | None = None
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "__init__"
            and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name)
            and func.value.func.id == "super"
        ):
            owner = self._owner_class(ctx)
            if owner is None or not owner.bases:
                return None
            callee = ctx.qualified(owner.bases[0])
            where = "super().__init__()"
        elif isinstance(func, ast.Name | ast.Attribute):
            callee = ctx.qualified(func)
            where = ""  # named below, for the few calls that build one
        if callee is None or not ctx.index.inherits(callee, _FRAMEWORK_CLASSES):
            return None
        return callee, where or f"{short_name(callee)}()"

    @staticmethod
    def _owner_class(ctx: RuleContext) -> ast.ClassDef | None:
        """The class whose method (directly in its body) holds the current call."""
        functions = ctx.functions()
        if not functions:
            return None
        method = functions[0]
        chain = ctx.ancestors
        for depth in range(len(chain) - 1, 0, -1):
            if chain[depth] is method:
                parent = chain[depth - 1]
                return parent if isinstance(parent, ast.ClassDef) else None
        return None

    def _keeps_signature(self, callee: str, ctx: RuleContext) -> bool:
        """No project class from `callee` up to FastAPI's/Starlette's class defines its
        own `__init__` (in any module), so the first argument is still the status code."""
        index = ctx.index
        for ancestor in index.ancestors(callee):
            if ancestor in _FRAMEWORK_CLASSES or ancestor.startswith("builtins."):
                continue
            facts = index.class_fact(ancestor)
            if facts is None or facts.defines_init:
                return False
        return True

    def _keyword(self, node: ast.Call, where: str, ctx: RuleContext) -> None:
        for keyword in node.keywords:
            if keyword.arg == "status_code":
                code = status_code_literal(keyword.value)
                if code is not None:
                    self._report(keyword.value, code, where, ctx)

    def _report(
        self,
        literal: ast.expr,
        code: int,
        where: str,
        ctx: RuleContext,
        fix: Fix | bool | None = True,
    ) -> None:
        """`fix`: computed earlier, where the literal's scope was current; True: now."""
        found = self._fix(literal, code, ctx) if fix is True else fix
        ctx.report_with_fix(
            self,
            literal,
            found if isinstance(found, Fix) else None,
            code=code,
            where=where,
            constant=status_constant(code),
        )

    def _fix(self, literal: ast.expr, code: int, ctx: RuleContext) -> Fix | None:
        # The module's own name for the status module, where it has one (`status as st`).
        name = next(
            (
                bound
                for bound, qualified in sorted(ctx.names.module_scope.items())
                if qualified in _STATUS_MODULES and ctx.names.lookup(bound) == qualified
            ),
            "status",
        )
        constant = f"{name}.{status_constant(code)}"
        if ctx.names.lookup(name) in _STATUS_MODULES:
            added: tuple[Edit, ...] | None = ()
        else:
            added = edits.ensure_import(ctx, "fastapi", "status")
        if added is None:
            return None
        return edits.safe(f"Use `{constant}`", edits.replace(ctx, literal, constant), *added)


def may_spell_code(node: ast.Call) -> bool:
    """Whether a call holds a status code where the rule looks for one: its first or
    second argument, or its `status_code=`. The rule sees every call (it follows
    subclasses), and most hold none: the callee is not resolved for those."""
    args = node.args
    if args and (
        status_code_literal(args[0]) is not None
        or (len(args) > 1 and status_code_literal(args[1]) is not None)
    ):
        return True
    return any(
        keyword.arg == "status_code" and status_code_literal(keyword.value) is not None
        for keyword in node.keywords
    )
