from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.annotations import single_type
from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.routes._helpers import (
    function_name_span,
    is_test_file,
    returns_response_class,
    template_response,
)
from layercheck.semantic.routes import Function

_REQUESTS: Final = frozenset(
    {"fastapi.Request", "fastapi.requests.Request", "starlette.requests.Request"}
)


def _always_raises(function: Function) -> bool:
    """The body ends in `raise` and returns no value anywhere (nested functions aside): a
    placeholder route answering every request with an error."""
    if not function.body or not isinstance(function.body[-1], ast.Raise):
        return False
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            return False
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return True


class MissingResponseModel(Rule):
    """## What it does
    Checks for a route with neither `response_model=` nor a return annotation, that does
    not return a `Response` either.

    ## Why is this bad?
    Without a response model FastAPI sends whatever the handler returns: an ORM object's
    every column (password hashes included) goes out as it is, nothing validates the
    shape, and the OpenAPI schema shows an empty response, so generated clients get
    `any`. A `response_model=` or a return annotation filters and validates the output
    and documents it.

    ## Example
    ```python
    from fastapi import APIRouter, Depends

    router = APIRouter()


    @router.get("/users/{user_id}")
    async def get_user(user_id: int, service: UserService = Depends(get_user_service)):
        return await service.get_user(user_id)
    ```

    ## Use instead
    ```python
    from fastapi import APIRouter, Depends

    router = APIRouter()


    @router.get("/users/{user_id}", response_model=UserResponse)
    async def get_user(user_id: int, service: UserService = Depends(get_user_service)):
        return await service.get_user(user_id)
    ```

    ## Details
    A route is a function decorated with a path operation (`@router.get(...)`,
    `@app.post(...)`, `@router.api_route(...)`) of an `APIRouter` or `FastAPI` instance,
    or registered with `add_api_route`, in any module but tests; methods of class-based
    views count. It is quiet when:
    - the decorator (or `add_api_route`) sets `response_model=`, even to `None`, or
      `response_class=`, or passes `**options` that may hold them;
    - the function has a return annotation, whatever it is (`-> None` for a 204 route,
      `-> dict[str, str]`, `-> JSONResponse`);
    - the function returns a response object: a FastAPI/Starlette response class or a
      project subclass (`return RedirectResponse(url)`, also through a local variable),
      a third-party `*Response` class such as `EventSourceResponse`, or
      `templates.TemplateResponse(...)`; or the result of a project function whose
      return annotation is a response class (`return await stream_reply(...)` with
      `async def stream_reply(...) -> StreamingResponse`), or of a call that is handed a
      response built in the route (`return await add_cookies(response, user)`), or of a
      library's handler in a route that takes the raw `Request` (`return await
      slack_handler.handle(req)` with `slack_handler` a library object: a webhook passed
      through);
    - the function only raises (its last statement is `raise`, and it returns no value):
      a placeholder answering every request with an error has nothing to model.

    WebSocket routes have no response and are never reported. The finding sits on the
    function's name.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.ROUTES})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC302",
        name="missing-response-model",
        message="route `{name}` has no `response_model=` and no return annotation",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            {
                "app/streaming.py": "from fastapi.responses import StreamingResponse\n\n\n"
                "async def stream_reply(run_id: str) -> StreamingResponse:\n"
                "    return StreamingResponse(iter([run_id]))\n",
                "app/routes/runs.py": "from fastapi import APIRouter, Response\n\n"
                "from app.cookies import add_cookies\n"
                "from app.streaming import stream_reply\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/runs/{run_id}/stream')\n"
                "async def stream(run_id: str):\n"
                "    return await stream_reply(run_id)\n\n\n"
                "@router.post('/login')\n"
                "async def login(user: str):\n"
                "    response = Response(status_code=204)\n"
                "    return await add_cookies(response, user)\n",
            },
            note="responses made elsewhere: a helper annotated with a response class; a "
            "response built in the route and passed through a helper",
        ),
        Invalid(
            {
                "app/streaming.py": "def reply(run_id: str) -> dict[str, str]:\n"
                "    return {'id': run_id}\n",
                "app/routes/runs.py": "from fastapi import APIRouter\n\n"
                "from app.streaming import reply\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/runs/{run_id}')\n"
                "async def get_run(run_id: str):  # error\n"
                "    return reply(run_id)\n",
            },
            note="near miss: the helper returns data, not a response",
        ),
        Invalid(
            "from fastapi import APIRouter\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/users/{user_id}')\n"
            "async def get_user(user_id: int):  # error: 11\n"
            "    return await users.get(user_id)\n\n\n"
            "@router.post(\n"
            "    '/users',\n"
            "    status_code=201,\n"
            ")\n"
            "def create_user(data: UserCreate):  # error: 5\n"
            "    return users.create(data)\n\n\n"
            "@router.get('/me', response_model=UserResponse)\n"
            "def me(user=Depends(current_user)):\n"
            "    return user\n",
            path="app/routes/users.py",
            note="async and sync handlers, a multi-line decorator; the name is reported",
        ),
        Invalid(
            "import fastapi\n\n\n"
            "def create_app():\n"
            "    app = fastapi.FastAPI()\n\n"
            "    @app.delete('/items/{item_id}', status_code=204)\n"
            "    async def delete_item(item_id: int):  # error\n"
            "        await items.delete(item_id)\n\n"
            "    def ping():  # error\n"
            "        return {'ok': True}\n\n"
            "    app.add_api_route('/ping', ping)\n"
            "    app.add_api_route('/pong', ping, response_model=Pong)\n"
            "    return app\n",
            path="app/main.py",
            note="an app factory; a 204 route without `-> None`; add_api_route with and "
            "without a response model",
        ),
        Invalid(
            "from fastapi import APIRouter\n"
            "from fastapi.responses import JSONResponse\n\n"
            "from .schemas import RecipeResponse\n\n"
            "router = APIRouter(prefix='/recipes')\n\n\n"
            "class RecipeController:\n"
            "    @router.get('/{slug}')\n"
            "    def get_one(self, slug: str):  # error\n"
            "        recipe = self.service.get(slug)\n"
            "        return RecipeResponse.model_validate(recipe)\n\n"
            "    @router.get('/{slug}/raw')\n"
            "    def get_raw(self, slug: str):\n"
            "        return JSONResponse(self.service.raw(slug))\n",
            path="app/api/recipes/controller_recipes.py",
            note="class-based view; a schema named `*Response` is no response class",
        ),
        Valid(
            "from fastapi import APIRouter, WebSocket\n"
            "from fastapi.responses import HTMLResponse, RedirectResponse\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/health')\n"
            "def health() -> dict[str, str]:\n"
            "    return {'status': 'ok'}\n\n\n"
            "@router.delete('/items/{item_id}', status_code=204)\n"
            "def delete_item(item_id: int) -> None:\n"
            "    items.delete(item_id)\n\n\n"
            "@router.get('/old', response_model=None)\n"
            "def old(flag: bool):\n"
            "    return None\n\n\n"
            "@router.get('/', response_class=HTMLResponse)\n"
            "def home():\n"
            "    return '<h1>hi</h1>'\n\n\n"
            "@router.get('/go')\n"
            "def go(to: str):\n"
            "    response = RedirectResponse(to)\n"
            "    return response\n\n\n"
            "@router.get('/oauth')\n"
            "async def oauth_login(request):\n"
            "    response: RedirectResponse = await client.authorize_redirect(request)\n"
            "    return response\n\n\n"
            "@router.websocket('/ws')\n"
            "async def ws(websocket: WebSocket):\n"
            "    await websocket.accept()\n",
            path="app/routes/misc.py",
            note="annotations (`-> None` too), `response_model=None`, `response_class=`, "
            "returned responses (mealie's oauth_login: an annotated local), a websocket",
        ),
        Valid(
            {
                "app/api/router.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
                "app/routes/pages.py": "from fastapi.templating import Jinja2Templates\n"
                "from sse_starlette.sse import EventSourceResponse\n\n"
                "from app.api.router import router\n\n"
                "templates = Jinja2Templates(directory='templates')\n"
                "OPTIONS = {'response_model': Page}\n\n\n"
                "@router.get('/page')\n"
                "def page(request):\n"
                "    return templates.TemplateResponse(request, 'page.html')\n\n\n"
                "@router.get('/events')\n"
                "async def events():\n"
                "    return EventSourceResponse(stream())\n\n\n"
                "@router.get('/list', **OPTIONS)\n"
                "def listing():\n"
                "    return []\n",
            },
            note="an imported router; templates, a third-party response class, `**options`",
        ),
        Invalid(
            {
                "app/slack.py": "from slack_bolt.adapter.fastapi.async_handler import "
                "AsyncSlackRequestHandler\n\n"
                "handler = AsyncSlackRequestHandler(bolt_app)\n",
                "app/services/events.py": "class EventService:\n"
                "    async def handle(self, request) -> dict:\n"
                "        return {}\n\n\n"
                "events = EventService()\n",
                "app/routes/hooks.py": "from fastapi import APIRouter, Request\n"
                "from fastapi.concurrency import run_in_threadpool\n\n"
                "from app.services.events import events\n"
                "from app.slack import handler\n\n"
                "router = APIRouter()\n\n\n"
                "@router.post('/slack/events')\n"
                "async def slack_events(req: Request):\n"
                "    return await handler.handle(req)\n\n\n"
                "@router.post('/events')\n"
                "async def project_events(req: Request):  # error\n"
                "    return await events.handle(req)\n\n\n"
                "@router.post('/sync')\n"
                "async def sync(req: Request):  # error\n"
                "    return await run_in_threadpool(events.sync, req)\n",
            },
            note="a webhook passed to a library's handler, which builds the response; near "
            "misses: a project service handed the request, a library function running one",
        ),
        Invalid(
            "from fastapi import APIRouter, HTTPException\n\n"
            "router = APIRouter()\n\n\n"
            "@router.api_route('/ai/{path:path}', methods=['GET', 'POST'])\n"
            "async def ai_not_available(path: str = ''):\n"
            "    raise HTTPException(status_code=501, detail='AI features are disabled')\n\n\n"
            "@router.get('/items/{item_id}')\n"
            "async def get_item(item_id: int):  # error\n"
            "    if item_id < 0:\n"
            "        raise HTTPException(status_code=404)\n"
            "    return {'id': item_id}\n",
            path="app/routes/ai.py",
            note="a placeholder route that only raises; near miss: one that also returns",
        ),
        Valid(
            "from flask import Flask\n\n"
            "app = Flask(__name__)\n\n\n"
            "class Client:\n"
            "    def get(self, path): ...\n\n\n"
            "client = Client()\n\n\n"
            "@app.get('/users')\n"
            "def users():\n"
            "    return []\n\n\n"
            "@client.get('/users')\n"
            "def fetch():\n"
            "    return []\n\n\n"
            "def helper():\n"
            "    return {}\n",
            note="`.get` on a Flask app or a project object is no path operation",
        ),
        Valid(
            "from fastapi import FastAPI\n\n"
            "app = FastAPI()\n\n\n"
            "@app.get('/items')\n"
            "def items():\n"
            "    return []\n",
            path="tests/test_items.py",
            note="a test app",
        ),
    )

    def __init__(self) -> None:
        self._quiet = False
        """A test file, never reported: what its functions return is not followed."""
        self._responses: dict[int, set[str]] = {}
        """Function id -> its parameters and locals shown to hold a response."""
        self._returning: set[int] = set()
        """Functions that return a response object."""
        self._requests: dict[int, set[str]] = {}
        """Function id -> its parameters annotated with `Request`."""

    def visit_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        self._quiet = is_test_file(ctx)

    def visit_FunctionDef(self, node: ast.FunctionDef, ctx: RuleContext) -> None:
        if not self._quiet:
            self._function(node, ctx)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: RuleContext) -> None:
        if not self._quiet:
            self._function(node, ctx)

    def visit_Assign(self, node: ast.Assign, ctx: RuleContext) -> None:
        if self._quiet:
            return
        for target in node.targets:
            self._assigned(target, node.value, ctx)

    def visit_AnnAssign(self, node: ast.AnnAssign, ctx: RuleContext) -> None:
        if self._quiet:
            return
        self._assigned(node.target, node.value, ctx, self._is_response_type(node.annotation, ctx))

    def visit_Return(self, node: ast.Return, ctx: RuleContext) -> None:
        if self._quiet:
            return
        functions = ctx.functions()
        if functions and node.value is not None and self._is_response(node.value, ctx):
            self._returning.add(id(functions[0]))

    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        if self._quiet:
            return
        for function, operations in ctx.routes.handlers():
            http = [operation for operation in operations if not operation.websocket]
            if not http or function.returns is not None or id(function) in self._returning:
                continue
            if _always_raises(function):
                continue  # `raise HTTPException(501)` for every path: nothing to model
            if all(
                operation.keyword("response_model") is not None
                or operation.keyword("response_class") is not None
                or operation.has_unpacked_keywords
                for operation in http
            ):
                continue
            start, end = function_name_span(function, ctx)
            ctx.report_span(self, start, end, name=function.name)

    def _function(self, node: Function, ctx: RuleContext) -> None:
        arguments = node.args
        for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            if self._is_response_type(arg.annotation, ctx):
                self._responses.setdefault(id(node), set()).add(arg.arg)
            elif single_type(arg.annotation, ctx.qualified) in _REQUESTS:
                self._requests.setdefault(id(node), set()).add(arg.arg)

    def _library_handler(self, call: ast.Call, ctx: RuleContext) -> bool:
        """`await slack_handler.handle(req)`: a route that takes the raw request returns
        what a library's handler (a module-level object of a library class) makes of it:
        a pass-through of a webhook, whose response the library builds."""
        functions = ctx.functions()
        if not functions or not self._requests.get(id(functions[0])):
            return False
        callee = ctx.qualified(call.func)
        if callee is None or not isinstance(call.func, ast.Attribute):
            return False  # a library function (`run_in_threadpool(f)`) returns f's data
        made_by = ctx.index.instance_of(callee.rpartition(".")[0])
        return made_by is not None and ctx.index.module_of(made_by) is None

    def _assigned(
        self, target: ast.expr, value: ast.expr | None, ctx: RuleContext, typed: bool = False
    ) -> None:
        """`response = JSONResponse(...)`, `response: RedirectResponse = await make()`."""
        functions = ctx.functions()
        if not functions or not isinstance(target, ast.Name):
            return
        names = self._responses.setdefault(id(functions[0]), set())
        if typed or (value is not None and self._is_response(value, ctx)):
            names.add(target.id)
        elif value is not None:
            names.discard(target.id)

    @staticmethod
    def _is_response_type(annotation: ast.expr | None, ctx: RuleContext) -> bool:
        kind = single_type(annotation, ctx.qualified)
        return kind is not None and returns_response_class(kind, ctx)

    def _is_response(self, value: ast.expr, ctx: RuleContext) -> bool:
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.IfExp):
            return self._is_response(value.body, ctx) or self._is_response(value.orelse, ctx)
        if isinstance(value, ast.Name):
            scope = ctx.names.binding_scope(value.id)
            return scope is not None and value.id in self._responses.get(id(scope.node), ())
        if not isinstance(value, ast.Call):
            return False
        if template_response(value):
            return True
        if not isinstance(value.func, ast.Name | ast.Attribute):
            return False
        if any(self._is_response(arg, ctx) for arg in value.args if isinstance(arg, ast.Name)):
            return True  # a response built here, passed through a helper and returned
        if self._library_handler(value, ctx):
            return True
        callee = ctx.qualified(value.func)
        if callee is None:
            return False
        made = ctx.index.function(callee)
        if made is not None and made.produces is not None:
            # a project function whose return annotation is a response class
            return returns_response_class(made.produces, ctx)
        return returns_response_class(callee, ctx)
