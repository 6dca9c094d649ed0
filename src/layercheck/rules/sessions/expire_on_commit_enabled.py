from __future__ import annotations

import ast
from typing import ClassVar

from layercheck import edits
from layercheck.model import Fix
from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
    last_names,
)
from layercheck.rules.sessions._helpers import is_test_file, label
from layercheck.semantic.sessions import (
    ASYNC_SESSION_CLASSES,
    ASYNC_SESSION_FACTORIES,
    SYNC_SESSION_FACTORIES,
)

_CLASS_INDEX = 1
_EXPIRE_INDEX = 3
"""Positions of `class_` and `expire_on_commit` in both factories' signatures."""


class ExpireOnCommitEnabled(Rule):
    """## What it does
    Checks for an `async_sessionmaker(...)`, or a `sessionmaker(class_=AsyncSession)`,
    built without `expire_on_commit=False`.

    ## Why is this bad?
    By default a commit expires every object the session holds, so that the next
    attribute read reloads it from the database. With an async session that reload is
    implicit IO, which SQLAlchemy refuses outside an `await`: reading `user.id` after
    the request's transaction committed raises `MissingGreenlet`, typically while the
    response is being serialized. `expire_on_commit=False` keeps the loaded values.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app@db/app")
    async_session_factory = async_sessionmaker(engine, class_=AsyncSession)
    ```

    ## Use instead
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app@db/app")
    async_session_factory = async_sessionmaker(
        engine, class_=AsyncSession, expire_on_commit=False
    )
    ```

    ## Fix safety
    The fix adds `expire_on_commit=False` to the call (or replaces
    `expire_on_commit=True`). Safe: objects keep the values they were loaded or flushed
    with instead of being reloaded on next access; code that relied on a reload after
    commit is rare with async sessions, where that reload raises anyway.

    ## Details
    The names are resolved: `sqlalchemy.ext.asyncio.async_sessionmaker` and
    `sqlalchemy.orm.sessionmaker` whose `class_` is `AsyncSession` (sqlalchemy's or
    sqlmodel's, or a project subclass), under any alias; a local function or variable
    that happens to be called `sessionmaker` is not them. A call with `**options`, or
    with `expire_on_commit=` set to anything but a literal `True`, is quiet (the value
    cannot be read). Sync `sessionmaker(...)` factories are quiet. Tests are not
    checked.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC507",
        name="expire-on-commit-enabled",
        message="`{factory}(...)` leaves `expire_on_commit` on; pass `expire_on_commit=False`",
        fix=FixAvailability.ALWAYS,
        fix_title="Add `expire_on_commit=False`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from sqlalchemy.ext import asyncio as sa_asyncio\n"
            "from sqlalchemy.ext.asyncio import async_sessionmaker as make\n\n"
            "engine = sa_asyncio.create_async_engine(URL)\n"
            "SessionLocal = sa_asyncio.async_sessionmaker(  # error: 16\n"
            "    engine,\n"
            "    autoflush=False,\n"
            ")\n\n\n"
            "def factory_for(engine):\n"
            "    return make(engine, expire_on_commit=True)  # error\n",
            path="app/core/database.py",
            fixed=(
                "from sqlalchemy.ext import asyncio as sa_asyncio\n"
                "from sqlalchemy.ext.asyncio import async_sessionmaker as make\n"
                "\n"
                "engine = sa_asyncio.create_async_engine(URL)\n"
                "SessionLocal = sa_asyncio.async_sessionmaker(  # error: 16\n"
                "    engine,\n"
                "    autoflush=False,\n"
                "    expire_on_commit=False,\n"
                ")\n"
                "\n"
                "\n"
                "def factory_for(engine):\n"
                "    return make(engine, expire_on_commit=False)  # error\n"
            ),
            note="a module alias and a multi-line call; an aliased import in a function; "
            "an explicit True",
        ),
        Invalid(
            {
                "app/db/session.py": "import sqlalchemy.orm as orm\n"
                "from sqlmodel.ext.asyncio.session import AsyncSession\n\n"
                "factory = orm.sessionmaker(engine, class_=AsyncSession)  # error\n",
                "app/db/base.py": "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
                "class TenantSession(AsyncSession):\n"
                "    pass\n",
                "app/db/tenants.py": "from sqlalchemy.orm import sessionmaker\n\n"
                "from .base import TenantSession\n\n"
                "tenants = sessionmaker(bind=engine, class_=TenantSession)  # error\n",
            },
            note="a sync sessionmaker building sqlmodel's AsyncSession, or a project "
            "subclass imported relatively",
        ),
        Valid(
            "from sqlalchemy.ext.asyncio import async_sessionmaker\n\n"
            "factory = async_sessionmaker(engine, expire_on_commit=False)\n"
            "configured = async_sessionmaker(engine, **SESSION_OPTIONS)\n"
            "from_settings = async_sessionmaker(engine, expire_on_commit=settings.EXPIRE)\n",
            path="app/core/database.py",
            note="expire_on_commit=False; values that cannot be read",
        ),
        Valid(
            "from sqlalchemy.orm import Session, sessionmaker\n\n"
            "SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)\n"
            "Typed = sessionmaker(bind=engine, class_=Session)\n",
            path="app/core/database.py",
            note="sync factories: a reload after commit is ordinary lazy loading",
        ),
        Valid(
            "def sessionmaker(**options):\n"
            "    return options\n\n\n"
            "def build(async_sessionmaker):\n"
            "    factory = sessionmaker(class_=AsyncSession)\n"
            "    return async_sessionmaker(engine)\n",
            path="app/core/database.py",
            note="a local function and a parameter that share the names",
        ),
        Valid(
            "from sqlalchemy.ext.asyncio import async_sessionmaker\n\n"
            "factory = async_sessionmaker(engine)\n",
            path="tests/conftest.py",
            note="tests are not checked",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = last_names(
        SYNC_SESSION_FACTORIES, ASYNC_SESSION_FACTORIES
    )

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        callee = (
            ctx.qualified(node.func) if isinstance(node.func, ast.Name | ast.Attribute) else None
        )
        if callee is None:
            return
        if callee in SYNC_SESSION_FACTORIES:
            if not self._builds_async(node, ctx):
                return
        elif callee not in ASYNC_SESSION_FACTORIES:
            return
        if self._expires(node) and not is_test_file(ctx):
            ctx.report_with_fix(self, node.func, self._fix(node, ctx), factory=label(node.func))

    def _fix(self, node: ast.Call, ctx: RuleContext) -> Fix | None:
        title = self.meta.fix_title or ""
        for keyword in node.keywords:
            if keyword.arg == "expire_on_commit":
                return edits.safe(title, edits.replace(ctx, keyword.value, "False"))
        if len(node.args) > _EXPIRE_INDEX:
            return edits.safe(title, edits.replace(ctx, node.args[_EXPIRE_INDEX], "False"))
        return edits.safe(title, edits.keyword_insertion(ctx, node, "expire_on_commit=False"))

    @staticmethod
    def _builds_async(node: ast.Call, ctx: RuleContext) -> bool:
        kind = node.args[_CLASS_INDEX] if len(node.args) > _CLASS_INDEX else None
        for keyword in node.keywords:
            if keyword.arg == "class_":
                kind = keyword.value
        if not isinstance(kind, ast.Name | ast.Attribute):
            return False
        qualified = ctx.qualified(kind)
        return qualified is not None and ctx.index.inherits(qualified, ASYNC_SESSION_CLASSES)

    @staticmethod
    def _expires(node: ast.Call) -> bool:
        """True unless the call passes anything but a literal True to expire_on_commit."""
        value = node.args[_EXPIRE_INDEX] if len(node.args) > _EXPIRE_INDEX else None
        for keyword in node.keywords:
            if keyword.arg is None:
                return False  # **options
            if keyword.arg == "expire_on_commit":
                value = keyword.value
        return value is None or (isinstance(value, ast.Constant) and value.value is True)
