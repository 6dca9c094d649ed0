from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.annotations import single_type
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
from layercheck.rules.sessions._helpers import is_test_file, label, parts
from layercheck.semantic.sessions import Origin

BACKGROUND_TASKS: Final = frozenset(
    {
        "fastapi.BackgroundTasks",
        "fastapi.background.BackgroundTasks",
        "starlette.background.BackgroundTasks",
    }
)
BACKGROUND_TASK: Final = frozenset(
    {"starlette.background.BackgroundTask", "fastapi.background.BackgroundTask"}
)
_TASK_STARTERS: Final = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
_THREAD_STARTERS: Final = frozenset({"asyncio.to_thread", "asyncio.threads.to_thread"})
_THREADS: Final = frozenset({"threading.Thread"})
_LOOP_GETTERS: Final = frozenset(
    {"asyncio.get_event_loop", "asyncio.get_running_loop", "asyncio.new_event_loop"}
)
_LOOP_METHODS: Final = frozenset({"create_task", "run_in_executor"})


class SessionPassedToBackgroundTask(Rule):
    """## What it does
    Checks for the request's session handed to work that outlives the request or runs
    on another thread: `BackgroundTasks.add_task`, `asyncio.create_task`,
    `loop.run_in_executor`, `asyncio.to_thread` or a `threading.Thread`.

    ## Why is this bad?
    The request's session is closed (and its transaction committed or rolled back)
    when the response is sent, while a background task is still running: the task
    then works on a closed session, or races the request on one that is not
    thread-safe nor safe for concurrent use. Open a new session inside the task.

    ## Example
    ```python
    from fastapi import APIRouter, BackgroundTasks, Depends
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.core.database import get_async_session

    router = APIRouter()


    @router.post("/reports")
    async def create_report(
        tasks: BackgroundTasks, session: AsyncSession = Depends(get_async_session)
    ) -> dict[str, str]:
        tasks.add_task(build_report, session)
        return {"status": "queued"}
    ```

    ## Use instead
    ```python
    from fastapi import APIRouter, BackgroundTasks

    from app.core.database import async_session_factory

    router = APIRouter()


    async def build_report_job() -> None:
        async with async_session_factory() as session, session.begin():
            await build_report(session)


    @router.post("/reports")
    async def create_report(tasks: BackgroundTasks) -> dict[str, str]:
        tasks.add_task(build_report_job)
        return {"status": "queued"}
    ```

    ## Details
    The request's session is a session the function received (a parameter, a
    `Depends(...)`, or a `self._session`-style attribute set from one). It counts when
    passed as an argument, inside `args=(...)`/`kwargs={...}`, or inside the call,
    `functools.partial` or lambda handed over (`asyncio.create_task(f(session))`).
    `add_task` counts on a parameter annotated `fastapi.BackgroundTasks` (or
    Starlette's) and on a local built with `BackgroundTasks()`; `run_in_executor` and
    `create_task` count on a loop from `asyncio.get_running_loop()` /
    `get_event_loop()`. A `TaskGroup` or `asyncio.gather` waits for its tasks inside
    the request: LC506 checks those. Tests are not checked.

    ## Leaves to
    Tasks the request waits for (`asyncio.gather`, a `TaskGroup`) that share one session:
    LC506.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SESSIONS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC505",
        name="session-passed-to-background-task",
        message="the request's session `{session}` is handed to `{runner}`; "
        "open a new session in the task",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "import asyncio\n"
            "from functools import partial\n\n"
            "import fastapi\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
            "router = fastapi.APIRouter()\n\n\n"
            "@router.post('/import')\n"
            "async def start(bg: fastapi.BackgroundTasks, db: AsyncSession):\n"
            "    bg.add_task(run_import, db=db)  # error: 32\n"
            "    asyncio.create_task(notify(user_id=1, session=db))  # error\n"
            "    loop = asyncio.get_running_loop()\n"
            "    await loop.run_in_executor(\n"
            "        None, partial(export, db)  # error\n"
            "    )\n",
            path="app/routes/imports.py",
            note="keyword argument; inside the coroutine call; inside a partial; a multi-line call",
        ),
        Invalid(
            "import threading\n"
            "from asyncio import to_thread as in_thread\n\n"
            "from sqlalchemy.orm import Session\n\n\n"
            "class Exporter:\n"
            "    def __init__(self, s: Session) -> None:\n"
            "        self._s = s\n\n"
            "    async def run(self):\n"
            "        threading.Thread(target=export, args=(self._s,)).start()  # error\n"
            "        await in_thread(lambda: export(self._s))  # error\n",
            path="app/services/exporter.py",
            note="an attribute from the constructor; a thread's args tuple; an aliased "
            "to_thread with a lambda",
        ),
        Valid(
            "from fastapi import BackgroundTasks\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "async def schedule(tasks: BackgroundTasks, session: AsyncSession, user):\n"
            "    tasks.add_task(send_welcome_email, user.email)\n"
            "    tasks.add_task(recompute_stats, user_id=user.id)\n",
            path="app/routes/users.py",
            note="plain values handed over; the task opens its own session",
        ),
        Valid(
            "import asyncio\n\n"
            "from app.core.database import async_session_factory\n\n\n"
            "async def nightly():\n"
            "    async with async_session_factory() as s:\n"
            "        await asyncio.gather(purge(s))\n"
            "        asyncio.create_task(purge(s))\n",
            path="app/services/jobs.py",
            note="a session the function opened is not the request's; gather is LC506's",
        ),
        Valid(
            "import asyncio\n\n"
            "import aiohttp\n"
            "import httpx\n\n\n"
            "class Queue:\n"
            "    def add_task(self, *args): ...\n\n\n"
            "async def handler(queue: Queue, db, c: httpx.AsyncClient, s: aiohttp.ClientSession):\n"
            "    queue.add_task(job, db)\n"
            "    asyncio.create_task(fetch(c, s))\n",
            path="app/routes/jobs.py",
            note="`add_task` of a class that is not BackgroundTasks; an unannotated `db`; "
            "HTTP clients and sessions",
        ),
        Valid(
            "import asyncio\n"
            "from sqlalchemy.orm import Session\n\n\n"
            "async def test_background(session: Session):\n"
            "    asyncio.create_task(work(session))\n",
            path="tests/test_jobs.py",
            note="tests are not checked",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = (
        last_names(_TASK_STARTERS, _THREAD_STARTERS, BACKGROUND_TASK, _THREADS)
        | _LOOP_METHODS
        | {"add_task"}
    )

    def __init__(self) -> None:
        self._local_tasks: dict[int, set[str]] = {}
        """Function id -> locals built with `BackgroundTasks()` or holding an event loop."""

    def visit_Assign(self, node: ast.Assign, ctx: RuleContext) -> None:
        functions = ctx.functions()
        value = node.value
        if not functions or not isinstance(value, ast.Call):
            return
        callee = ctx.qualified(value.func)
        if callee in BACKGROUND_TASKS or callee in _LOOP_GETTERS:
            names = self._local_tasks.setdefault(id(functions[0]), set())
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names.add(f"{callee}:{target.id}")

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        handed = self._handed(node, ctx)
        if not handed or is_test_file(ctx):
            return
        for argument in handed:
            for part in parts(argument):
                if ctx.sessions.origin(part, ctx) is Origin.RECEIVED:
                    ctx.report(self, part, session=label(part), runner=label(node.func))
                    return

    def _handed(self, node: ast.Call, ctx: RuleContext) -> list[ast.expr]:
        """The arguments a call hands to a background task or a thread."""
        func = node.func
        everything = [*node.args, *(keyword.value for keyword in node.keywords)]
        callee = ctx.qualified(func) if isinstance(func, ast.Name | ast.Attribute) else None
        if callee in _TASK_STARTERS:
            return node.args[:1] + [kw.value for kw in node.keywords if kw.arg == "coro"]
        if callee in _THREAD_STARTERS or callee in BACKGROUND_TASK:
            return everything
        if callee in _THREADS:
            wanted = {"target", "args", "kwargs"}
            return [kw.value for kw in node.keywords if kw.arg in wanted] + [
                arg for index, arg in enumerate(node.args) if index in {1, 3, 4}
            ]
        if not isinstance(func, ast.Attribute):
            return []
        if func.attr == "add_task" and self._is_background_tasks(func.value, ctx):
            return everything
        if func.attr in _LOOP_METHODS and self._is_loop(func.value, ctx):
            return node.args[1:] if func.attr == "run_in_executor" else everything
        return []

    def _is_background_tasks(self, node: ast.expr, ctx: RuleContext) -> bool:
        if not isinstance(node, ast.Name):
            return False
        scope = ctx.names.binding_scope(node.id)
        function = scope.node if scope is not None else None
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            return False
        if any(
            f"{callee}:{node.id}" in self._local_tasks.get(id(function), ())
            for callee in BACKGROUND_TASKS
        ):
            return True
        arguments = function.args
        for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
            if arg.arg == node.id:
                kind = single_type(arg.annotation, ctx.qualified)
                return kind is not None and ctx.index.inherits(kind, BACKGROUND_TASKS)
        return False

    def _is_loop(self, node: ast.expr, ctx: RuleContext) -> bool:
        if isinstance(node, ast.Call):
            return ctx.qualified(node.func) in _LOOP_GETTERS
        if not isinstance(node, ast.Name):
            return False
        scope = ctx.names.binding_scope(node.id)
        if scope is None or scope.node is None:
            return False
        names = self._local_tasks.get(id(scope.node), ())
        return any(f"{getter}:{node.id}" in names for getter in _LOOP_GETTERS)
