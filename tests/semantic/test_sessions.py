"""`Sessions`: which names hold a session at each point of a function, as the walk goes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from semantic_probe import walk

from layercheck.context import RuleContext
from layercheck.rules._base import Need
from layercheck.semantic.sessions import Origin, assignments

HEAD = (
    "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n"
    "from sqlalchemy.orm import Session, sessionmaker\n\n"
    "SessionLocal = sessionmaker()\n\n\n"
)


def _origin(node: ast.expr, ctx: RuleContext) -> str | None:
    found = ctx.sessions.origin(node, ctx)
    return found.value if found is not None else None


def _origins(tmp_path: Path, body: str) -> list[object]:
    return walk(
        tmp_path, {"app/services/s.py": HEAD + body}, "app/services/s.py", {Need.SESSIONS}, _origin
    )


RECEIVED, OPENED = Origin.RECEIVED.value, Origin.OPENED.value


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "def f(db: Session):\n    reveal(db)\n    for db in [1, 2]:\n        reveal(db)\n",
            [RECEIVED, None],
            id="for-rebinds",
        ),
        pytest.param(
            "async def f(db: AsyncSession):\n    async for db in stream():\n        reveal(db)\n",
            [None],
            id="async-for-rebinds",
        ),
        pytest.param(
            "def f(db: Session):\n    if (db := other()):\n        reveal(db)\n",
            [None],
            id="walrus-rebinds",
        ),
        pytest.param(
            "def f():\n    if (db := SessionLocal()):\n        reveal(db)\n",
            [OPENED],
            id="walrus-opens",
        ),
        pytest.param(
            "def f(db: Session):\n    with open('x') as db:\n        reveal(db)\n",
            [None],
            id="with-rebinds",
        ),
        pytest.param(
            "def f():\n    with SessionLocal() as db:\n        reveal(db)\n",
            [OPENED],
            id="with-opens",
        ),
        pytest.param(
            "def f(db: Session):\n    with pair() as (db, other):\n        reveal(db)\n",
            [None],
            id="with-tuple-rebinds",
        ),
        pytest.param(
            "def f(db: Session):\n    db += 1\n    reveal(db)\n",
            [None],
            id="augmented-rebinds",
        ),
        pytest.param(
            "def f(db: Session):\n    db, n = load(), 1\n    reveal(db)\n",
            [None],
            id="tuple-rebinds",
        ),
        pytest.param(
            "def f(db: Session):\n    a, b = db, 1\n    reveal(a)\n    reveal(b)\n",
            [RECEIVED, None],
            id="tuple-pairs-values",
        ),
        pytest.param(
            "def f(db: Session):\n    a, *rest = db, 1\n    reveal(a)\n",
            [None],
            id="starred-unpacking-forgets",
        ),
        pytest.param(
            "def f(db: Session):\n    return [reveal(db) for db in items]\n",
            [None],
            id="comprehension-variable",
        ),
        pytest.param(
            "def f(db: Session):\n    return [reveal(db) for item in items]\n",
            [RECEIVED],
            id="comprehension-sees-enclosing",
        ),
        pytest.param(
            "def f(db: Session):\n    def inner():\n        reveal(db)\n\n    return inner\n",
            [RECEIVED],
            id="nested-function-sees-enclosing",
        ),
        pytest.param(
            "def f(db: Session):\n    def inner(db):\n        reveal(db)\n\n    return inner\n",
            [None],
            id="nested-parameter-shadows",
        ),
        pytest.param(
            "def f(db: Session):\n    def inner():\n        nonlocal db\n        db = other()\n"
            "        reveal(db)\n\n    inner()\n    reveal(db)\n",
            [None, None],
            id="nonlocal-rebinds-enclosing",
        ),
        pytest.param(
            "db = None\n\n\ndef f():\n    global db\n    db = SessionLocal()\n    reveal(db)\n",
            [None],
            id="global-is-not-a-local",
        ),
        pytest.param(
            "def f(db: Session):\n    class Holder:\n        db = other()\n        reveal(db)\n\n"
            "    reveal(db)\n",
            [None, RECEIVED],
            id="class-body-binds-its-own",
        ),
        pytest.param(
            "def f(db: Session):\n    db = 1\n    reveal(db)\n    db = SessionLocal()\n"
            "    reveal(db)\n",
            [None, OPENED],
            id="latest-binding-wins",
        ),
        pytest.param(
            "def get_db():\n    db = SessionLocal()\n    yield db\n\n\n"
            "def f():\n    for db in get_db():\n        reveal(db)\n",
            [OPENED],
            id="iterating-a-provider",
        ),
        pytest.param(
            "def f(session):\n    reveal(session)\n",
            [None],
            id="a-name-alone-is-no-session",
        ),
        pytest.param(
            "from typing import cast\n\n\n"
            "def f(raw):\n    db = cast(Session, raw)\n    reveal(db)\n"
            "    name = cast(str, raw)\n    reveal(name)\n",
            [RECEIVED, None],
            id="cast",
        ),
        pytest.param(
            "from typing import cast\n\n\n"
            "def f():\n    db = cast(Session, SessionLocal())\n    reveal(db)\n",
            [OPENED],
            id="cast-keeps-origin",
        ),
    ],
)
def test_rebinding(tmp_path: Path, body: str, expected: list[str | None]) -> None:
    assert _origins(tmp_path, body) == expected


def test_self_attribute_set_in_init_is_seen_from_every_method(tmp_path: Path) -> None:
    body = (
        "class Repo:\n"
        "    def get(self):\n"
        "        reveal(self.db)\n\n"
        "    def __init__(self, db: AsyncSession) -> None:\n"
        "        self.db = db\n"
    )
    assert _origins(tmp_path, body) == [RECEIVED]


def test_same_session_same_key(tmp_path: Path) -> None:
    body = (
        "def f(db: Session):\n"
        "    other = db\n"
        "    repo = Repo(db)\n"
        "    reveal(db)\n    reveal(other)\n    reveal(repo)\n"
        "\n\nclass Repo:\n    pass\n"
    )

    def key(node: ast.expr, ctx: RuleContext) -> str | None:
        return ctx.sessions.key(node, ctx)

    keys = walk(
        tmp_path, {"app/services/s.py": HEAD + body}, "app/services/s.py", {Need.SESSIONS}, key
    )
    assert keys[0] is not None
    assert keys[0] == keys[1]


def test_factory_held_in_a_parameter_opens(tmp_path: Path) -> None:
    body = (
        "def f(factory: async_sessionmaker[AsyncSession]):\n"
        "    reveal(factory())\n    reveal(factory.begin())\n    reveal(other())\n"
    )

    def opens(node: ast.expr, ctx: RuleContext) -> bool:
        return ctx.sessions.opens(node, ctx)

    got = walk(
        tmp_path, {"app/services/s.py": HEAD + body}, "app/services/s.py", {Need.SESSIONS}, opens
    )
    assert got == [True, True, False]


def test_session_stored_by_a_base_class_of_the_module(tmp_path: Path) -> None:
    body = (
        "from typing import Generic, TypeVar\n\n"
        "T = TypeVar('T')\n\n\n"
        "class BaseRepository(Generic[T]):\n"
        "    def __init__(self, session: AsyncSession) -> None:\n"
        "        self.session = session\n"
        "        self.client = make_client()\n\n\n"
        "class Middle(BaseRepository[T]):\n"
        "    pass\n\n\n"
        "class UserRepository(Middle[User]):\n"
        "    async def get(self, user_id):\n"
        "        reveal(self.session)\n"
        "        reveal(self.client)\n"
    )
    assert _origins(tmp_path, body) == [RECEIVED, None]


def test_session_returned_by_a_property(tmp_path: Path) -> None:
    body = (
        "import functools\n\n\n"
        "class Service:\n"
        "    @property\n"
        "    def session(self) -> AsyncSession:\n"
        "        return self._holder.session\n\n"
        "    @functools.cached_property\n"
        "    def name(self) -> str:\n"
        "        return 'x'\n\n"
        "    def run(self):\n"
        "        reveal(self.session)\n"
        "        reveal(self.name)\n"
    )
    assert _origins(tmp_path, body) == [RECEIVED, None]


@pytest.mark.parametrize(
    ("declaration", "expected"),
    [
        pytest.param(
            "from typing import NewType\n\n"
            "from sqlalchemy.ext.asyncio import AsyncSession as _AsyncSession\n\n"
            "AsyncSession = NewType('AsyncSession', _AsyncSession)\n",
            [RECEIVED],
            id="newtype",
        ),
        pytest.param(
            "from typing import NewType\n\n"
            "from sqlalchemy.orm import Session\n\n"
            "Base = NewType('Base', Session)\n"
            "AsyncSession = NewType('AsyncSession', Base)\n",
            [RECEIVED],
            id="newtype-of-newtype",
        ),
        pytest.param(
            "from typing import TypeVar\n\n"
            "from sqlalchemy.orm import Session\n\n"
            "AsyncSession = TypeVar('AsyncSession', bound=Session)\n",
            [RECEIVED],
            id="typevar-bound",
        ),
        pytest.param(
            "from typing import TypeAlias\n\n"
            "from sqlalchemy.orm import Session\n\n"
            "AsyncSession: TypeAlias = Session\n",
            [RECEIVED],
            id="type-alias",
        ),
        pytest.param(
            "from sqlalchemy.ext.asyncio import AsyncSession as _Base\n\n\n"
            "class AsyncSession(_Base):\n    pass\n",
            [RECEIVED],
            id="subclass",
        ),
        pytest.param(
            "from typing import NewType\n\nAsyncSession = NewType('AsyncSession', str)\n",
            [None],
            id="newtype-of-str",
        ),
    ],
)
def test_session_types_declared_by_the_project(
    tmp_path: Path, declaration: str, expected: list[str | None]
) -> None:
    files = {
        "app/db/postgres.py": declaration,
        "app/db/__init__.py": "from app.db.postgres import AsyncSession\n",
        "app/services/s.py": "from app.db import AsyncSession\n\n\n"
        "def f(db: AsyncSession):\n    reveal(db)\n",
    }
    assert walk(tmp_path, files, "app/services/s.py", {Need.SESSIONS}, _origin) == expected


def test_session_stored_by_a_base_class_in_another_module(tmp_path: Path) -> None:
    files = {
        "app/db.py": "from typing import NewType\n\n"
        "from sqlalchemy.ext.asyncio import AsyncSession as _AsyncSession\n\n"
        "AsyncReadSession = NewType('AsyncReadSession', _AsyncSession)\n"
        "AsyncSession = NewType('AsyncSession', AsyncReadSession)\n",
        "app/repositories/base.py": "from typing import Generic, TypeVar\n\n"
        "import httpx\n\n"
        "from app.db import AsyncReadSession, AsyncSession\n\n"
        "T = TypeVar('T')\n\n\n"
        "class RepositoryBase(Generic[T]):\n"
        "    def __init__(\n"
        "        self, session: AsyncSession | AsyncReadSession, client: httpx.Client | None\n"
        "    ) -> None:\n"
        "        self.session = session\n"
        "        self.client = client\n\n\n"
        "class Declared:\n"
        "    db: AsyncSession\n\n"
        "    @property\n"
        "    def reader(self) -> AsyncSession:\n"
        "        return self.db\n",
        "app/repositories/middle.py": "from app.repositories.base import RepositoryBase\n\n\n"
        "class SoftDeleteRepository(RepositoryBase):\n    pass\n",
        "app/repositories/users.py": "from app.repositories import base\n"
        "from app.repositories.middle import SoftDeleteRepository\n\n\n"
        "class UserRepository(SoftDeleteRepository):\n"
        "    async def get(self, user_id):\n"
        "        reveal(self.session)\n"
        "        reveal(self.client)\n\n\n"
        "class Reader(base.Declared):\n"
        "    def run(self):\n"
        "        reveal(self.db)\n"
        "        reveal(self.reader)\n",
    }
    got = walk(tmp_path, files, "app/repositories/users.py", {Need.SESSIONS}, _origin)
    assert got == [RECEIVED, None, RECEIVED, RECEIVED]


def test_assignments_in_source_order() -> None:
    """A class scan reads a method's assignments as `statements` did: compound bodies in
    order (a `try`'s handlers after its `else` and `finally`), nested defs left out."""
    source = (
        "def m(self):\n"
        "    a = 1\n"
        "    if x:\n"
        "        b: int = 2\n"
        "    else:\n"
        "        c = 3\n"
        "    try:\n"
        "        d = 4\n"
        "    except E:\n"
        "        e = 5\n"
        "    else:\n"
        "        f = 6\n"
        "    finally:\n"
        "        g = 7\n"
        "    match y:\n"
        "        case 1:\n"
        "            h = 8\n"
        "    def inner():\n"
        "        i = 9\n"
        "    class K:\n"
        "        j = 10\n"
        "    with w:\n"
        "        for k in z:\n"
        "            l = 11\n"
        "        else:\n"
        "            n: int\n"
    )
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    found: list[ast.Assign | ast.AnnAssign] = []
    assignments(function.body, found)
    names = [
        ast.unparse(stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target)
        for stmt in found
    ]
    assert names == ["a", "b", "c", "d", "f", "g", "e", "h", "l", "n"]
