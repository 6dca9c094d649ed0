from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import ClassVar

from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.sessions._helpers import (
    Function,
    Step,
    always_after,
    label,
    may_run_before,
    position,
    session_method,
)

_FLUSHES = frozenset({"flush", "commit"})
"""`commit()` flushes too; LC502 reports a commit on a session the repository received."""


@dataclass(slots=True)
class _Event:
    node: ast.AST
    at: tuple[Step, ...]

    @property
    def start(self) -> tuple[int, int]:
        return getattr(self.node, "lineno", 0), getattr(self.node, "col_offset", 0)


@dataclass(slots=True)
class _Body:
    """What one function body does with its session, in the order it does it."""

    adds: list[tuple[_Event, str, str]] = field(default_factory=list)
    """(the add call, the object's name, the call's text)"""
    flushes: list[_Event] = field(default_factory=list)
    refreshes: list[tuple[_Event, str]] = field(default_factory=list)
    returns: list[tuple[_Event, frozenset[str]]] = field(default_factory=list)


class AddWithoutFlushRefresh(Rule):
    """## What it does
    Checks for a repository function that returns an object it passed to
    `session.add(obj)` without `await session.flush()` and `await session.refresh(obj)`
    in between.

    ## Why is this bad?
    `add()` only stages the object: until a flush, its primary key and server-side
    defaults (`id`, `created_at`) are unset, and with an async session reading an
    expired or unloaded attribute later raises `MissingGreenlet` instead of loading it.
    The caller gets an object that looks saved but is not complete. Flush to send the
    INSERT, refresh to load what the database generated, then return it.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession


    class UserRepository:
        def __init__(self, session: AsyncSession) -> None:
            self._session = session

        async def create(self, user: User) -> User:
            self._session.add(user)
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

    ## Fix (not yet available)
    Will insert `await <session>.flush()` and `await <session>.refresh(<obj>)` right
    after the `add()` call (without `await` for a sync `Session`). Unsafe: the flush
    sends the INSERT earlier than before, so a constraint violation is raised at that
    line instead of at commit, and the refresh costs one more query.

    ## Details
    The statements of the function body are followed in order: the `flush()` and
    `refresh(obj)` must run whenever the `add()` ran, before the `return`. One in an
    `if` branch, a loop or an `except` handler that the `add()` is not in, or after the
    `return` (or after an earlier `return obj`), does not count; one inside a `with`
    block or a `try:` body does.
    A `commit()` counts as the flush (LC502 reports a commit on a session the
    repository received). `add_all()` is not followed (refreshing each object needs a
    loop), and a function that does not return the added object is quiet. The session
    is any value shown to be one (see LC103): `self._session` set from the
    constructor, a `db: Session` parameter, a `Depends(get_db)` default.

    ## Leaves to
    A commit on a session the repository received: LC502. An `add()` in a service:
    LC503.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SESSIONS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC501",
        name="add-without-flush-refresh",
        message="`{call}({obj})` is not followed by {missing} before `{obj}` is returned",
        layers=frozenset({Layer.REPOSITORIES}),
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from sqlalchemy.ext.asyncio import AsyncSession as AS\n\n\n"
            "class PostRepository:\n"
            "    async def list_posts(self):\n"
            "        return await self._db.scalars(query)\n\n"
            "    def __init__(self, db: AS) -> None:\n"
            "        self._db = db\n\n"
            "    async def create(self, post):\n"
            "        self._db.add(post)  # error: 9\n"
            "        if post.published:\n"
            "            await self._db.flush()\n"
            "        await self._db.refresh(post)\n"
            "        return post\n",
            note="`self._db` set in an `__init__` written after the method that uses it; "
            "a flush in an `if` branch only",
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
                "app/crud.py": "from fastapi import Depends\n\n"
                "from .core.db import get_db\n\n\n"
                "def create_item(item, s=Depends(get_db)):\n"
                "    s.add(item)  # error\n"
                "    s.flush()\n"
                "    return item\n\n\n"
                "def create_tag(tag, s=Depends(get_db)):\n"
                "    s.add(tag)  # error\n"
                "    return tag\n"
                "    s.flush()\n"
                "    s.refresh(tag)\n",
            },
            note="a sync `s` from a provider (relative import); a missing refresh; "
            "a flush after the return",
        ),
        Invalid(
            "from dataclasses import dataclass\n\n"
            "from sqlmodel.ext.asyncio.session import AsyncSession\n\n\n"
            "@dataclass\n"
            "class TagRepository:\n"
            "    session: AsyncSession\n\n"
            "    async def create(self, tag):\n"
            "        async def inner(t):\n"
            "            self.session.add(t)  # error\n"
            "            return t\n\n"
            "        return await inner(tag)\n\n"
            "    async def upsert(self, tag):\n"
            "        if tag.id is None:\n"
            "            self.session.add(tag)  # error\n"
            "        return tag, True\n",
            note="a dataclass-style field; a nested function; an add in a branch, "
            "returned in a tuple",
        ),
        Invalid(
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "async def create(session: AsyncSession, user, dry_run: bool):\n"
            "    session.add(user)  # error\n"
            "    if dry_run:\n"
            "        return user\n"
            "    await session.flush()\n"
            "    await session.refresh(user)\n"
            "    return user\n",
            note="an early return between the add and the flush",
        ),
        Valid(
            "from sqlmodel import Session\n\n\n"
            "def authenticate(*, session: Session, user, new_hash):\n"
            "    if new_hash:\n"
            "        user.hashed_password = new_hash\n"
            "        session.add(user)\n"
            "        session.commit()\n"
            "        session.refresh(user)\n"
            "    return user\n",
            path="app/crud.py",
            note="add, flush and refresh in the same branch, returned after it "
            "(full-stack-fastapi-template)",
        ),
        Valid(
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "class UserRepository:\n"
            "    def __init__(self, session: AsyncSession) -> None:\n"
            "        self._session = session\n\n"
            "    async def create(self, user):\n"
            "        self._session.add(user)\n"
            "        async with lock:\n"
            "            await self._session.flush()\n"
            "        try:\n"
            "            await self._session.refresh(user, attribute_names=['id'])\n"
            "        finally:\n"
            "            log.info('created')\n"
            "        return user\n",
            note="flush in a `with` block, refresh in a `try:` body",
        ),
        Valid(
            "from sqlalchemy.orm import Session\n\n\n"
            "def create_user(*, session: Session, user):\n"
            "    session.add(user)\n"
            "    session.commit()\n"
            "    session.refresh(user)\n"
            "    return user\n\n\n"
            "def add_audit(session: Session, entry) -> None:\n"
            "    session.add(entry)\n\n\n"
            "def add_many(session: Session, rows):\n"
            "    session.add_all(rows)\n"
            "    return rows\n",
            path="app/crud.py",
            note="a commit flushes (LC502 reports it); nothing returned; add_all",
        ),
        Valid(
            "import requests\n\n\n"
            "class Repo:\n"
            "    def __init__(self, db, http: requests.Session):\n"
            "        self.db = db\n"
            "        self.http = http\n\n"
            "    def create(self, obj):\n"
            "        self.db.add(obj)\n"
            "        self.http.add(obj)\n"
            "        return obj\n",
            note="an unannotated `db` and a `requests.Session` are not SQLAlchemy sessions",
        ),
        Valid(
            "from sqlalchemy.orm import Session\n\n\n"
            "def create_user(session: Session, user):\n"
            "    session.add(user)\n"
            "    return user\n",
            path="app/services/users.py",
            note="services are not checked (LC503 reports the add there)",
        ),
        Valid(
            "from sqlalchemy.orm import Session\n\n\n"
            "def create_user(session: Session, user):\n"
            "    session.add(user)\n"
            "    return user\n",
            path="tests/repositories/test_users.py",
            note="tests have no layer",
        ),
    )

    def __init__(self) -> None:
        self._bodies: dict[int, _Body] = {}

    def _body(self, ctx: RuleContext) -> tuple[Function, _Body] | None:
        functions = ctx.functions()
        if not functions:
            return None
        return functions[0], self._bodies.setdefault(id(functions[0]), _Body())

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        found = session_method(node, ctx)
        if found is None:
            return
        method = found[0]
        first = node.args[0] if node.args else None
        if method not in _FLUSHES and not (method in {"add", "refresh"} and first is not None):
            return
        where = self._body(ctx)
        if where is None:
            return
        function, body = where
        event = _Event(node, position(ctx, function))
        if method in _FLUSHES:
            body.flushes.append(event)
        elif isinstance(first, ast.Name):
            if method == "add":
                body.adds.append((event, first.id, label(node.func)))
            else:
                body.refreshes.append((event, first.id))

    def visit_Return(self, node: ast.Return, ctx: RuleContext) -> None:
        value = node.value
        items = value.elts if isinstance(value, ast.Tuple | ast.List) else [value]
        names = frozenset(item.id for item in items if isinstance(item, ast.Name))
        where = self._body(ctx)
        if names and where is not None:
            function, body = where
            body.returns.append((_Event(node, position(ctx, function)), names))

    def leave_FunctionDef(self, node: ast.FunctionDef, ctx: RuleContext) -> None:
        self._decide(node, ctx)

    def leave_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: RuleContext) -> None:
        self._decide(node, ctx)

    def _decide(self, node: Function, ctx: RuleContext) -> None:
        body = self._bodies.pop(id(node), None)
        if body is None:
            return
        for add, obj, call in body.adds:
            missing: list[str] = []
            for ret, names in body.returns:
                if obj not in names or not may_run_before(add.at, ret.at):
                    continue
                if not self._done(add, ret, body.flushes):
                    missing.append("`flush()`")
                refreshes = [event for event, name in body.refreshes if name == obj]
                if not self._done(add, ret, refreshes):
                    missing.append(f"`refresh({obj})`")
                if missing:
                    break
            if missing:
                text = " and ".join(dict.fromkeys(missing))
                ctx.report(self, add.node, call=call, obj=obj, missing=text)

    @staticmethod
    def _done(add: _Event, ret: _Event, events: list[_Event]) -> bool:
        """One of `events` runs whenever the add has run, and before the return."""
        return any(
            event.start > add.start
            and always_after(add.at, event.at)
            and may_run_before(event.at, ret.at)
            for event in events
        )
