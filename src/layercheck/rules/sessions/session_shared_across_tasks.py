from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar, Final

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
from layercheck.rules.sessions._helpers import (
    COMPREHENSIONS,
    in_loop,
    is_test_file,
    label,
    parts,
)

GATHER: Final = frozenset({"asyncio.gather", "asyncio.tasks.gather"})
TASK_GROUPS: Final = frozenset(
    {"asyncio.TaskGroup", "asyncio.taskgroups.TaskGroup", "anyio.create_task_group"}
)
_GROUP_METHODS: Final = frozenset({"create_task", "start_soon", "start"})


@dataclass(slots=True)
class _Group:
    """A task group bound by `async with TaskGroup() as tg:`."""

    node: ast.AST
    """The `with` statement."""
    uses: Counter[str] = field(default_factory=Counter)


class SessionSharedAcrossTasks(Rule):
    """## What it does
    Checks for one session, or a repository or service built with it, used by several
    awaitables that `asyncio.gather` or a `TaskGroup` runs concurrently.

    ## Why is this bad?
    An `AsyncSession` is not safe for concurrent use: two coroutines that query through
    it at once interleave on one connection and fail with "This session is provisioning
    a new connection; concurrent operations are not permitted" or
    `IllegalStateChangeError`, or, worse, mix each other's unit of work. Await the calls
    one after the other, or give each task its own session.

    ## Example
    ```python
    # file: app/services/stats_service.py
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncSession

    from app.repositories.user_repo import UserRepository


    async def dashboard(session: AsyncSession) -> tuple[int, int]:
        repo = UserRepository(session)
        return await asyncio.gather(repo.count_active(), repo.count_admins())

    # file: app/repositories/user_repo.py
    class UserRepository: ...
    ```

    ## Use instead
    ```python
    # file: app/services/stats_service.py
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.repositories.user_repo import UserRepository


    async def dashboard(session: AsyncSession) -> tuple[int, int]:
        repo = UserRepository(session)
        return await repo.count_active(), await repo.count_admins()

    # file: app/repositories/user_repo.py
    class UserRepository: ...
    ```

    ## Details
    An awaitable uses a session when the session appears as its receiver or among its
    arguments, or an object built from it does: a project class instantiated with the
    session and kept in a local (`repo = UserRepository(session)`) or in a `self`
    attribute (`self.repo = UserRepository(session)` in `__init__`).
    `gather(*[f(session, x) for x in xs])` and `create_task(...)` in a loop inside the
    task group run one call many times: reported too. anyio's `create_task_group()` /
    `start_soon` count like `asyncio.TaskGroup`. A single `asyncio.create_task(...)` is
    LC505's concern. Tests are not checked.

    ## Leaves to
    A session handed to a single `create_task(...)` or background task: LC505.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SESSIONS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC506",
        name="session-shared-across-tasks",
        message="{session} is used by awaitables that `{runner}` runs concurrently; "
        "await them one by one or give each its own session",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                "app/repositories/users.py": "class UserRepository: ...\n",
                "app/repositories/posts.py": "class PostRepository: ...\n",
                "app/services/stats.py": "import asyncio as aio\n\n"
                "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
                "from ..repositories.posts import PostRepository\n"
                "from ..repositories.users import UserRepository\n\n\n"
                "class StatsService:\n"
                "    def __init__(self, session: AsyncSession) -> None:\n"
                "        self.users = UserRepository(session)\n"
                "        self.posts = PostRepository(session)\n\n"
                "    async def overview(self):\n"
                "        return await aio.gather(  # error\n"
                "            self.users.count(),\n"
                "            self.posts.count(),\n"
                "        )\n",
            },
            note="two repositories built with the constructor's session; relative "
            "imports; a module alias; a multi-line call",
        ),
        Invalid(
            "import asyncio\n\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "async def load(db: AsyncSession, ids):\n"
            "    users = await asyncio.gather(*[db.get(User, i) for i in ids])  # error\n"
            "    async with asyncio.TaskGroup() as tg:\n"
            "        tg.create_task(db.execute(query_a))\n"
            "        tg.create_task(refresh_cache(session=db))  # error\n"
            "    return users\n",
            path="app/services/loader.py",
            note="one call run many times by a starred comprehension; a TaskGroup",
        ),
        Valid(
            "import asyncio\n\n"
            "import httpx\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "async def load(session: AsyncSession, client: httpx.AsyncClient):\n"
            "    user, profile, avatar = await asyncio.gather(\n"
            "        session.get(User, 1),\n"
            "        client.get('/profile'),\n"
            "        client.get('/avatar'),\n"
            "    )\n"
            "    return user, profile, avatar\n",
            path="app/services/profile.py",
            note="only one of the awaitables uses the session; an `httpx.AsyncClient` is "
            "no session",
        ),
        Valid(
            "import asyncio\n\n"
            "from app.core.database import async_session_factory as factory\n\n\n"
            "async def one(q):\n"
            "    async with factory() as session:\n"
            "        return await session.execute(q)\n\n\n"
            "async def both(db, http):\n"
            "    return await asyncio.gather(one(a), one(b), db.run(), db.run(), http.get())\n",
            path="app/services/reports.py",
            note="each task opens its own session; an unannotated `db` is no session",
        ),
        Valid(
            "import asyncio\n\n"
            "from sqlalchemy.orm import Session\n\n\n"
            "async def run(session: Session):\n"
            "    asyncio.create_task(work(session))\n"
            "    count = await count_users(session)\n"
            "    await asyncio.gather(render(count), render(count))\n",
            path="app/services/work.py",
            note="create_task alone is LC505's; `count` is no object built with the session",
        ),
        Valid(
            "import asyncio\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "async def test_concurrency(session: AsyncSession):\n"
            "    await asyncio.gather(session.get(User, 1), session.get(User, 2))\n",
            path="tests/test_concurrency.py",
            note="tests are not checked",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = _GROUP_METHODS | last_names(GATHER)

    def __init__(self) -> None:
        self._groups: dict[tuple[int, str], _Group] = {}

    def visit_withitem(self, node: ast.withitem, ctx: RuleContext) -> None:
        target, value = node.optional_vars, node.context_expr
        functions = ctx.functions()
        if not (isinstance(target, ast.Name) and isinstance(value, ast.Call) and functions):
            return
        if ctx.qualified(value.func) in TASK_GROUPS and ctx.parent is not None:
            self._groups[(id(functions[0]), target.id)] = _Group(ctx.parent)

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _GROUP_METHODS:
            self._group_task(node, func, ctx)
            return
        if ctx.qualified(func) not in GATHER or is_test_file(ctx):
            return
        uses: Counter[str] = Counter()
        labels: dict[str, str] = {}
        for argument in node.args:
            many = isinstance(argument, ast.Starred) and isinstance(argument.value, COMPREHENSIONS)
            if isinstance(argument, ast.Starred) and not many:
                continue
            if many:
                assert isinstance(argument, ast.Starred)
                comprehension = argument.value
                assert isinstance(comprehension, ast.ListComp | ast.SetComp | ast.GeneratorExp)
                argument = comprehension.elt
            for key in self._keys(argument, labels, ctx):
                uses[key] += 2 if many else 1
        shared = next((key for key, count in uses.items() if count >= 2), None)
        if shared is not None:
            ctx.report(self, node, session=labels[shared], runner=label(func))

    def _group_task(self, node: ast.Call, func: ast.Attribute, ctx: RuleContext) -> None:
        functions = ctx.functions()
        receiver = func.value
        if not functions or not isinstance(receiver, ast.Name) or is_test_file(ctx):
            return
        scope = ctx.names.binding_scope(receiver.id)
        owner = scope.node if scope is not None else None
        group = self._groups.get((id(owner), receiver.id))
        if group is None or not any(ancestor is group.node for ancestor in ctx.ancestors):
            return
        loop = in_loop(ctx)
        many = loop is not None and self._inside(loop, group.node, ctx)
        labels: dict[str, str] = {}
        shared: str | None = None
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            for key in self._keys(argument, labels, ctx):
                group.uses[key] += 2 if many else 1
                if group.uses[key] >= 2 and shared is None:
                    shared = key
        if shared is not None:
            ctx.report(self, node, session=labels[shared], runner=label(func))

    @staticmethod
    def _inside(loop: ast.AST, group: ast.AST, ctx: RuleContext) -> bool:
        """The loop is nested in the task group's `with` block."""
        chain = ctx.ancestors
        where = {id(node): depth for depth, node in enumerate(chain)}
        return where.get(id(loop), -1) > where.get(id(group), len(chain))

    def _keys(self, argument: ast.expr, labels: dict[str, str], ctx: RuleContext) -> set[str]:
        found: set[str] = set()
        for part in parts(argument):
            key = ctx.sessions.key(part, ctx)
            if key is not None:
                found.add(key)
                if ctx.sessions.is_session(part, ctx):
                    labels.setdefault(key, f"`{label(part)}`")
                else:
                    labels.setdefault(key, f"the session in `{label(part)}`")
        return found
