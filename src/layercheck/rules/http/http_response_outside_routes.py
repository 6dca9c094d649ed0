from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.http._helpers import (
    RESPONSE_CLASSES,
    SERVICE_AND_REPOSITORY,
    annotation_classes,
    class_in,
    layer_word,
    short_name,
)

_Function = ast.FunctionDef | ast.AsyncFunctionDef


class HttpResponseOutsideRoutes(Rule):
    """## What it does
    Checks for a FastAPI/Starlette response class, or a project subclass of one, built or
    returned in a service or repository.

    ## Why is this bad?
    Status codes, headers, cookies and media types are the route's job. A service that
    builds a `JSONResponse` cannot be reused by another route, a background job or a CLI,
    its callers must unpack HTTP to reach the data, and its tests need a web framework.
    Return the data (a model or a schema) and let the route, through `response_model` or
    its own response class, turn it into HTTP.

    A return annotation that names a response class (`-> JSONResponse`, also inside
    `Optional[...]`, `X | None`, `Annotated[...]` or a string) counts as returning one; it
    is reported only when the function builds or returns no response class itself, so a
    function is reported once for it. Pydantic schemas named `*Response`, `httpx.Response`
    and `requests.Response` are not response classes. A response class that is only
    received as a parameter, checked with `isinstance`, or passed along as a value is not
    built or returned, and is left alone.

    ## Example
    ```python
    from fastapi.responses import JSONResponse

    class ReportService:
        async def summary(self, user_id: int):
            totals = await self.repo.totals(user_id)
            return JSONResponse(content={"total": totals.sum}, status_code=200)
    ```

    ## Use instead
    ```python
    from app.schemas.reports import SummaryResponse

    class ReportService:
        async def summary(self, user_id: int) -> SummaryResponse:
            totals = await self.repo.totals(user_id)
            return SummaryResponse(total=totals.sum)
    ```
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC203",
        name="http-response-outside-routes",
        message="`{name}` {how} in a {layer}; return data and let the route build the response",
        layers=SERVICE_AND_REPOSITORY,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from fastapi.responses import JSONResponse as JR\n\n"
            "class ReportService:\n"
            "    async def summary(self):\n"
            "        return JR(content={})  # error: 16\n",
            note="alias, async method in a class",
        ),
        Invalid(
            "import fastapi\n\n"
            "def download(path) -> fastapi.Response:\n"
            "    data = path.read_bytes()\n"
            "    return fastapi.Response(  # error: 12\n"
            "        content=data,\n"
            "        media_type='application/pdf',\n"
            "    )\n",
            note="module import, multi-line call; the annotation is not reported again",
        ),
        Invalid(
            "from starlette.responses import RedirectResponse, StreamingResponse\n\n"
            "def outer(rows):\n"
            "    def stream():\n"
            "        return StreamingResponse(iter(rows))  # error\n"
            "    def response_class():\n"
            "        return RedirectResponse  # error: 16\n"
            "    return stream, response_class\n",
            note="nested functions; a class object returned",
        ),
        Invalid(
            "from fastapi.responses import HTMLResponse\n\n"
            "def render(templates, name) -> HTMLResponse | None:  # error: 32\n"
            "    return templates.TemplateResponse(name, {})\n",
            path="app/repositories/pages.py",
            note="a factory builds it, the return annotation says so; repositories too",
        ),
        Invalid(
            "from typing import TYPE_CHECKING, Optional\n\n"
            "if TYPE_CHECKING:\n"
            "    from fastapi.responses import FileResponse\n\n"
            "def export(rows) -> 'Optional[FileResponse]':  # error: 21\n"
            "    return make_file(rows)\n",
            note="a string annotation naming a type-checking import",
        ),
        Invalid(
            {
                "app/core/responses.py": "from fastapi.responses import JSONResponse\n\n"
                "class ApiResponse(JSONResponse):\n    pass\n",
                "app/services/users.py": "from ..core.responses import ApiResponse\n\n"
                "def ok():\n    response = ApiResponse({'ok': True})  # error\n"
                "    return response\n",
            },
            note="project subclass, relative import; reported once, at the construction",
        ),
        Valid(
            "from fastapi.responses import JSONResponse\n\ndef f():\n    return JSONResponse({})\n",
            path="app/routes/users.py",
            note="routes build responses",
        ),
        Valid(
            "from fastapi.responses import JSONResponse\n\ndef f():\n    return JSONResponse({})\n",
            path="app/dependencies/auth.py",
            note="dependencies are not services",
        ),
        Valid(
            "from fastapi.responses import JSONResponse\n\ndef f():\n    return JSONResponse({})\n",
            path="tests/services/test_users.py",
            note="tests have no layer",
        ),
        Valid(
            {
                "app/schemas/users.py": "from pydantic import BaseModel\n\n"
                "class UserResponse(BaseModel):\n    id: int\n",
                "app/services/users.py": "from app.schemas.users import UserResponse\n\n"
                "def get(user) -> UserResponse:\n"
                "    return UserResponse(id=user.id)\n",
            },
            note="a Pydantic schema named `*Response`",
        ),
        Valid(
            "import httpx\nimport requests\nfrom aiohttp import web\nfrom httpx import Response\n\n"
            "async def fetch(client) -> Response:\n"
            "    if client is None:\n"
            "        return requests.Response()\n"
            "    return httpx.Response(200)\n\n"
            "def pong() -> web.Response:\n"
            "    return web.Response(text='pong')\n",
            note="HTTP client responses, and aiohttp's own server responses",
        ),
        Valid(
            "class JSONResponse:\n    pass\n\ndef f():\n    return JSONResponse()\n",
            note="a project class that only shares the name",
        ),
        Valid(
            "from fastapi import Response\n"
            "from fastapi.responses import JSONResponse\n\n"
            "def set_session(response: Response, token) -> None:\n"
            "    response.set_cookie('session', token)\n\n"
            "def is_json(value):\n"
            "    return isinstance(value, JSONResponse)\n",
            note="received or checked, never built or returned",
        ),
        Valid(
            "from fastapi.responses import JSONResponse\n\n"
            "def f(JSONResponse):\n    return JSONResponse({})\n",
            note="a parameter shadows the import",
        ),
    )

    def __init__(self) -> None:
        # Return annotations naming a response class, per function, until the function
        # is left; dropped when the body itself builds or returns one.
        self._annotated: dict[_Function, tuple[ast.AST, str]] = {}

    def visit_FunctionDef(self, node: ast.FunctionDef, ctx: RuleContext) -> None:
        self._enter_function(node, ctx)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: RuleContext) -> None:
        self._enter_function(node, ctx)

    def leave_FunctionDef(self, node: ast.FunctionDef, ctx: RuleContext) -> None:
        self._leave_function(node, ctx)

    def leave_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: RuleContext) -> None:
        self._leave_function(node, ctx)

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        self._check(node.func, "built", ctx)

    def visit_Return(self, node: ast.Return, ctx: RuleContext) -> None:
        # A returned call is reported by visit_Call, at its callee.
        if node.value is not None:
            self._check(node.value, "returned", ctx)

    def _check(self, node: ast.AST, how: str, ctx: RuleContext) -> None:
        name = class_in(node, RESPONSE_CLASSES, ctx)
        if name is None:
            return
        ctx.report(self, node, name=short_name(name), how=how, layer=layer_word(ctx))
        function = ctx.enclosing_function()
        if function is not None:
            self._annotated.pop(function, None)

    def _enter_function(self, node: _Function, ctx: RuleContext) -> None:
        if node.returns is None:
            return
        for at, name in annotation_classes(node.returns, ctx):
            if ctx.index.inherits(name, RESPONSE_CLASSES):
                self._annotated[node] = (at, name)
                return

    def _leave_function(self, node: _Function, ctx: RuleContext) -> None:
        found = self._annotated.pop(node, None)
        if found is not None:
            at, name = found
            ctx.report(self, at, name=short_name(name), how="returned", layer=layer_word(ctx))
