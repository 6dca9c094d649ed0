from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.sessions._helpers import label
from layercheck.semantic.sessions import provides_session

_WORDS = {Layer.SERVICES: "service", Layer.REPOSITORIES: "repository"}
_NEXT = frozenset({"next", "anext"})


class ServiceOpensSession(Rule):
    """## What it does
    Checks for a service or repository that opens its own session (calls a session
    factory, `Session(...)`/`AsyncSession(...)`, or a session provider directly)
    instead of receiving one through its constructor.

    ## Why is this bad?
    A session opened inside a service is a second unit of work next to the request's:
    its writes commit (or not) on their own, its objects cannot be mixed with the
    request's, and the service cannot take part in a transaction that spans several
    services. Tests cannot hand it a session bound to a rolled-back transaction
    either. Let the caller own the session and pass it in.

    ## Example
    ```python
    # file: app/services/user_service.py
    from app.core.database import async_session_factory


    class UserService:
        async def deactivate(self, user_id: int) -> None:
            async with async_session_factory() as session:
                await UserRepository(session).deactivate(user_id)


    # file: app/core/database.py
    from sqlalchemy.ext.asyncio import async_sessionmaker

    async_session_factory = async_sessionmaker(engine, expire_on_commit=False)
    ```

    ## Use instead
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession


    class UserService:
        def __init__(self, session: AsyncSession) -> None:
            self.repo = UserRepository(session)

        async def deactivate(self, user_id: int) -> None:
            await self.repo.deactivate(user_id)
    ```

    ## Details
    Opening a session is calling a project `sessionmaker`/`async_sessionmaker` instance
    (`SessionLocal()`, `factory.begin()`), `sessionmaker(...)()`,
    `Session(engine)`/`AsyncSession(engine)`, a factory held in a parameter or attribute
    (`self._session_factory()`), or a project function that provides a session
    (`get_session()`, `next(get_db())`, `async with session_scope() as s`). A session
    provider (a function that yields or returns the session it opens, or an object built
    with it, such as a `with_session()` class method yielding `cls(session)`) is quiet:
    opening is its job. So is a function nested in a method or function: a task run apart
    (`asyncio.gather` of two searches, a background job) cannot share the session of the
    code that started it, and opens its own. A scheduled job that opens its own session and
    commits it is reported here, while LC502 stays quiet on its commit: move such jobs out
    of the service layer, or take the factory as a parameter and accept this finding with a
    `noqa` comment.

    ## Leaves to
    A route handler that opens a session: LC303. The commit of the session the service
    opened: quiet in LC502, this finding covers it.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SESSIONS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC508",
        name="service-opens-session",
        message="{layer} opens its own session with `{call}`; receive it in the constructor",
        layers=frozenset({Layer.SERVICES, Layer.REPOSITORIES}),
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            {
                "app/core/database.py": "from sqlalchemy.ext.asyncio import async_sessionmaker\n\n"
                "async_session_factory = async_sessionmaker(expire_on_commit=False)\n",
                "app/services/base.py": "from contextlib import asynccontextmanager\n\n"
                "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
                "from app.core.database import async_session_factory\n\n\n"
                "class BaseService:\n"
                "    def __init__(self, session: AsyncSession) -> None:\n"
                "        self.session = session\n\n"
                "    @classmethod\n"
                "    @asynccontextmanager\n"
                "    async def with_session(cls, session: AsyncSession | None = None):\n"
                "        if session is not None:\n"
                "            yield cls(session)\n"
                "        else:\n"
                "            async with async_session_factory() as session:\n"
                "                yield cls(session)\n",
            },
            note="a helper that hands out a service built with the session it opens",
        ),
        Invalid(
            {
                "app/core/db.py": "from sqlalchemy.orm import sessionmaker\n\n"
                "SessionLocal = sessionmaker()\n\n\n"
                "def get_db():\n"
                "    db = SessionLocal()\n"
                "    try:\n"
                "        yield db\n"
                "    finally:\n"
                "        db.close()\n",
                "app/services/audit_service.py": "from ..core import db as database\n\n\n"
                "class AuditService:\n"
                "    def __init__(self):\n"
                "        self.db = database.SessionLocal()  # error: 19\n\n"
                "    def load(self):\n"
                "        return next(database.get_db())  # error: 21\n",
            },
            note="a module import with relative dots; a provider called directly",
        ),
        Invalid(
            {
                "app/core/db.py": "from sqlalchemy.ext.asyncio import async_sessionmaker\n\n"
                "async_session_maker = async_sessionmaker()\n",
                "app/services/search_service.py": "import asyncio\n\n"
                "from app.core.db import async_session_maker\n\n\n"
                "class SearchService:\n"
                "    async def search(self, query: str) -> list:\n"
                "        async def run_chunks() -> list:\n"
                "            async with async_session_maker() as session:\n"
                "                return await chunks(session, query)\n\n"
                "        async def run_documents() -> list:\n"
                "            async with async_session_maker() as session:\n"
                "                return await documents(session, query)\n\n"
                "        return await asyncio.gather(run_chunks(), run_documents())\n\n"
                "    async def count(self) -> int:\n"
                "        async with async_session_maker() as session:  # error: 20\n"
                "            return await total(session)\n",
            },
            note="concurrent tasks defined in a method each open their own session; near "
            "miss: the method itself",
        ),
        Invalid(
            "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n"
            "from sqlmodel import Session\n\n\n"
            "class ReportRepository:\n"
            "    def __init__(self, factory: async_sessionmaker[AsyncSession]):\n"
            "        self._factory = factory\n\n"
            "    async def totals(self):\n"
            "        async with self._factory.begin() as s:  # error\n"
            "            return await s.scalar(q)\n\n"
            "    def legacy(self, engine):\n"
            "        with Session(engine) as s:  # error\n"
            "            return s.exec(q)\n",
            path="app/repositories/reports.py",
            note="a factory injected into the constructor, still opened here; sqlmodel",
        ),
        Valid(
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "class UserService:\n"
            "    def __init__(self, session: AsyncSession) -> None:\n"
            "        self.repo = UserRepository(session)\n",
            note="the session comes in through the constructor",
        ),
        Valid(
            "from sqlalchemy.orm import sessionmaker\n\n"
            "SessionLocal = sessionmaker()\n\n\n"
            "def get_db():\n"
            "    db = SessionLocal()\n"
            "    try:\n"
            "        yield db\n"
            "    finally:\n"
            "        db.close()\n",
            path="app/crud.py",
            note="a session provider defined in the module",
        ),
        Valid(
            "import aiohttp\n"
            "import requests\n\n\n"
            "def make_clients(session_factory):\n"
            "    with requests.Session() as http:\n"
            "        return aiohttp.ClientSession(), session_factory(), http\n",
            path="app/services/clients.py",
            note="HTTP sessions, and an unannotated `session_factory`, open no SQLAlchemy session",
        ),
        Valid(
            "from sqlalchemy.orm import Session\n\n\n"
            "def open_session(engine):\n"
            "    return Session(engine)\n",
            path="app/routes/users.py",
            note="routes are LC303's concern",
        ),
        Valid(
            "from app.core.database import SessionLocal\n\n\n"
            "def test_service() -> None:\n"
            "    with SessionLocal() as session:\n"
            "        assert session\n",
            path="tests/services/test_users_service.py",
            note="tests have no layer",
        ),
    )

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in _NEXT and ctx.names.lookup(func.id) is None:
            return  # `next(get_db())`: the inner call is reported
        if not ctx.sessions.opens(node, ctx) or self._in_provider(ctx):
            return
        if len(ctx.functions()) > 1:
            return  # a task defined in the method, run apart (`asyncio.gather`, a retry):
            # one session may not serve concurrent tasks, each opens its own
        word = _WORDS.get(ctx.layer, "module") if ctx.layer is not None else "module"
        ctx.report(self, node, layer=word, call=f"{label(func)}()")

    @staticmethod
    def _in_provider(ctx: RuleContext) -> bool:
        """Inside a module-level function that hands out the session it opens, or a
        function (a method too) that yields or returns the session it binds here, or an
        object built with it (`yield cls(session)` in a `with_session()` helper)."""
        functions = ctx.functions()
        if not functions:
            return False
        outer = functions[-1]
        if any(node is outer for node in getattr(ctx.ancestors[0], "body", ())) and (
            provides_session(f"{ctx.module}.{outer.name}", ctx.index)
        ):
            return True
        name = _bound_name(ctx)
        return name is not None and _hands_out(functions[0], name)


def _bound_name(ctx: RuleContext) -> str | None:
    """The name the current call's session is bound to: `with factory() as s`,
    `async with factory() as s`, `s = factory()`, `s = await make()`."""
    chain = ctx.ancestors
    depth = len(chain) - 2
    if depth >= 0 and isinstance(chain[depth], ast.Await):
        depth -= 1
    holder = chain[depth] if depth >= 0 else None
    if isinstance(holder, ast.withitem) and isinstance(holder.optional_vars, ast.Name):
        return holder.optional_vars.id
    if (
        isinstance(holder, ast.Assign)
        and len(holder.targets) == 1
        and isinstance(holder.targets[0], ast.Name)
    ):
        return holder.targets[0].id
    return None


def _hands_out(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """`function` yields or returns `name`, or a call given `name` (`cls(session)`)."""
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Yield | ast.Return) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Name) and value.id == name:
                return True
            if isinstance(value, ast.Call) and any(
                isinstance(argument, ast.Name) and argument.id == name
                for argument in (*value.args, *(kw.value for kw in value.keywords))
            ):
                return True
        pending.extend(ast.iter_child_nodes(node))
    return False
