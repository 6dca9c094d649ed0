from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.sessions._helpers import in_loop, is_test_file, label
from layercheck.tree_walk import walk

_EACH_ROW: Final = frozenset({"flush", "refresh", "commit"})


def _writes_each(loop: ast.AST, session: ast.expr) -> bool:
    """The loop also flushes, refreshes or commits the same session: each row is written
    on purpose (its generated key is needed before the next one), not batched by mistake."""
    shown = ast.unparse(session)
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _EACH_ROW
        and ast.unparse(node.func.value) == shown
        for node in walk(loop)
    )


_LOADERS: Final = frozenset(
    {"query", "get", "execute", "scalar", "scalars", "first", "one", "one_or_none", "merge"}
    | {"scalar_one", "scalar_one_or_none", "all"}
)


def _loads(node: ast.expr) -> bool:
    return any(isinstance(inner, ast.Attribute) and inner.attr in _LOADERS for inner in walk(node))


def _loaded(loop: ast.AST, added: ast.expr) -> bool:
    """`added` is a name the loop sets from a query (`obj = db.query(M).first()`): adding
    a loaded object back inserts nothing, so there is no batch to make."""
    if not isinstance(added, ast.Name):
        return False
    if (
        isinstance(loop, ast.For | ast.AsyncFor)
        and _loads(loop.iter)
        and any(isinstance(t, ast.Name) and t.id == added.id for t in walk(loop.target))
    ):
        return True  # `for summary in db.query(Summary).all(): db.add(summary)`
    for node in walk(loop):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        named = any(isinstance(t, ast.Name) and t.id == added.id for t in targets)
        if named and _loads(value):
            return True
    return False


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
    iterable run once). `add_all()` is quiet, and so is a loop that also flushes,
    refreshes or commits the same session: it writes each row on purpose, to read its
    generated key before the next. So is adding back a name the loop set from a query
    (`child = db.query(Task)...first()`) or the loop iterates over a query's rows: a
    loaded object inserts nothing. The rule
    runs in every module except tests and Alembic migrations; the session is any value
    shown to be one (see LC103).
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
        Valid(
            "from sqlalchemy.orm import Session\n\n\n"
            "def create_items(db: Session, rows):\n"
            "    ids = []\n"
            "    for row in rows:\n"
            "        db.add(row)\n"
            "        db.flush()  # the generated id of this row is needed next\n"
            "        ids.append(row.id)\n"
            "    return ids\n",
            path="app/repositories/items.py",
            note="each row flushed in the loop to read its key",
        ),
        Valid(
            "from sqlalchemy.orm import Session\n\n\n"
            "def fail_children(db: Session, keys):\n"
            "    for key in keys:\n"
            "        child: Task | None = db.query(Task).filter(Task.key == key).first()\n"
            "        child.status = 'error'\n"
            "        db.add(child)\n"
            "    for summary in db.query(Summary).all():\n"
            "        summary.stale = True\n"
            "        db.add(summary)\n"
            "    db.commit()\n",
            path="app/repositories/tasks.py",
            note="objects the loop loaded or iterates over: adding them back inserts nothing",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = frozenset({"add"})

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "add"):
            return
        if ctx.layer is Layer.MIGRATIONS or is_test_file(ctx):
            return
        if not ctx.sessions.is_session(func.value, ctx):
            return
        loop = in_loop(ctx)
        if loop is None or _writes_each(loop, func.value):
            return
        if node.args and _loaded(loop, node.args[0]):
            return
        ctx.report(self, node, call=label(func))
