from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar

from layercheck.layers import Layer
from layercheck.rules._base import (
    Example,
    Invalid,
    Need,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
    last_names,
)
from layercheck.semantic.routes import Function
from layercheck.semantic.sessions import (
    QUERY_METHODS,
    STATEMENT_BUILDERS,
    STATEMENT_RUNNERS,
    is_sql_ping,
)


@dataclass(slots=True)
class _Query:
    """A call that may run a query; decided once the whole module has been seen."""

    node: ast.Call
    label: str
    ping: bool
    """Part of a `SELECT 1` health check."""
    runs: bool = True
    """False for a call on something not shown to be a session."""
    functions: tuple[Function, ...] = ()
    """The functions whose body holds the call, innermost first."""
    outer: _Query | None = None
    """The nearest enclosing candidate call (`session.execute(select(X))`)."""


class RouteQueriesDatabase(Rule):
    """## What it does
    Checks for a route handler that runs queries itself, on a session or by building
    SQLAlchemy statements.

    ## Why is this bad?
    Queries in a handler bypass the service and repository layers: business rules are
    skipped, the same query gets copied into several handlers, and the handler can only
    be tested with a database. Keep handlers to HTTP concerns and call a service, which
    calls a repository that owns the query.

    ## Example
    ```python
    from fastapi import APIRouter, Depends
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.core.database import get_async_session
    from app.models.user import User

    router = APIRouter()


    @router.get("/users/{user_id}")
    async def get_user(user_id: int, session: AsyncSession = Depends(get_async_session)):
        result = await session.execute(select(User).where(User.id == user_id))
        return result.scalar_one_or_none()
    ```

    ## Use instead
    ```python
    from fastapi import APIRouter, Depends

    from app.dependencies.services import get_user_service
    from app.services.user_service import UserService

    router = APIRouter()


    @router.get("/users/{user_id}")
    async def get_user(user_id: int, service: UserService = Depends(get_user_service)):
        return await service.get_user(user_id)
    ```

    ## Details
    The calls reported are
    `execute`/`scalars`/`scalar`/`get`/`add`/`delete`/`merge`/`flush`/`refresh` (and
    sqlmodel's `exec`) on a session, and statements built with SQLAlchemy's or
    sqlmodel's `select()`/`insert()`/`update()`/`delete()`/`text()`.

    A route handler is a function decorated with a path operation (`@router.get(...)`)
    of an `APIRouter` or `FastAPI` instance, or registered with `add_api_route`, and
    the functions nested in it. A session is a parameter annotated with SQLAlchemy's
    `Session`/`AsyncSession` (any import path or alias, `Optional`, `Annotated[...]`, or
    a type alias such as `SessionDep = Annotated[Session, Depends(get_db)]`, defined in
    the module or imported from another project module), or a local variable set from
    `Session(...)`, `AsyncSession(...)` or a project `sessionmaker` /
    `async_sessionmaker` instance. A variable's name alone proves nothing, and
    `requests.Session` or `aiohttp.ClientSession` are not sessions.

    Each call is reported once: a query call nested in another one
    (`session.execute(select(User))`) is reported as the outermost call only. A health
    check whose only queries are `text("SELECT 1")`, `select(1)` or `select(literal(1))`
    (on a session or a connection) is quiet; a handler that also runs other queries is
    reported in full.

    Where the facts cannot show a session, the rule stays quiet: an unannotated
    `Depends(get_db)` parameter and `self.session` attributes are not followed, so
    such a handler is reported only for the statements it builds.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SESSIONS, Need.ROUTES})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC103",
        name="route-queries-database",
        message="route handler `{handler}` runs `{call}` itself; call a service instead",
        layers=frozenset({Layer.ROUTES}),
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                "app/core/database.py": "from sqlalchemy.orm import sessionmaker\n\n"
                "SessionLocal = sessionmaker(autoflush=False)\n\n\n"
                "def get_db():\n"
                "    db = SessionLocal()\n"
                "    try:\n"
                "        yield db\n"
                "    finally:\n"
                "        db.close()\n",
                "app/routes/users.py": "from fastapi import APIRouter, Depends\n\n"
                "from ..core.database import get_db\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users/{user_id}')\n"
                "def read_user(user_id: int, db=Depends(get_db)):\n"
                "    return db.get(User, user_id)  # error\n",
            },
            note="an unannotated parameter from a provider that yields a session",
        ),
        Invalid(
            {
                "app/core/db.py": "from collections.abc import AsyncIterator\n\n"
                "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
                "async def get_session() -> AsyncIterator[AsyncSession]:\n"
                "    ...\n",
                "app/api/routes/items.py": "from typing import Annotated\n\n"
                "from fastapi import APIRouter, Depends\n\n"
                "from app.core.db import get_session\n\n"
                "router = APIRouter()\n"
                "Db = Annotated[object, Depends(get_session)]\n\n\n"
                "@router.delete('/items/{item_id}')\n"
                "async def remove(item_id: int, db: Db) -> None:\n"
                "    await db.delete(item_id)  # error\n",
            },
            note="an alias whose provider is annotated to yield an AsyncSession",
        ),
        Invalid(
            "from fastapi import APIRouter, Depends\n"
            "from sqlalchemy import select\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/users/{user_id}')\n"
            "async def get_user(user_id: int, session: AsyncSession = Depends(get_db)):\n"
            "    result = await session.execute(  # error: 20\n"
            "        select(User).where(User.id == user_id)\n"
            "    )\n"
            "    return result.scalar_one_or_none()\n",
            note="the outermost call is reported, not the select() inside it",
        ),
        Invalid(
            "from typing import Annotated\n\n"
            "import fastapi as f\n"
            "from sqlmodel import Session, select\n\n"
            "SessionDep = Annotated[Session, f.Depends(get_db)]\n"
            "router = f.APIRouter()\n\n\n"
            "@router.post('/items/')\n"
            "def create_item(session: SessionDep, item: Item):\n"
            "    session.add(item)  # error\n"
            "    session.commit()\n"
            "    session.refresh(item)  # error\n"
            "    return item\n\n\n"
            "@router.get('/items/')\n"
            "def read_items(session: SessionDep):\n"
            "    statement = select(Item)  # error\n"
            "    return session.exec(statement).all()  # error\n",
            note="full-stack-fastapi-template: a module-level `SessionDep` alias, sqlmodel",
        ),
        Invalid(
            "from typing import TYPE_CHECKING\n\n"
            "import fastapi\n"
            "import sqlalchemy as sa\n"
            "import sqlalchemy.orm\n\n"
            "if TYPE_CHECKING:\n"
            "    from sqlmodel.ext.asyncio.session import AsyncSession\n\n"
            "router = fastapi.APIRouter()\n\n\n"
            "@router.post('/events')\n"
            "def add_event(db, payload: dict):\n"
            "    db.execute(\n"
            "        sa.insert(events).values(**payload)  # error\n"
            "    )\n\n\n"
            "@router.get('/events/{event_id}')\n"
            "def get_event(event_id: int, session: sqlalchemy.orm.Session):\n"
            "    return session.get(Event, event_id)  # error\n\n\n"
            "@router.delete('/events/{event_id}')\n"
            "async def delete_event(event_id: int, session: 'AsyncSession'):\n"
            "    await session.delete(await session.get(Event, event_id))  # error\n",
            note="an unannotated `db` is no session, but the insert() it builds is reported; "
            "`import pkg.mod`; a quoted type imported under TYPE_CHECKING",
        ),
        Invalid(
            "from typing import Annotated, Optional\n\n"
            "from fastapi import Depends, FastAPI\n"
            "from sqlalchemy.ext.asyncio.session import AsyncSession as AS\n"
            "from sqlalchemy.sql.expression import delete, text\n\n"
            "app = FastAPI()\n\n\n"
            "@app.delete('/items/{item_id}')\n"
            "async def drop(item_id: int, db: Annotated[AS, Depends(get_db)]):\n"
            "    async def inner():\n"
            "        await db.execute(delete(Item))  # error\n\n"
            "    await inner()\n\n\n"
            "@app.get('/health')\n"
            "async def health(db: 'Optional[AS]' = Depends(get_db)):\n"
            "    await db.execute(text('SELECT 1'))  # error\n"
            "    return await db.scalar(text('SELECT count(*) FROM users'))  # error\n",
            path="app/main.py",
            note="a FastAPI app (route module by content), Annotated, a nested function, "
            "a health check that also queries",
        ),
        Invalid(
            {
                "app/api/router.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
                "app/core/database.py": "from sqlalchemy.orm import sessionmaker\n\n"
                "SessionLocal = sessionmaker(bind=engine)\n",
                "app/api/routes/users.py": "from sqlalchemy.orm import Session\n\n"
                "from app.core.database import SessionLocal\n"
                "from ..router import router\n\n\n"
                "@router.get('/users')\n"
                "def list_users(db: Session | None = None):\n"
                "    return db.get(User, 1)  # error\n\n\n"
                "def count_users():\n"
                "    with SessionLocal() as session:\n"
                "        return session.scalar(count_query)  # error\n\n\n"
                "router.add_api_route('/users/count', count_users)\n",
            },
            note="an imported router, `X | None`, a session from a project sessionmaker, "
            "a handler registered with add_api_route",
        ),
        Invalid(
            {
                "app/api/deps.py": "from typing import Annotated\n\n"
                "from fastapi import Depends\n"
                "from sqlmodel import Session\n\n"
                "SessionDep = Annotated[Session, Depends(get_db)]\n",
                "dispatch/database/core.py": "from typing import Annotated\n\n"
                "from fastapi import Depends\n"
                "from sqlalchemy.orm import Session\n\n"
                "DbSession = Annotated[Session, Depends(get_db)]\n",
                "app/api/routes/items.py": "from fastapi import APIRouter\n\n"
                "from app.api.deps import SessionDep\n"
                "from dispatch.database.core import DbSession\n\n"
                "router = APIRouter()\n\n\n"
                "@router.delete('/items/{item_id}')\n"
                "def delete_item(session: SessionDep, db_session: DbSession, item_id: int):\n"
                "    item = session.get(Item, item_id)  # error\n"
                "    db_session.merge(item)  # error\n",
            },
            note="type aliases imported from other modules "
            "(full-stack-fastapi-template's `SessionDep`, dispatch's `DbSession`)",
        ),
        Valid(
            "from fastapi import APIRouter, Depends\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/a')\n"
            "async def a(db: AsyncSession = Depends(get_db)):\n"
            "    for db in clients:\n"
            "        await db.execute(q)\n\n\n"
            "@router.get('/b')\n"
            "async def b(db: AsyncSession = Depends(get_db)):\n"
            "    if db := other():\n"
            "        await db.execute(q)\n\n\n"
            "@router.get('/c')\n"
            "async def c(db: AsyncSession = Depends(get_db)):\n"
            "    db, extra = make_client(), 1\n"
            "    await db.execute(q)\n",
            note="the session's name rebound by a loop, a walrus and a tuple assignment; "
            "what `db` holds afterwards is not shown to be a session",
        ),
        Valid(
            "from fastapi import APIRouter, Depends\n\n"
            "from app.services.user_service import UserService\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/users/{user_id}')\n"
            "async def get_user(user_id: int, service: UserService = Depends()):\n"
            "    return await service.get_user(user_id)\n",
            note="the handler calls a service",
        ),
        Valid(
            "import aiohttp\n"
            "import requests\n"
            "from fastapi import APIRouter\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/proxy')\n"
            "async def proxy(db, http: requests.Session, client: aiohttp.ClientSession):\n"
            "    db.execute(query)\n"
            "    http.get('https://example.com')\n"
            "    return await client.get('https://example.com')\n",
            note="a variable's name is not a session; HTTP sessions are not sessions",
        ),
        Valid(
            "from fastapi import APIRouter, Depends\n"
            "from sqlalchemy import text\n"
            "from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine\n\n"
            "router = APIRouter()\n"
            "engine = create_async_engine('sqlite+aiosqlite://')\n\n\n"
            "@router.get('/health')\n"
            "async def health(session: AsyncSession = Depends(get_db)):\n"
            "    await session.execute(text(' select  1; '))\n"
            "    return {'ok': True}\n\n\n"
            "@router.get('/health/engine')\n"
            "async def engine_health():\n"
            "    async with engine.connect() as conn:\n"
            "        await conn.execute(text('SELECT 1'))\n",
            note="health checks that only run SELECT 1",
        ),
        Valid(
            "import sqlalchemy as sa\n"
            "from fastapi import APIRouter, Depends\n"
            "from sqlalchemy import literal, select\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/health')\n"
            "async def health(session: AsyncSession = Depends(get_db)):\n"
            "    await session.execute(select(1))\n"
            "    return {'ok': True}\n\n\n"
            "@router.get('/ready')\n"
            "async def ready(session: AsyncSession = Depends(get_db)):\n"
            "    await session.scalar(sa.select(sa.literal(1)))\n"
            "    return {'ok': True}\n",
            note="health checks that run `select(1)` and `select(literal(1))`",
        ),
        Invalid(
            "from fastapi import APIRouter, Depends\n"
            "from sqlalchemy import select\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/health')\n"
            "async def health(session: AsyncSession = Depends(get_db)):\n"
            "    await session.execute(select(2))  # error\n"
            "    return {'ok': True}\n",
            note="near miss: `select(2)` is no health-check ping",
        ),
        Invalid(
            "from fastapi import APIRouter, Depends\n"
            "from sqlalchemy import literal, select\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/exists')\n"
            "async def exists(session: AsyncSession = Depends(get_db)):\n"
            "    return await session.scalar(select(literal(True)))  # error\n",
            note="near miss: `select(literal(True))` is an existence query, not a ping",
        ),
        Valid(
            "from fastapi import APIRouter\n"
            "from sqlalchemy import delete, select\n"
            "from sqlalchemy.orm import Session\n\n"
            "router = APIRouter()\n\n\n"
            "def load_users(session: Session):\n"
            "    return session.scalars(select(User)).all()\n\n\n"
            "@router.delete('/items/{item_id}')\n"
            "def remove(item_id: int, delete: ItemDeleter = Depends()):\n"
            "    return delete(item_id)\n",
            note="a helper that is not a handler; a parameter shadows sqlalchemy's delete",
        ),
        Valid(
            {
                "app/api/deps.py": "from typing import Annotated\n\n"
                "import redis\n"
                "import requests\n"
                "from fastapi import Depends\n\n"
                "CacheDep = Annotated[redis.Redis, Depends(get_cache)]\n"
                "HttpDep = Annotated[requests.Session, Depends(get_http)]\n",
                "app/api/routes/items.py": "from fastapi import APIRouter\n\n"
                "from app.api.deps import CacheDep, HttpDep\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/items/{item_id}')\n"
                "def read_item(cache: CacheDep, http: HttpDep, item_id: int):\n"
                "    return cache.get(item_id) or http.get(f'/items/{item_id}')\n",
            },
            note="imported type aliases that are not sessions",
        ),
        Valid(
            "from flask import Flask\n"
            "from sqlalchemy.orm import Session\n\n"
            "app = Flask(__name__)\n\n\n"
            "@app.get('/users')\n"
            "def users(session: Session):\n"
            "    return session.execute(query)\n",
            note="`.get` on something that is not an APIRouter or FastAPI app",
        ),
        Valid(
            {
                "app/api/deps.py": "from fastapi import Depends\n"
                "from sqlalchemy.orm import Session\n\n\n"
                "def get_current_user(session: Session = Depends(get_db)):\n"
                "    return session.get(User, 1)\n",
                "tests/api/test_users.py": "from fastapi import APIRouter\n"
                "from sqlalchemy.orm import Session\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users')\n"
                "def users(session: Session):\n"
                "    return session.execute(query)\n",
            },
            note="app/api/deps.py is the dependencies layer; tests have no layer",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = QUERY_METHODS | last_names(STATEMENT_BUILDERS)

    def __init__(self) -> None:
        self._queries: list[_Query] = []
        self._by_node: dict[int, _Query] = {}
        self._pings: dict[int, set[str]] = {}
        """Function id -> local names set to `text("SELECT 1")`."""

    # -- collect ---------------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign, ctx: RuleContext) -> None:
        for target in node.targets:
            self._assigned(target, node.value, ctx)

    def visit_AnnAssign(self, node: ast.AnnAssign, ctx: RuleContext) -> None:
        self._assigned(node.target, node.value, ctx)

    def _assigned(self, target: ast.expr, value: ast.expr | None, ctx: RuleContext) -> None:
        functions = ctx.functions()
        if (
            functions
            and isinstance(target, ast.Name)
            and value is not None
            and is_sql_ping(value, ctx)
        ):
            self._pings.setdefault(id(functions[0]), set()).add(target.id)

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        functions = ctx.functions()
        if not functions:
            return
        query = self._session_call(node, ctx) or self._builder_call(node, ctx)
        if query is None:
            return
        query.functions = tuple(functions)
        query.outer = next(
            (
                self._by_node[id(ancestor)]
                for ancestor in reversed(ctx.ancestors[:-1])
                if id(ancestor) in self._by_node
            ),
            None,
        )
        self._queries.append(query)
        self._by_node[id(node)] = query

    def _session_call(self, node: ast.Call, ctx: RuleContext) -> _Query | None:
        func = node.func
        if not (
            isinstance(func, ast.Attribute)
            and func.attr in QUERY_METHODS
            and isinstance(func.value, ast.Name)
        ):
            return None
        if not ctx.sessions.is_session(func.value, ctx):
            return None
        ping = False
        if func.attr in STATEMENT_RUNNERS and len(node.args) == 1:
            statement = node.args[0]
            if isinstance(statement, ast.Name):
                scope = ctx.names.binding_scope(statement.id)
                ping = scope is not None and statement.id in self._pings.get(id(scope.node), ())
            else:
                ping = is_sql_ping(statement, ctx)
        return _Query(node, f"{func.value.id}.{func.attr}()", ping)

    def _builder_call(self, node: ast.Call, ctx: RuleContext) -> _Query | None:
        callee = ctx.qualified(node.func)
        if callee is None or callee not in STATEMENT_BUILDERS:
            return None
        return _Query(node, ast.unparse(node.func) + "()", is_sql_ping(node, ctx))

    # -- decide ----------------------------------------------------------------------------
    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        by_handler: dict[int, tuple[Function, list[_Query]]] = {}
        for query in self._queries:
            if not self._runs_query(query, ctx) or self._inside_reported(query, ctx):
                continue
            handler = ctx.routes.innermost(query.functions)
            if handler is not None:
                by_handler.setdefault(id(handler), (handler, []))[1].append(query)
        for handler, queries in by_handler.values():
            if all(query.ping for query in queries):
                continue  # a health check
            for query in queries:
                ctx.report(self, query.node, handler=handler.name, call=query.label)

    def _runs_query(self, query: _Query, ctx: RuleContext) -> bool:
        return query.runs

    def _inside_reported(self, query: _Query, ctx: RuleContext) -> bool:
        """Nested in a call that runs a query itself: `session.execute(select(X))`."""
        outer = query.outer
        while outer is not None:
            if self._runs_query(outer, ctx):
                return True
            outer = outer.outer
        return False
