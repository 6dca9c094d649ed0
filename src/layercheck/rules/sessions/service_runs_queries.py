from __future__ import annotations

import ast
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
from layercheck.rules.sessions._helpers import Function, label
from layercheck.semantic.sessions import (
    QUERY_METHODS,
    STATEMENT_BUILDERS,
    STATEMENT_RUNNERS,
    is_sql_ping,
)


class ServiceRunsQueries(Rule):
    """## What it does
    Checks for a service that runs queries itself, on a session or by building
    SQLAlchemy statements, instead of calling a repository.

    ## Why is this bad?
    Services hold business rules; repositories own data access. A query in a service
    mixes the two: the same query gets copied into several services, the business rule
    can only be tested against a database, and changing a table means reading every
    service. Give the query a name in a repository method and call that.

    ## Example
    ```python
    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import AsyncSession


    class UserService:
        def __init__(self, session: AsyncSession) -> None:
            self._session = session

        async def get_user(self, user_id: int) -> User:
            result = await self._session.execute(select(User).where(User.id == user_id))
            return result.scalar_one()
    ```

    ## Use instead
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession


    class UserService:
        def __init__(self, session: AsyncSession) -> None:
            self.repo = UserRepository(session)

        async def get_user(self, user_id: int) -> User:
            user = await self.repo.get_by_id(user_id)
            if user is None:
                raise NotFoundError(f"User {user_id} not found")
            return user
    ```

    ## Details
    The calls are LC103's: `execute`/`scalars`/`scalar`/`get`/`add`/`delete`/`merge`/
    `flush`/`refresh` (and sqlmodel's `exec`) on a session, and statements built with
    SQLAlchemy's or sqlmodel's `select()`/`insert()`/`update()`/`delete()`/`text()`.
    `session.query(...)` is LC408's. Each call is reported once, at the outermost call
    (`session.execute(select(User))` is one finding). A function whose only queries are
    `text("SELECT 1")` (a health check) is quiet.

    The session is any value shown to be one (see LC103), including `self._session`
    set from the constructor and a session the service opened itself (LC508 reports
    the opening). A name alone (`db`) proves nothing, and `requests.Session` or
    `aiohttp.ClientSession` are not sessions.

    ## Leaves to
    `session.query(...)`: LC408. The session a service opened itself: LC508 reports the
    opening.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SESSIONS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC503",
        name="service-runs-queries",
        message="service `{function}` runs `{call}` itself; call a repository instead",
        layers=frozenset({Layer.SERVICES}),
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                "app/db.py": "from typing import TypeVar\n\n"
                "from sqlalchemy.orm import Session\n\n"
                "SessionT = TypeVar('SessionT', bound=Session)\n"
                "NameT = TypeVar('NameT', bound=str)\n",
                "app/services/report_service.py": "from app.db import NameT, SessionT\n\n\n"
                "def count(session: SessionT, name: NameT) -> int:\n"
                "    name.join([])\n"
                "    return session.scalar(count_query)  # error\n",
            },
            note="a TypeVar bound to a session (a TypeVar bound to `str` beside it)",
        ),
        Invalid(
            {
                "app/core/db.py": "from sqlalchemy import create_engine\n"
                "from sqlalchemy.orm import Session, sessionmaker\n\n"
                "engine = create_engine('sqlite://')\n"
                "session = Session(engine)\n"
                "SessionLocal = sessionmaker(bind=engine)\n"
                "scratch = SessionLocal()\n",
                "app/services/report_service.py": "import app.core.db as database\n"
                "from app.core.db import session\n\n\n"
                "def count_users() -> int:\n"
                "    return session.scalar(count_query)  # error\n\n\n"
                "def purge() -> None:\n"
                "    database.scratch.execute(purge_query)  # error\n",
            },
            note="module-level sessions of another module, imported by name and through the module",
        ),
        Valid(
            {
                "app/core/http.py": "import requests\n\nsession = requests.Session()\n",
                "app/services/feed_service.py": "from app.core.http import session\n\n\n"
                "def fetch(url: str):\n"
                "    return session.get(url)\n",
            },
            note="a module-level `requests.Session` is no database session",
        ),
        Invalid(
            "import sqlalchemy as sa\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "class OrderService:\n"
            "    def __init__(self, db: AsyncSession) -> None:\n"
            "        self._db = db\n\n"
            "    async def total(self, user_id: int) -> int:\n"
            "        return await self._db.scalar(  # error: 22\n"
            "            sa.select(sa.func.sum(Order.amount)).where(Order.user_id == user_id)\n"
            "        )\n\n"
            "    async def cancel(self, order):\n"
            "        stmt = sa.update(Order).values(status='cancelled')  # error\n"
            "        await self._db.delete(order)  # error\n",
            note="the outermost call only; a statement built on its own line; `self._db`",
        ),
        Invalid(
            {
                "app/core/db.py": "from sqlalchemy.orm import sessionmaker\n\n"
                "SessionLocal = sessionmaker()\n",
                "app/services/report_service.py": "from sqlalchemy import text\n\n"
                "from ..core.db import SessionLocal as Factory\n\n\n"
                "def nightly():\n"
                "    with Factory() as s:\n"
                "        s.execute(text('SELECT 1'))  # error\n"
                "        s.execute(text('DELETE FROM sessions'))  # error\n",
            },
            note="a session the service opened (a relative, aliased factory); a ping "
            "next to other queries is reported",
        ),
        Valid(
            "class UserService:\n"
            "    def __init__(self, session) -> None:\n"
            "        self.repo = UserRepository(session)\n\n"
            "    async def get_user(self, user_id):\n"
            "        return await self.repo.get(user_id)\n",
            note="the service calls a repository; `.get` on something that is no session",
        ),
        Valid(
            "import aiohttp\n"
            "import requests\n\n\n"
            "async def sync_profile(db, http: requests.Session, client: aiohttp.ClientSession):\n"
            "    db.execute(query)\n"
            "    http.get('https://example.com')\n"
            "    return await client.get('https://example.com')\n",
            note="names alone and HTTP sessions are not sessions",
        ),
        Valid(
            "from sqlalchemy import text\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "async def database_ready(session: AsyncSession) -> bool:\n"
            "    ping = text('select 1')\n"
            "    await session.execute(ping)\n"
            "    return True\n",
            note="a health check that only runs SELECT 1",
        ),
        Valid(
            "from sqlalchemy import select\n"
            "from sqlalchemy.orm import Session\n\n\n"
            "def by_email(session: Session, email: str):\n"
            "    return session.scalars(select(User).where(User.email == email)).first()\n",
            path="app/repositories/users.py",
            note="repositories run queries",
        ),
        Valid(
            "from sqlalchemy import select\n"
            "from sqlalchemy.orm import Session\n\n\n"
            "def test_users(session: Session) -> None:\n"
            "    assert session.scalars(select(User)).all() == []\n",
            path="tests/services/test_users.py",
            note="tests have no layer",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = QUERY_METHODS | last_names(STATEMENT_BUILDERS)

    def __init__(self) -> None:
        self._found: dict[int, list[tuple[ast.Call, str, bool]]] = {}
        """Function id -> (call, label, is a ping) of its outermost query calls."""
        self._calls: set[int] = set()
        self._pings: dict[int, set[str]] = {}
        """Function id -> local names set to `text("SELECT 1")`."""

    def visit_Assign(self, node: ast.Assign, ctx: RuleContext) -> None:
        functions = ctx.functions()
        if functions and is_sql_ping(node.value, ctx):
            names = self._pings.setdefault(id(functions[0]), set())
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        functions = ctx.functions()
        if not functions:
            return
        found = self._query(node, functions[0], ctx)
        if found is None:
            return
        self._calls.add(id(node))
        if any(id(ancestor) in self._calls for ancestor in ctx.ancestors[:-1]):
            return  # `session.execute(select(X))`: reported as the outer call
        self._found.setdefault(id(functions[0]), []).append((node, *found))

    def _query(
        self, node: ast.Call, function: Function, ctx: RuleContext
    ) -> tuple[str, bool] | None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in QUERY_METHODS
            and ctx.sessions.is_session(func.value, ctx)
        ):
            return f"{label(func)}()", self._runs_ping(node, function, ctx)
        callee = ctx.qualified(func)
        if callee is not None and callee in STATEMENT_BUILDERS:
            return f"{label(func)}()", is_sql_ping(node, ctx)
        return None

    def _runs_ping(self, node: ast.Call, function: Function, ctx: RuleContext) -> bool:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr in STATEMENT_RUNNERS):
            return False
        if len(node.args) != 1:
            return False
        statement = node.args[0]
        if isinstance(statement, ast.Name):
            return statement.id in self._pings.get(id(function), ())
        return is_sql_ping(statement, ctx)

    def leave_FunctionDef(self, node: ast.FunctionDef, ctx: RuleContext) -> None:
        self._decide(node, ctx)

    def leave_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: RuleContext) -> None:
        self._decide(node, ctx)

    def _decide(self, node: Function, ctx: RuleContext) -> None:
        found = self._found.pop(id(node), [])
        if all(ping for _, _, ping in found):
            return  # nothing, or a health check
        for call, text, _ in found:
            ctx.report(self, call, function=node.name, call=text)
