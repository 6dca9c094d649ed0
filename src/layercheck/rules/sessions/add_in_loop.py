from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.sessions._helpers import in_loop, is_test_file, label


class AddInLoop(Rule):
    """## What it does
    Checks for `session.add(...)` called inside a loop or a comprehension.

    ## Why is this bad?
    Adding rows one by one makes the unit of work track and flush each object
    separately; for bulk data that is many INSERT round trips and much more memory
    than needed. One `insert(Model).values(rows)` statement sends them together, and
    `session.add_all(objects)` at least stages them in one call.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession


    class TagRepository:
        def __init__(self, session: AsyncSession) -> None:
            self._session = session

        async def create_many(self, names: list[str]) -> None:
            for name in names:
                self._session.add(Tag(name=name))
            await self._session.flush()
    ```

    ## Use instead
    ```python
    from sqlalchemy import insert
    from sqlalchemy.ext.asyncio import AsyncSession


    class TagRepository:
        def __init__(self, session: AsyncSession) -> None:
            self._session = session

        async def create_many(self, names: list[str]) -> None:
            await self._session.execute(insert(Tag).values([{"name": n} for n in names]))
    ```

    ## Details
    Loops are `for`, `async for` and `while` bodies and list, set, dict and generator
    comprehensions in the same function as the call (a loop's `else:` and the
    iterable run once). `add_all()` is quiet. The rule runs in every module except
    tests and Alembic migrations; the session is any value shown to be one (see LC103).
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SESSIONS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC504",
        name="add-in-loop",
        message="`{call}()` inside a loop; use `insert(Model).values(rows)` or `add_all()`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from sqlalchemy.orm import Session as DbSession\n\n\n"
            "class ImportService:\n"
            "    def __init__(self, db: DbSession):\n"
            "        self._db = db\n\n"
            "    def load(self, rows):\n"
            "        for row in rows:\n"
            "            if row:\n"
            "                self._db.add(Row(**row))  # error: 17\n"
            "        [self._db.add(r) for r in rows]  # error\n",
            path="app/services/imports.py",
            note="an aliased class; inside an `if` in the loop; a comprehension",
        ),
        Invalid(
            {
                "app/core/db.py": "from sqlalchemy.ext.asyncio import async_sessionmaker\n\n"
                "factory = async_sessionmaker(expire_on_commit=False)\n",
                "app/jobs/seed.py": "from ..core.db import factory\n\n\n"
                "async def seed(users):\n"
                "    async with factory() as s:\n"
                "        while users:\n"
                "            s.add(  # error\n"
                "                users.pop()\n"
                "            )\n",
            },
            note="a module with no layer; `s` from a relative factory; a multi-line call",
        ),
        Valid(
            "from sqlalchemy.orm import Session\n\n\n"
            "def create_tags(session: Session, names):\n"
            "    session.add_all([Tag(name=n) for n in names])\n"
            "    for tag in session.scalars(query):\n"
            "        tag.seen = True\n"
            "    else:\n"
            "        session.add(Log())\n",
            path="app/repositories/tags.py",
            note="add_all outside a loop; a loop's `else:` runs once",
        ),
        Valid(
            "import requests\n\n\n"
            "def upload(files, db, client: requests.Session):\n"
            "    for f in files:\n"
            "        db.add(f)\n"
            "        client.add(f)\n",
            path="app/services/uploads.py",
            note="names alone and `requests.Session` are not SQLAlchemy sessions",
        ),
        Valid(
            "from sqlalchemy.orm import Session\n\n\n"
            "def make_users(session: Session, rows):\n"
            "    for row in rows:\n"
            "        session.add(User(**row))\n",
            path="tests/factories.py",
            note="tests may add in loops",
        ),
        Valid(
            "from sqlalchemy.orm import Session\n\n\n"
            "def bulk(session: Session, rows):\n"
            "    for row in rows:\n"
            "        def later(r=row):\n"
            "            session.add(r)\n"
            "        yield later\n",
            path="app/repositories/rows.py",
            note="the add is in a function defined in the loop, not run by it",
        ),
    )

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "add"):
            return
        if ctx.layer is Layer.MIGRATIONS or is_test_file(ctx):
            return
        if ctx.sessions.is_session(func.value, ctx) and in_loop(ctx) is not None:
            ctx.report(self, node, call=label(func))
