from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import ClassVar, Final

from layercheck.annotations import depends_provider
from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.routes._helpers import (
    hands_out_new_session,
    produces_session,
    session_opening,
)
from layercheck.semantic.routes import Function, PathOperation
from layercheck.semantic.sessions import Origin, annotation_is_session, provides_session

_ROUTE_MODULE_HELPERS: Final = (
    "from fastapi import APIRouter, BackgroundTasks, FastAPI, WebSocket\n\n"
    "from app.core.database import SessionLocal\n\n"
    "router = APIRouter()\n"
    "app = FastAPI()\n\n\n"
    "def send_report(user_id: int) -> None:\n"
    "    with SessionLocal() as db:\n"
    "        ReportService(db).send(user_id)\n\n\n"
    "@app.on_event('startup')\n"
    "def seed() -> None:\n"
    "    with SessionLocal() as db:\n"
    "        init_db(db)\n\n\n"
    "@router.post('/reports')\n"
    "def report(user_id: int, tasks: BackgroundTasks) -> None:\n"
    "    def later() -> None:\n"
    "        with SessionLocal() as db:\n"
    "            ReportService(db).send(user_id)\n\n"
    "    tasks.add_task(send_report, user_id)\n"
    "    tasks.add_task(later)\n\n\n"
    "@router.websocket('/ws')\n"
    "async def ws(websocket: WebSocket) -> None:\n"
    "    async for message in websocket.iter_json():\n"
    "        with SessionLocal() as db:\n"
    "            handle(db, message)\n"
)


_HEALTH_WORDS: Final = frozenset(
    {"health", "healthz", "healthcheck", "readiness", "readyz", "liveness", "livez"}
    | {"ping", "heartbeat"}
)


def _health_check(function: Function, operations: tuple[PathOperation, ...]) -> bool:
    """A health check, by its path (`/health/database`, `/readyz`) or its name
    (`database_health`): it opens sessions to probe each pool or bind on purpose, apart
    from the request's unit of work."""
    if _HEALTH_WORDS & set(function.name.lower().split("_")):
        return True
    for operation in operations:
        call = operation.call
        first = call.args[0] if call.args else None
        for keyword in call.keywords:
            if keyword.arg == "path":
                first = keyword.value
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            words = re.split(r"[/_.{}-]+", first.value.lower())
            if _HEALTH_WORDS & set(words):
                return True
    return False


def _takes_session(function: Function, ctx: RuleContext) -> bool:
    """Some parameter is the request's session (its annotation, or its `Depends`)."""
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    pairs = [
        *zip(positional, [*defaults, *arguments.defaults], strict=True),
        *zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True),
    ]
    for arg, default in pairs:
        provider = depends_provider(default, ctx.qualified)
        if annotation_is_session(arg.annotation, ctx) or (
            provider is not None and provides_session(provider, ctx.index)
        ):
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Opening:
    call: ast.Call
    function: Function
    label: str


class RouteOpensSession(Rule):
    """## What it does
    Checks for a route handler, or a dependency other than the session provider, that
    opens its own database session instead of receiving the request's session from
    `Depends(...)`.

    ## Why is this bad?
    A session opened by hand escapes the request's unit of work: it is a second
    connection from the pool, its changes commit (or not) apart from the request's
    transaction, tests cannot swap it with `app.dependency_overrides`, and an early
    return or an exception can leak it. One session per request, handed out by a
    `Depends(get_async_session)` provider that owns its lifetime, keeps the transaction,
    the cleanup and the test override in one place.

    ## Example
    ```python
    # file: app/core/database.py
    from sqlalchemy.ext.asyncio import async_sessionmaker

    async_session_factory = async_sessionmaker(engine, expire_on_commit=False)

    # file: app/routes/users.py
    from fastapi import APIRouter

    from app.core.database import async_session_factory

    router = APIRouter()


    @router.get("/users/{user_id}", response_model=UserResponse)
    async def get_user(user_id: int):
        async with async_session_factory() as session:
            return await UserService(session).get_user(user_id)
    ```

    ## Use instead
    ```python
    # file: app/core/database.py
    from sqlalchemy.ext.asyncio import async_sessionmaker

    async_session_factory = async_sessionmaker(engine, expire_on_commit=False)


    async def get_async_session():
        async with async_session_factory() as session, session.begin():
            yield session

    # file: app/routes/users.py
    from fastapi import APIRouter, Depends
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.core.database import get_async_session

    router = APIRouter()


    @router.get("/users/{user_id}", response_model=UserResponse)
    async def get_user(user_id: int, session: AsyncSession = Depends(get_async_session)):
        return await UserService(session).get_user(user_id)
    ```

    ## Details
    Opening a session means calling a project session factory (`SessionLocal()`,
    `async_session_factory()`, `factory.begin()` for a `sessionmaker` /
    `async_sessionmaker` instance, any import path or alias), `Session(engine)` /
    `AsyncSession(engine)`, `sessionmaker(...)()`, or calling a session provider
    directly (`next(get_db())`, `async with get_session() as s`), also as
    `with ... as db` / `async with ... as s`.

    Checked are path-operation handlers (HTTP routes; a WebSocket handler may open a
    short session per message and is left alone) and `Depends` providers used in the
    route module, and every function of the dependencies layer (`app/api/deps.py`,
    `app/dependencies/`). The session provider itself is exempt: a function that yields
    or returns the session it opens (`async with factory() as s: yield s`,
    `db = SessionLocal(); try: yield db`), or whose return annotation promises a session
    (`-> AsyncIterator[AsyncSession]`), wherever it lives. Other functions of a route
    module (startup hooks, background tasks, helpers) are not request handlers and may
    open a session of their own, as may functions nested in a handler (a background task
    must not reuse the request's session); services and repositories are LC508's. A
    health check (a path segment or a name word `health`, `healthz`, `readyz`,
    `liveness`, `ping`, ...: `/health/database`, `database_health`) that already takes
    the request's session and opens another probes a second pool (a read replica) on
    purpose, and is left alone; one that takes none opens what `Depends` would give.

    ## Leaves to
    A service or repository that opens its own session: LC508.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SESSIONS, Need.ROUTES})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC303",
        name="route-opens-session",
        message="{kind} `{name}` opens its own session with `{call}`; take the request's "
        "session from `Depends()`",
        layers=frozenset({Layer.ROUTES, Layer.DEPENDENCIES}),
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                "app/core/database.py": "from sqlalchemy.ext.asyncio import async_sessionmaker\n\n"
                "async_session_factory = async_sessionmaker(engine, expire_on_commit=False)\n",
                "app/routes/users.py": "from fastapi import APIRouter\n\n"
                "from app.core.database import async_session_factory as factory\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users/{user_id}')\n"
                "async def get_user(user_id: int) -> User:\n"
                "    async with factory() as session:  # error: 16\n"
                "        return await UserService(session).get_user(user_id)\n\n\n"
                "@router.post('/users')\n"
                "async def create_user(data: UserCreate) -> User:\n"
                "    async with factory.begin() as session:  # error\n"
                "        return await UserService(session).create_user(data)\n",
            },
            note="an aliased async_sessionmaker instance from another module; `.begin()`",
        ),
        Invalid(
            "import fastapi\n"
            "import sqlalchemy.orm as orm\n"
            "from sqlmodel import Session\n\n"
            "router = fastapi.APIRouter()\n"
            "engine = make_engine()\n\n\n"
            "class ItemsView:\n"
            "    @router.get(\n"
            "        '/items',\n"
            "    )\n"
            "    def list_items(self) -> list[Item]:\n"
            "        with Session(engine) as session:  # error\n"
            "            return ItemService(session).list()\n\n"
            "    @router.delete('/items/{item_id}')\n"
            "    def delete_item(self, item_id: int) -> None:\n"
            "        session = orm.sessionmaker(bind=engine)()  # error\n"
            "        ItemService(session).delete(item_id)\n",
            path="app/api/items.py",
            note="class-based view, multi-line decorator, `Session(engine)`, "
            "`sessionmaker(...)()`, `import pkg as alias`",
        ),
        Invalid(
            {
                "app/core/database.py": "from sqlalchemy.orm import sessionmaker\n\n"
                "SessionLocal = sessionmaker(bind=engine)\n\n\n"
                "def get_db():\n"
                "    db = SessionLocal()\n"
                "    try:\n"
                "        yield db\n"
                "    finally:\n"
                "        db.close()\n",
                "app/api/deps.py": "from fastapi import Depends\n\n"
                "from app.core.database import SessionLocal, get_db\n\n\n"
                "def get_current_user(token: str = Depends(oauth2)) -> User:\n"
                "    db = SessionLocal()  # error\n"
                "    return UserService(db).from_token(token)\n\n\n"
                "def get_user_service():\n"
                "    db = next(get_db())  # error\n"
                "    return UserService(db)\n",
            },
            note="dependencies layer (`app/api/deps.py`); calling the provider directly",
        ),
        Invalid(
            "from fastapi import Depends, FastAPI\n"
            "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n\n"
            "app = FastAPI()\n"
            "factory = async_sessionmaker(engine)\n\n\n"
            "async def current_user(token: str = Depends(oauth2)) -> User:\n"
            "    async with AsyncSession(engine) as session:  # error\n"
            "        return await load_user(session, token)\n\n\n"
            "@app.get('/me')\n"
            "async def me(user: User = Depends(current_user)) -> User:\n"
            "    return user\n\n\n"
            "async def ping() -> dict:\n"
            "    async with factory() as session:  # error\n"
            "        await session.execute(text('SELECT 1'))\n"
            "    return {}\n\n\n"
            "app.add_api_route('/ping', ping)\n",
            path="app/main.py",
            note="a route module by content; a Depends provider defined in it; "
            "add_api_route; a health check is a route too",
        ),
        Valid(
            {
                "app/core/database.py": "from collections.abc import AsyncIterator\n\n"
                "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n\n"
                "factory = async_sessionmaker(engine, expire_on_commit=False)\n\n\n"
                "async def get_async_session() -> AsyncIterator[AsyncSession]:\n"
                "    async with factory() as session, session.begin():\n"
                "        yield session\n",
                "app/api/deps.py": "from sqlmodel import Session\n\n"
                "from app.core.database import factory, get_async_session\n\n\n"
                "def get_db():\n"
                "    with Session(engine) as session:\n"
                "        yield session\n\n\n"
                "async def get_session():\n"
                "    async for session in get_async_session():\n"
                "        yield session\n\n\n"
                "def new_session():\n"
                "    return factory()\n",
                "app/routes/users.py": "from fastapi import APIRouter, Depends\n\n"
                "from app.core.database import get_async_session\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users')\n"
                "async def users(session=Depends(get_async_session)) -> list[User]:\n"
                "    return await UserService(session).list()\n",
            },
            note="session providers in the dependencies layer yield or return the "
            "session they open; the route takes it from Depends",
        ),
        Valid(
            {
                "app/core/database.py": "from sqlalchemy.orm import sessionmaker\n\n"
                "SessionLocal = sessionmaker(bind=engine)\n",
                "app/routes/reports.py": _ROUTE_MODULE_HELPERS,
            },
            note="background tasks, startup hooks, a nested task function, a websocket",
        ),
        Invalid(
            {
                "app/core/database.py": "from sqlalchemy.orm import sessionmaker\n\n"
                "SessionLocal = sessionmaker(bind=engine)\n"
                "ReadonlySession = sessionmaker(bind=replica)\n\n\n"
                "def get_db():\n"
                "    with SessionLocal() as db:\n"
                "        yield db\n",
                "app/routes/status.py": "from fastapi import APIRouter, Depends\n"
                "from sqlalchemy import text\n"
                "from sqlalchemy.orm import Session\n\n"
                "from app.core.database import ReadonlySession, SessionLocal, get_db\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/health/database')\n"
                "def pools(db: Session = Depends(get_db)) -> dict:\n"
                "    db.execute(text('SELECT 1'))\n"
                "    with ReadonlySession() as replica:\n"
                "        replica.execute(text('SELECT 1'))\n"
                "    return {'replica': 'healthy'}\n\n\n"
                "@router.get('/readyz')\n"
                "def ready() -> dict:\n"
                "    with SessionLocal() as db:  # error: 10\n"
                "        db.execute(text('SELECT 1'))\n"
                "    return {}\n\n\n"
                "@router.get('/status/reports')\n"
                "def reports() -> list:\n"
                "    with SessionLocal() as db:  # error: 10\n"
                "        return list(db.execute(text('SELECT * FROM report')))\n",
            },
            note="a health check that takes the request's session probes the replica on "
            "purpose; near misses: one that takes none, a `status` path that serves data",
        ),
        Valid(
            "import requests\n"
            "from aiohttp import ClientSession\n"
            "from fastapi import APIRouter\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/proxy')\n"
            "async def proxy() -> dict:\n"
            "    with requests.Session() as http:\n"
            "        http.get('https://example.com')\n"
            "    async with ClientSession() as client:\n"
            "        return await (await client.get('https://example.com')).json()\n",
            note="HTTP client sessions are not database sessions",
        ),
        Valid(
            "from fastapi import APIRouter\n"
            "from sqlalchemy.orm import Session\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/users')\n"
            "def users() -> list[User]:\n"
            "    with Session(engine) as session:\n"
            "        return session.scalars(select(User)).all()\n",
            path="tests/test_users.py",
            note="tests have no layer",
        ),
    )

    def __init__(self) -> None:
        self._depends: set[str] = set()
        """Providers named by `Depends(...)` in this module (qualified)."""
        self._qualified: dict[int, str] = {}
        """Module-level functions -> their qualified names."""
        self._providers: set[int] = set()
        self._openings: list[_Opening] = []

    # -- collect ---------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef, ctx: RuleContext) -> None:
        self._function(node, ctx)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: RuleContext) -> None:
        self._function(node, ctx)

    def _function(self, node: Function, ctx: RuleContext) -> None:
        if isinstance(ctx.parent, ast.Module):
            qualified = f"{ctx.module}.{node.name}"
            self._qualified[id(node)] = qualified
            if provides_session(qualified, ctx.index):
                self._providers.add(id(node))
        if produces_session(node, ctx):
            self._providers.add(id(node))

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        provider = depends_provider(node, ctx.qualified)
        if provider is not None:
            self._depends.add(provider)
            return
        functions = ctx.functions()
        if not functions:
            return
        label = session_opening(node, ctx)
        if label is not None:
            self._openings.append(_Opening(node, functions[0], label))

    def visit_Return(self, node: ast.Return, ctx: RuleContext) -> None:
        self._handed_out(node.value, ctx)

    def visit_Yield(self, node: ast.Yield, ctx: RuleContext) -> None:
        self._handed_out(node.value, ctx)

    def visit_YieldFrom(self, node: ast.YieldFrom, ctx: RuleContext) -> None:
        self._handed_out(node.value, ctx)

    def _handed_out(self, value: ast.expr | None, ctx: RuleContext) -> None:
        """`yield session` / `return db` of a session the function opened: a provider."""
        functions = ctx.functions()
        if not functions or value is None:
            return
        function = functions[0]
        if isinstance(value, ast.Name):
            opened = ctx.sessions.origin(value, ctx) is Origin.OPENED
        else:
            opened = hands_out_new_session(value, ctx)
        if opened:
            self._providers.add(id(function))

    # -- decide ----------------------------------------------------------------------------
    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        ctx.routes.handlers()  # resolves add_api_route registrations
        for opening in self._openings:
            function = opening.function
            if id(function) in self._providers:
                continue
            kind = self._kind(function, ctx)
            if kind is not None:
                ctx.report(self, opening.call, kind=kind, name=function.name, call=opening.label)

    def _kind(self, function: Function, ctx: RuleContext) -> str | None:
        """`route handler` / `dependency` when the function is checked, else None."""
        operations = ctx.routes.operations(function)
        if operations:
            if all(operation.websocket for operation in operations):
                return None
            if _health_check(function, operations) and _takes_session(function, ctx):
                return None
            return "route handler"
        if ctx.layer is Layer.DEPENDENCIES:
            return "dependency"
        qualified = self._qualified.get(id(function))
        if qualified is not None and qualified in self._depends:
            return "dependency"
        return None
