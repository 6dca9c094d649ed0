from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.sessions._helpers import label, session_method
from layercheck.semantic.sessions import Origin

_ENDINGS = frozenset({"commit", "rollback"})
_WORDS = {Layer.SERVICES: "service", Layer.REPOSITORIES: "repository"}


class CommitOutsideSessionScope(Rule):
    """## What it does
    Checks for `commit()` or `rollback()` in a service or repository on a session it
    received, as a parameter or through its constructor.

    ## Why is this bad?
    The request's session is opened by the `get_async_session` dependency inside
    `async with session.begin():`, which commits when the request succeeds and rolls
    back when it fails. A commit deep inside a repository ends that transaction
    half-way: a later error can no longer undo the first writes, two repository calls
    of one use case are no longer atomic, and with `expire_on_commit` the objects
    already loaded expire. Whoever opens the session owns its transaction.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession


    class UserRepository:
        def __init__(self, session: AsyncSession) -> None:
            self._session = session

        async def create(self, user: User) -> User:
            self._session.add(user)
            await self._session.commit()
            await self._session.refresh(user)
            return user
    ```

    ## Use instead
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession


    class UserRepository:
        def __init__(self, session: AsyncSession) -> None:
            self._session = session

        async def create(self, user: User) -> User:
            self._session.add(user)
            await self._session.flush()
            await self._session.refresh(user)
            return user
    ```

    ## Details
    A session the same function opened itself (`async with factory() as session:` in a
    scheduled job or a script, `session = SessionLocal()`) is its own to commit: quiet
    here (LC508 reports a service or repository that opens a session). A savepoint is
    quiet too: `nested = await session.begin_nested(); await nested.commit()` commits
    the savepoint, not the request's transaction. The session is any value shown to be
    one (see LC103): a parameter annotated `Session`/`AsyncSession` or with a type alias
    of one, a `Depends(get_db)` default, or a `self._session`-style attribute set from
    such a parameter in any method or declared with a class-level annotation. The
    session an ORM object belongs to (`object_session(obj)`, `Session.object_session(obj)`,
    `inspect(obj).session`) and a `session` attribute that the class of an annotated
    parameter declares as a session (`db.session` for `db: Database`) were opened by
    someone else too.

    ## Leaves to
    A service or repository that opens a session (and then commits it): LC508.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SESSIONS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC502",
        name="commit-outside-session-scope",
        message="`{call}()` on a session the {layer} received; "
        "the request's `session.begin()` owns the transaction",
        layers=frozenset({Layer.SERVICES, Layer.REPOSITORIES}),
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                "app/db/postgres.py": "from typing import NewType\n\n"
                "from sqlalchemy.ext.asyncio import AsyncSession as _AsyncSession\n\n"
                "AsyncReadSession = NewType('AsyncReadSession', _AsyncSession)\n"
                "AsyncSession = NewType('AsyncSession', AsyncReadSession)\n",
                "app/db/__init__.py": "from app.db.postgres import "
                "AsyncReadSession, AsyncSession\n",
                "app/repositories/base.py": "from typing import Generic, TypeVar\n\n"
                "from app.db import AsyncReadSession, AsyncSession\n\n"
                "M = TypeVar('M')\n\n\n"
                "class RepositoryBase(Generic[M]):\n"
                "    def __init__(self, session: AsyncSession | AsyncReadSession) -> None:\n"
                "        self.session = session\n",
                "app/repositories/orders.py": "from app.db import AsyncSession\n"
                "from app.repositories.base import RepositoryBase\n\n\n"
                "class OrderRepository(RepositoryBase[Order]):\n"
                "    async def archive(self, order) -> None:\n"
                "        order.archived = True\n"
                "        await self.session.commit()  # error\n\n\n"
                "async def purge(session: AsyncSession) -> None:\n"
                "    await session.commit()  # error\n",
            },
            note="session types the project declares as NewTypes, re-exported by a package; "
            "a generic base repository in another module stores the session",
        ),
        Valid(
            {
                "app/core/types.py": "from typing import NewType\n\n"
                "Token = NewType('Token', str)\n",
                "app/repositories/base.py": "import httpx\n\n\n"
                "class ClientBase:\n"
                "    def __init__(self, client: httpx.Client) -> None:\n"
                "        self.client = client\n",
                "app/repositories/tokens.py": "from app.core.types import Token\n"
                "from app.repositories.base import ClientBase\n\n\n"
                "class TokenRepository(ClientBase):\n"
                "    def save(self, token: Token) -> None:\n"
                "        self.client.commit()\n"
                "        token.commit()\n",
            },
            note="a NewType of `str`; a base class that stores an HTTP client",
        ),
        Invalid(
            "from typing import Generic, TypeVar\n\n"
            "import httpx\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "T = TypeVar('T')\n\n\n"
            "class BaseRepository(Generic[T]):\n"
            "    def __init__(self, session: AsyncSession, client: httpx.Client) -> None:\n"
            "        self.session = session\n"
            "        self.client = client\n\n\n"
            "class UserRepository(BaseRepository[User]):\n"
            "    async def save(self, user: User) -> None:\n"
            "        self.session.add(user)\n"
            "        await self.session.commit()  # error\n"
            "        self.client.commit()\n\n\n"
            "class AuditRepository:\n"
            "    @property\n"
            "    def session(self) -> AsyncSession:\n"
            "        return self._unit.session\n\n"
            "    async def close(self) -> None:\n"
            "        await self.session.rollback()  # error\n",
            path="app/repositories/users.py",
            note="a session a generic base class stores, used by a subclass without a "
            "constructor (an HTTP client beside it is no session); a session property",
        ),
        Invalid(
            {
                "app/core/db.py": "from sqlalchemy.orm import Session\n\n\n"
                "class Database:\n"
                "    session: Session\n",
                "app/repositories/user_repository.py": "from sqlalchemy import inspect\n"
                "from sqlalchemy.orm import Session, object_session\n\n"
                "from app.core.db import Database\n\n\n"
                "class UserRepository:\n"
                "    def save(self, user) -> None:\n"
                "        object_session(user).commit()  # error\n\n"
                "    def touch(self, user) -> None:\n"
                "        state_session = inspect(user).session\n"
                "        state_session.commit()  # error\n\n"
                "    def reload(self, user) -> None:\n"
                "        Session.object_session(user).rollback()  # error\n\n"
                "    def flush_all(self, db: Database) -> None:\n"
                "        db.session.commit()  # error\n",
            },
            note="the session an object belongs to, and a session declared on the class "
            "of a parameter",
        ),
        Valid(
            {
                "app/core/clients.py": "import httpx\n\n\n"
                "class Gateway:\n"
                "    session: httpx.Client\n",
                "app/repositories/gateway_repository.py": "from app.core.clients import Gateway\n"
                "\n\n"
                "class GatewayRepository:\n"
                "    def push(self, gateway: Gateway, other) -> None:\n"
                "        gateway.session.commit()\n"
                "        other.session.commit()\n",
            },
            note="a `session` attribute that is an HTTP client; an unannotated owner",
        ),
        Invalid(
            "from sqlalchemy.ext import asyncio as sa_asyncio\n\n\n"
            "class UserRepository:\n"
            "    def __init__(self, db: sa_asyncio.AsyncSession) -> None:\n"
            "        self._db = db\n\n"
            "    async def save(self, user):\n"
            "        try:\n"
            "            await self._db.commit()  # error: 19\n"
            "        except Exception:\n"
            "            await self._db.rollback()  # error\n"
            "            raise\n",
            path="app/repositories/users.py",
            note="`self._db` from the constructor, a module alias",
        ),
        Invalid(
            {
                "app/api/deps.py": "from typing import Annotated\n\n"
                "from fastapi import Depends\n"
                "from sqlmodel import Session\n\n"
                "SessionDep = Annotated[Session, Depends(get_db)]\n",
                "app/services/items.py": "from ..api.deps import SessionDep\n\n\n"
                "def create_item(*, s: SessionDep, item):\n"
                "    s.add(item)\n"
                "    s.commit(  # error\n"
                "    )\n"
                "    return item\n",
            },
            note="an imported type alias, relative import, a multi-line call",
        ),
        Invalid(
            "from dataclasses import dataclass\n\n"
            "from sqlalchemy.orm import Session\n\n\n"
            "@dataclass\n"
            "class Billing:\n"
            "    session: Session\n\n"
            "    def close_month(self):\n"
            "        def done():\n"
            "            self.session.commit()  # error\n\n"
            "        done()\n",
            path="app/services/billing_service.py",
            note="a dataclass-style field; a function nested in a method",
        ),
        Invalid(
            "from typing import TYPE_CHECKING\n\n"
            "if TYPE_CHECKING:\n"
            "    from sqlalchemy.orm import Session\n\n\n"
            "def close_account(session: 'Session', account) -> None:\n"
            "    account.closed = True\n"
            "    s = session\n"
            "    s.commit()  # error\n",
            path="app/services/accounts.py",
            note="a string annotation imported under TYPE_CHECKING; a local copy",
        ),
        Valid(
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "from app.core.database import async_session_factory as factory\n\n\n"
            "async def nightly_cleanup() -> None:\n"
            "    async with factory() as s:\n"
            "        await s.execute(purge)\n"
            "        await s.commit()\n\n\n"
            "async def move(session: AsyncSession) -> None:\n"
            "    nested = await session.begin_nested()\n"
            "    await nested.commit()\n",
            path="app/services/jobs.py",
            note="a scheduled job commits the session it opened; a savepoint",
        ),
        Valid(
            {
                "app/core/database.py": "from sqlalchemy.ext.asyncio import async_sessionmaker\n\n"
                "async_session_factory = async_sessionmaker(expire_on_commit=False)\n",
                "app/services/jobs.py": "from app.core.database import async_session_factory\n\n\n"
                "class Job:\n"
                "    def __init__(self):\n"
                "        self.session = async_session_factory()\n\n"
                "    async def run(self):\n"
                "        await self.session.commit()\n",
            },
            note="an attribute the class opened itself (LC508 reports the opening)",
        ),
        Valid(
            "import requests\n\n\n"
            "def publish(db, http: requests.Session, session=None):\n"
            "    db.commit()\n"
            "    http.commit()\n"
            "    session.commit()\n\n\n"
            "def from_state(request):\n"
            "    session = request.state.db\n"
            "    session.commit()\n",
            path="app/services/publisher.py",
            note="names alone, `requests.Session` and an unknown `request.state.db` are "
            "not shown to be SQLAlchemy sessions",
        ),
        Valid(
            "from sqlalchemy.orm import Session\n\n\n"
            "def seed(session: Session) -> None:\n"
            "    session.commit()\n",
            path="app/initial_data.py",
            note="a script outside the service and repository layers",
        ),
        Valid(
            "from sqlalchemy.orm import Session\n\n\n"
            "def test_commit(session: Session) -> None:\n"
            "    session.commit()\n",
            path="tests/services/test_users.py",
            note="tests have no layer",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = _ENDINGS

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        found = session_method(node, ctx)
        if found is None:
            return
        method, origin = found
        if method in _ENDINGS and origin is Origin.RECEIVED:
            word = _WORDS.get(ctx.layer, "module") if ctx.layer is not None else "module"
            ctx.report(self, node, call=label(node.func), layer=word)
