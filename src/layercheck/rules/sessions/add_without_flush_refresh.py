from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import ClassVar, Final

from layercheck import edits
from layercheck.layers import Layer
from layercheck.model import Fix
from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Need,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
)
from layercheck.rules.sessions._helpers import (
    Function,
    Step,
    always_after,
    label,
    may_run_before,
    position,
    session_method,
)
from layercheck.tree_walk import walk

_FLUSHES = frozenset({"flush", "commit"})
_AWAITED: Final = frozenset(
    {"execute", "scalars", "scalar", "get", "flush", "refresh", "commit", "rollback", "delete"}
)
"""Methods a coroutine on `AsyncSession`: called without `await`, the session is sync."""
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

    adds: list[tuple[_Event, str, str, Fix | None]] = field(default_factory=list)
    """(the add call, the object's name, the call's text, its fix)"""
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

    ## Fix safety
    The fix inserts `await <session>.flush()` and `await <session>.refresh(<obj>)` right
    after the `add()` statement (without `await` for a sync `Session`), both even when
    only one was missing, since a refresh needs the flush before it; when a flush (or a
    commit) is the very next statement, only the refresh, after it. It is unsafe: the flush
    sends the INSERT earlier than before, so a constraint violation is raised at that
    line instead of at commit, and the refresh costs one more query.

    No fix is offered when the code does not show whether the session is an
    `AsyncSession` (an annotation, or another call of it with or without `await`), for
    an async session used in a plain `def`, or when the `add()` call is not a statement
    of its own line (`if x: session.add(x)`, `a; session.add(x)`).

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
        fix=FixAvailability.SOMETIMES,
        fix_title="Flush and refresh the object after adding it",
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
            fixed=(
                "from sqlalchemy.ext.asyncio import AsyncSession as AS\n"
                "\n"
                "\n"
                "class PostRepository:\n"
                "    async def list_posts(self):\n"
                "        return await self._db.scalars(query)\n"
                "\n"
                "    def __init__(self, db: AS) -> None:\n"
                "        self._db = db\n"
                "\n"
                "    async def create(self, post):\n"
                "        self._db.add(post)  # error: 9\n"
                "        await self._db.flush()\n"
                "        await self._db.refresh(post)\n"
                "        if post.published:\n"
                "            await self._db.flush()\n"
                "        await self._db.refresh(post)\n"
                "        return post\n"
            ),
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
            fixed={
                "app/crud.py": (
                    "from fastapi import Depends\n"
                    "\n"
                    "from .core.db import get_db\n"
                    "\n"
                    "\n"
                    "def create_item(item, s=Depends(get_db)):\n"
                    "    s.add(item)  # error\n"
                    "    s.flush()\n"
                    "    s.refresh(item)\n"
                    "    return item\n"
                    "\n"
                    "\n"
                    "def create_tag(tag, s=Depends(get_db)):\n"
                    "    s.add(tag)  # error\n"
                    "    s.flush()\n"
                    "    s.refresh(tag)\n"
                    "    return tag\n"
                    "    s.flush()\n"
                    "    s.refresh(tag)\n"
                ),
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
            fixed=(
                "from dataclasses import dataclass\n"
                "\n"
                "from sqlmodel.ext.asyncio.session import AsyncSession\n"
                "\n"
                "\n"
                "@dataclass\n"
                "class TagRepository:\n"
                "    session: AsyncSession\n"
                "\n"
                "    async def create(self, tag):\n"
                "        async def inner(t):\n"
                "            self.session.add(t)  # error\n"
                "            await self.session.flush()\n"
                "            await self.session.refresh(t)\n"
                "            return t\n"
                "\n"
                "        return await inner(tag)\n"
                "\n"
                "    async def upsert(self, tag):\n"
                "        if tag.id is None:\n"
                "            self.session.add(tag)  # error\n"
                "            await self.session.flush()\n"
                "            await self.session.refresh(tag)\n"
                "        return tag, True\n"
            ),
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
            fixed=(
                "from sqlalchemy.ext.asyncio import AsyncSession\n"
                "\n"
                "\n"
                "async def create(session: AsyncSession, user, dry_run: bool):\n"
                "    session.add(user)  # error\n"
                "    await session.flush()\n"
                "    await session.refresh(user)\n"
                "    if dry_run:\n"
                "        return user\n"
                "    await session.flush()\n"
                "    await session.refresh(user)\n"
                "    return user\n"
            ),
            note="an early return between the add and the flush",
        ),
        Invalid(
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "class EventTypeRepository:\n"
            "    def __init__(self, session: AsyncSession) -> None:\n"
            "        self.session = session\n\n"
            "    async def create(self, event_type):\n"
            "        try:\n"
            "            self.session.add(event_type)  # error\n"
            "            await self.session.flush()\n"
            "        except ValueError:\n"
            "            raise\n"
            "        return event_type\n",
            fixed=(
                "from sqlalchemy.ext.asyncio import AsyncSession\n"
                "\n"
                "\n"
                "class EventTypeRepository:\n"
                "    def __init__(self, session: AsyncSession) -> None:\n"
                "        self.session = session\n"
                "\n"
                "    async def create(self, event_type):\n"
                "        try:\n"
                "            self.session.add(event_type)  # error\n"
                "            await self.session.flush()\n"
                "            await self.session.refresh(event_type)\n"
                "        except ValueError:\n"
                "            raise\n"
                "        return event_type\n"
            ),
            note="a flush right after the add: only the refresh is missing (polar)",
        ),
        Invalid(
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "def create(session: AsyncSession, user):\n"
            "    session.add(user)  # error\n"
            "    return user\n\n\n"
            "async def create_if(session: AsyncSession, user):\n"
            "    if user: session.add(user)  # error\n"
            "    return user\n",
            no_fix=True,
            note="no fix: an async session in a plain `def`; an `add()` sharing its line",
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

    calls: ClassVar[frozenset[str] | None] = _FLUSHES | {"add", "refresh"}

    def __init__(self) -> None:
        self._bodies: dict[int, _Body] = {}
        self._uses: dict[tuple[int, str], _Uses] = {}

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
                fix = self._fix(node, first.id, ctx)
                body.adds.append((event, first.id, label(node.func), fix))
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
        for add, obj, call, fix in body.adds:
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
                ctx.report_with_fix(self, add.node, fix, call=call, obj=obj, missing=text)

    def _fix(self, call: ast.Call, obj: str, ctx: RuleContext) -> Fix | None:
        statement = ctx.parent
        function = ctx.enclosing_function()
        if not isinstance(statement, ast.Expr) or statement.value is not call or function is None:
            return None
        if not isinstance(call.func, ast.Attribute) or statement.end_lineno is None:
            return None
        indent = edits.indent_of(ctx, statement.lineno)
        rest = ctx.lines.line(statement.end_lineno)[edits.end_of(ctx, statement).column - 1 :]
        if len(indent) + 1 != edits.start_of(ctx, statement).column or not (
            not rest.strip() or rest.lstrip().startswith("#")
        ):
            return None
        receiver = call.func.value
        scope = next(
            (node for node in reversed(ctx.ancestors) if isinstance(node, ast.ClassDef)),
            function,
        )
        # Every add in a class reads the same class: walked once per receiver.
        scan_key = (id(scope), ast.dump(receiver))
        uses = self._uses.get(scan_key)
        if uses is None:
            uses = self._uses[scan_key] = _uses(receiver, scope)
        is_async = _session_is_async(uses, ctx)
        if is_async is None or (is_async and not isinstance(function, ast.AsyncFunctionDef)):
            return None
        session = edits.text(ctx, receiver)
        prefix = f"{indent}await " if is_async else indent
        refresh = f"{prefix}{session}.refresh({obj})\n"
        title = self.meta.fix_title or ""
        following = _next_statement(statement, ctx)
        if following is not None and _flushes(following, receiver):
            # `add(); flush()` lacks only the refresh: after the flush.
            return edits.unsafe(title, edits.after_statement(ctx, following, refresh))
        lines = f"{prefix}{session}.flush()\n{refresh}"
        return edits.unsafe(title, edits.after_statement(ctx, statement, lines))

    @staticmethod
    def _done(add: _Event, ret: _Event, events: list[_Event]) -> bool:
        """One of `events` runs whenever the add has run, and before the return."""
        return any(
            event.start > add.start
            and always_after(add.at, event.at)
            and may_run_before(event.at, ret.at)
            for event in events
        )


@dataclass(frozen=True, slots=True)
class _Uses:
    """What a scope shows about a session receiver, before any name is qualified."""

    awaited: bool
    """Some call on the receiver is awaited."""
    annotations: tuple[ast.expr, ...]
    """Annotations of the receiver's name, of its attribute or of the parameters it is
    set from, in the scope's order."""
    sync_only: bool
    """Some call on the receiver is one that an async session's callers await."""


def _uses(receiver: ast.expr, scope: ast.AST) -> _Uses:
    key = ast.dump(receiver)
    awaited: set[int] = set()
    calls: list[ast.Call] = []
    names = _annotated_names(receiver)
    # Read once the names are all known: one walk of the scope finds both.
    annotated: list[ast.arg | ast.AnnAssign] = []
    attribute = isinstance(receiver, ast.Attribute)
    for node in walk(scope):
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            awaited.add(id(node.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and _same_tail(node.func.value, receiver)
            and ast.dump(node.func.value) == key
        ):
            calls.append(node)
        elif isinstance(node, ast.arg | ast.AnnAssign):
            annotated.append(node)
        elif attribute and isinstance(node, ast.Assign):
            source = _receiver_set_from(node, receiver, key)
            if source is not None:
                names[source] = key
    annotations = [_annotation_of(node, names) for node in annotated]
    return _Uses(
        awaited=any(id(call) in awaited for call in calls),
        annotations=tuple(annotation for annotation in annotations if annotation is not None),
        sync_only=any(
            isinstance(call.func, ast.Attribute) and call.func.attr in _AWAITED for call in calls
        ),
    )


def _session_is_async(uses: _Uses, ctx: RuleContext) -> bool | None:
    """Whether the session receiver `uses` describes is an `AsyncSession`, as the scope
    (the class or function using it) shows: its calls awaited or not, or the annotation
    of the name (or of the parameter an attribute is set from); None when nothing shows
    it."""
    if uses.awaited:
        return True
    for annotation in uses.annotations:
        qualified = [ctx.qualified(part) or "" for part in walk(annotation)]
        if any(name.endswith(("AsyncSession", "async_scoped_session")) for name in qualified):
            return True
        if any(
            name.endswith(("orm.Session", "sqlmodel.Session", "scoped_session"))
            for name in qualified
        ):
            return False
    if uses.sync_only:
        return False
    return None


def _same_tail(node: ast.expr, receiver: ast.expr) -> bool:
    """A cheap test that `node` may dump as `receiver` does: the same node type and last
    name. Dumping every receiver of the scope is what made the comparison costly."""
    if isinstance(node, ast.Name):
        return isinstance(receiver, ast.Name) and node.id == receiver.id
    if isinstance(node, ast.Attribute):
        return isinstance(receiver, ast.Attribute) and node.attr == receiver.attr
    return type(node) is type(receiver)


def _annotated_names(receiver: ast.expr) -> dict[str, str]:
    """Names whose annotation tells the session's type -> the dump of the target they
    annotate: the receiver's own name, and for `self.x` the attribute `x` (a dataclass
    field); `_uses` adds the parameters assigned to `self.x`."""
    if isinstance(receiver, ast.Name):
        return {receiver.id: ast.dump(receiver)}
    if not isinstance(receiver, ast.Attribute):
        return {}
    return {receiver.attr: ast.dump(receiver)}


def _receiver_set_from(node: ast.Assign, receiver: ast.expr, key: str) -> str | None:
    """The name in `self.x = name`, where `self.x` is the receiver (dumped as `key`)."""
    if isinstance(node.value, ast.Name) and any(
        _same_tail(target, receiver) and ast.dump(target) == key for target in node.targets
    ):
        return node.value.id
    return None


def _annotation_of(node: ast.arg | ast.AnnAssign, names: dict[str, str]) -> ast.expr | None:
    """The annotation of a parameter among `names`, of a `session: AsyncSession` field or
    of `self._session: AsyncSession = s`."""
    if isinstance(node, ast.arg):
        return node.annotation if node.arg in names else None
    target = node.target
    if isinstance(target, ast.Name):
        return node.annotation if target.id in names else None
    return node.annotation if ast.dump(target) in names.values() else None


def _next_statement(statement: ast.stmt, ctx: RuleContext) -> ast.stmt | None:
    """The statement after `statement` in the list that holds it."""
    owner = ctx.ancestors[-3] if len(ctx.ancestors) > 2 else None
    if owner is None:
        return None
    for _, value in ast.iter_fields(owner):
        if isinstance(value, list) and any(item is statement for item in value):
            number = next(i for i, item in enumerate(value) if item is statement)
            return value[number + 1] if number + 1 < len(value) else None
    return None


def _flushes(statement: ast.stmt, receiver: ast.expr) -> bool:
    """`[await] <receiver>.flush()` / `.commit()` as a statement of its own."""
    if not isinstance(statement, ast.Expr):
        return False
    call = statement.value.value if isinstance(statement.value, ast.Await) else statement.value
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in _FLUSHES
        and ast.dump(call.func.value) == ast.dump(receiver)
    )
