from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck import edits
from layercheck.model import Fix
from layercheck.orm import COLUMN_CLASSES, MAPPED_COLUMN
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
from layercheck.rules.sqlalchemy._helpers import (
    callee,
    in_migration,
    inside_alembic_op,
    short,
)

_COLUMNS: Final = COLUMN_CLASSES | MAPPED_COLUMN | frozenset({"sqlmodel.Column"})
_KEYWORDS: Final = ("default", "onupdate", "default_factory", "insert_default")
NOW_FUNCTIONS: Final = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
    }
)
_SAME_MOMENT: Final = frozenset({"replace", "astimezone", "date"})
"""Methods whose result still records when the row was written."""
_DATES: Final = frozenset({"datetime.date.today"})
_TIME_OF_DAY: Final = frozenset({"time", "timetz"})
TIME_OF_DAY: Final = "datetime.datetime.time"
"""The marker of `now().time()`: the time of day the row was written, on the client's
clock; the database's twin (`func.current_time()`) keeps the server's time zone, so no
fix is offered."""
_FUNC: Final = frozenset(
    {"sqlalchemy.func", "sqlalchemy.sql.func", "sqlalchemy.sql.expression.func"}
)
_CALLABLE = "sets the timestamp in Python, not in the database"
_CALLED = "is evaluated once, at import: every row gets that same time"


def _innermost_call(node: ast.expr) -> ast.expr:
    """`datetime.now(UTC)` for `datetime.now(UTC).replace(tzinfo=None).astimezone()`;
    methods that turn the moment into something else (`.time()`, `.strftime()`) stop."""
    while (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _SAME_MOMENT
        and isinstance(node.func.value, ast.Call)
    ):
        node = node.func.value
    return node


def _time_of(node: ast.expr) -> ast.expr | None:
    """`X` of `X.time()` or `X.timetz()`."""
    if (
        isinstance(node, ast.Call)
        and not node.args
        and not node.keywords
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _TIME_OF_DAY
    ):
        return node.func.value
    return None


def _now_function(node: ast.expr, ctx: RuleContext) -> str | None:
    """`datetime.now` (any import form), or a project function that returns it: which of
    `NOW_FUNCTIONS` it calls (`datetime.date.today` only when every path gives a date)."""
    if not isinstance(node, ast.Name | ast.Attribute):
        return None
    name = ctx.qualified(node)
    if name is None:
        return None
    if name in NOW_FUNCTIONS:
        return name
    function = ctx.index.function(name)
    if function is None or not function.yields_calls:
        return None
    called = {ctx.index.resolve(c) for c in function.yields_calls}
    if not called <= NOW_FUNCTIONS:
        return None
    return next(iter(called)) if len(called) == 1 else "datetime.datetime.now"


class ClientSideTimestampDefault(Rule):
    """## What it does
    Checks for a column whose `default=`, `onupdate=`, `default_factory=` or
    `insert_default=` takes the time from Python's `datetime.now()`/`utcnow()`/`today()`.

    ## Why is this bad?
    The timestamp then comes from the clock and time zone of whichever process writes
    the row, not from the database: app servers drift apart, `utcnow()` returns a naive
    datetime that is easily mixed with local times, and rows written by SQL, by other
    services or by bulk `insert()` get no value at all. A server default
    (`server_default=func.now()`) is set by the database for every insert. Worse,
    `default=datetime.now(UTC)` calls the function once, when the module is imported:
    every row then gets the same timestamp.

    ## Example
    ```python
    from datetime import datetime, timezone

    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Post(Base):
        __tablename__ = "posts"

        id: Mapped[int] = mapped_column(primary_key=True)
        created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
        updated_at: Mapped[datetime] = mapped_column(
            default=lambda: datetime.now(timezone.utc),
            onupdate=lambda: datetime.now(timezone.utc),
        )
    ```

    ## Use instead
    ```python
    from datetime import datetime

    from sqlalchemy import func
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Post(Base):
        __tablename__ = "posts"

        id: Mapped[int] = mapped_column(primary_key=True)
        created_at: Mapped[datetime] = mapped_column(server_default=func.now())
        updated_at: Mapped[datetime] = mapped_column(
            server_default=func.now(), onupdate=func.now()
        )
    ```

    ## Fix safety
    The fix replaces `default=...` (or `insert_default=...`) with
    `server_default=func.now()` and `onupdate=...` with `onupdate=func.now()`
    (`func.current_date()` for `date.today`), using `func` as the module already has it
    (`sa.func` after `import sqlalchemy as sa`) or adding `from sqlalchemy import func`.
    It is unsafe: the database's clock and time zone take over (a `DateTime` without
    `timezone=True` may store local time), the value is known only after a flush and a
    refresh, and existing tables need a migration for the server default.

    No fix is offered for `default_factory=` (in a `MappedAsDataclass` model it also
    makes the argument optional in `__init__`; a server default alone would make it
    required), when the column already has a `server_default=` (or a second keyword of
    the same column is being turned into one), or when a comment sits inside the value.

    ## Details
    The functions recognised are `datetime.datetime.now`, `utcnow` and `today` and
    `datetime.date.today` in any import form; a lambda around a call of one, also
    followed by `.replace(...)`, `.astimezone(...)` or `.date()`; a lambda around
    `now().time()` (the time of day of the write, on the client's clock: reported with
    `server_default=func.current_time()` as the remedy, without a fix, since the database
    keeps its own time zone); and a project function whose returned values all come
    from one of them (`def utcnow(): return datetime.now(UTC)`), in this module or
    another. Columns of a `Table(...)` count as well as those of declarative classes;
    columns in migrations (and in Alembic `op.*` calls) are left alone, as are Pydantic
    fields: only `Column`/`mapped_column` are columns. A column that already has a
    `server_default=` keeps its Python `default=` quietly: the database sets the rows
    written by SQL, and the Python default gives the attribute its value before the flush
    (a value fixed at import, `default=datetime.now()`, is still reported).
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC404",
        name="client-side-timestamp-default",
        message="`{keyword}={value}` {problem}; use `{remedy}`",
        fix=FixAvailability.SOMETIMES,
        fix_title="Let the database set the timestamp",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from datetime import datetime, timezone\n\n"
            "import sqlalchemy as sa\n"
            "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class Post(Base):\n"
            "    __tablename__ = 'posts'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)"
            "  # error: 50\n"
            "    updated_at = sa.Column(\n"
            "        sa.DateTime,\n"
            "        default=lambda: datetime.now(timezone.utc),  # error\n"
            "        onupdate=datetime.now,  # error\n"
            "    )\n"
            "    published_at: Mapped[datetime] = mapped_column(\n"
            "        default=datetime.now(timezone.utc)  # error\n"
            "    )\n"
            "    seen_at: Mapped[datetime] = mapped_column(\n"
            "        insert_default=lambda: datetime.now().replace(microsecond=0).astimezone()"
            "  # error\n"
            "    )\n",
            fixed=(
                "from datetime import datetime\n"
                "\n"
                "import sqlalchemy as sa\n"
                "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
                "\n"
                "\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n"
                "\n"
                "\n"
                "class Post(Base):\n"
                "    __tablename__ = 'posts'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
                "    created_at: Mapped[datetime] ="
                " mapped_column(server_default=sa.func.now())  # error: 50\n"
                "    updated_at = sa.Column(\n"
                "        sa.DateTime,\n"
                "        server_default=sa.func.now(),  # error\n"
                "        onupdate=sa.func.now(),  # error\n"
                "    )\n"
                "    published_at: Mapped[datetime] = mapped_column(\n"
                "        server_default=sa.func.now()  # error\n"
                "    )\n"
                "    seen_at: Mapped[datetime] = mapped_column(\n"
                "        server_default=sa.func.now()  # error\n"
                "    )\n"
            ),
            note="a function, a lambda, a call fixed at import, a method chain",
        ),
        Invalid(
            {
                "app/utils/clock.py": "import datetime\n\n\n"
                "def utcnow():\n"
                '    """The current time in UTC."""\n'
                "    return datetime.datetime.now(datetime.timezone.utc)\n",
                "app/db/models/item.py": "import datetime as dt\n\n"
                "from sqlalchemy import orm\n\n"
                "from app.utils.clock import utcnow as now_utc\n\n\n"
                "def today():\n"
                "    return dt.date.today()\n\n\n"
                "class Item(Base):\n"
                "    __tablename__ = 'items'\n"
                "    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(\n"
                "        default=now_utc,  # error\n"
                "        onupdate=now_utc,  # error\n"
                "    )\n"
                "    day: orm.Mapped[dt.date] = orm.mapped_column(default_factory=today)  # error\n"
                "    frozen: orm.Mapped[dt.date] = orm.mapped_column(default=today())  # error\n",
            },
            fixed={
                "app/db/models/item.py": (
                    "import datetime as dt\n"
                    "\n"
                    "from sqlalchemy import func, orm\n"
                    "\n"
                    "\n"
                    "def today():\n"
                    "    return dt.date.today()\n"
                    "\n"
                    "\n"
                    "class Item(Base):\n"
                    "    __tablename__ = 'items'\n"
                    "    created_at: orm.Mapped[dt.datetime] = orm.mapped_column(\n"
                    "        server_default=func.now(),  # error\n"
                    "        onupdate=func.now(),  # error\n"
                    "    )\n"
                    "    day: orm.Mapped[dt.date] = orm.mapped_column(default_factory=today)"
                    "  # error\n"
                    "    frozen: orm.Mapped[dt.date] ="
                    " orm.mapped_column(server_default=func.current_date())  # error\n"
                ),
            },
            no_fix=True,
            note="project functions returning `now()`, in another module (imported under an "
            "alias) and in the same module",
        ),
        Valid(
            "from datetime import UTC, datetime\n\n"
            "from pydantic import BaseModel, Field\n"
            "from sqlalchemy import func\n"
            "from sqlalchemy.orm import Mapped, mapped_column\n\n\n"
            "class Post(Base):\n"
            "    __tablename__ = 'posts'\n"
            "    created_at: Mapped[datetime] = mapped_column(server_default=func.now())\n"
            "    updated_at: Mapped[datetime] = mapped_column(\n"
            "        server_default=func.now(), onupdate=func.now()\n"
            "    )\n"
            "    deleted_at: Mapped[datetime | None] = mapped_column(default=None)\n"
            "    seen_at: Mapped[datetime] = mapped_column(\n"
            "        default=lambda: datetime.now(UTC), server_default=func.now()\n"
            "    )\n\n\n"
            "class PostRead(BaseModel):\n"
            "    fetched_at: datetime = Field(default_factory=datetime.now)\n",
            note="server defaults, one beside a Python default that fills the attribute "
            "before the flush; a Pydantic field is not a column",
        ),
        Valid(
            {
                "alembic/versions/0002_add_seen.py": "from datetime import datetime\n\n"
                "import sqlalchemy as sa\n"
                "from alembic import op\n\n"
                "revision = '0002'\n"
                "down_revision = '0001'\n\n\n"
                "def upgrade():\n"
                "    op.add_column('posts', sa.Column('seen', sa.DateTime, "
                "default=datetime.utcnow))\n",
                "app/models/tables.py": "from sqlalchemy import "
                "Column, DateTime, MetaData, Table, func\n\n"
                "metadata = MetaData()\n"
                "audit = Table(\n"
                "    'audit',\n"
                "    metadata,\n"
                "    Column('at', DateTime, server_default=func.now()),\n"
                ")\n",
            },
            note="a migration is left alone; a `Table(...)` column with a server default",
        ),
        Invalid(
            "from datetime import datetime, timezone\n\n"
            "import sqlalchemy as sa\n\n"
            "metadata = sa.MetaData()\n"
            "audit = sa.Table(\n"
            "    'audit',\n"
            "    metadata,\n"
            "    sa.Column('at', sa.DateTime, default=datetime.utcnow),  # error\n"
            "    sa.Column(\n"
            "        'changed', sa.DateTime, onupdate=lambda: datetime.now(timezone.utc)  # error\n"
            "    ),\n"
            ")\n",
            path="app/models/tables.py",
            fixed=(
                "import sqlalchemy as sa\n"
                "\n"
                "metadata = sa.MetaData()\n"
                "audit = sa.Table(\n"
                "    'audit',\n"
                "    metadata,\n"
                "    sa.Column('at', sa.DateTime, server_default=sa.func.now()),  # error\n"
                "    sa.Column(\n"
                "        'changed', sa.DateTime, onupdate=sa.func.now()  # error\n"
                "    ),\n"
                ")\n"
            ),
            note="columns of a `Table(...)`",
        ),
        Valid(
            "import datetime as dt\n"
            "import uuid\n\n"
            "from sqlalchemy.orm import Mapped, mapped_column\n\n\n"
            "class datetime:\n"
            "    @staticmethod\n"
            "    def now():\n"
            "        return 0\n\n\n"
            "def new_slug():\n"
            "    return uuid.uuid4().hex\n\n\n"
            "def now_or_none(flag):\n"
            "    return compute(flag)\n\n\n"
            "class Post(Base):\n"
            "    __tablename__ = 'posts'\n"
            "    slug: Mapped[str] = mapped_column(default=new_slug)\n"
            "    stamp: Mapped[int] = mapped_column(default=datetime.now)\n"
            "    other: Mapped[int] = mapped_column(default=now_or_none)\n",
            note="a local class called `datetime`, project functions returning other values",
        ),
        Invalid(
            "import datetime as dt\n"
            "from datetime import time, timezone\n\n"
            "from sqlalchemy.orm import Mapped, mapped_column\n\n\n"
            "class Webhook(Base):\n"
            "    __tablename__ = 'webhooks'\n"
            "    at: Mapped[time] = mapped_column(\n"
            "        default=lambda: dt.datetime.now(timezone.utc).time()  # error\n"
            "    )\n"
            "    label: Mapped[str] = mapped_column(\n"
            "        default=lambda: dt.datetime.now().isoformat()\n"
            "    )\n",
            path="app/models/webhook.py",
            no_fix=True,
            note="a time of day taken from `now()` (no fix: `func.current_time()` keeps the "
            "database's time zone); `.isoformat()` is text, not a time, and is left alone",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = last_names(_COLUMNS)

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if callee(node, ctx) not in _COLUMNS or in_migration(ctx) or inside_alembic_op(ctx):
            return
        # One keyword at most becomes `server_default=` (two would not parse).
        server_default = any(kw.arg == "server_default" for kw in node.keywords)
        declared_server_default = server_default
        for kw in node.keywords:
            if kw.arg not in _KEYWORDS:
                continue
            found = self._problem(kw.value, ctx)
            if found is None:
                continue
            problem, function = found
            if declared_server_default and kw.arg != "onupdate" and problem == _CALLABLE:
                continue  # the database sets rows the ORM does not; this one fills the
                # attribute before the flush
            call = "func.current_time()" if function == TIME_OF_DAY else "func.now()"
            remedy = f"onupdate={call}" if kw.arg == "onupdate" else f"server_default={call}"
            fix = None
            if function == TIME_OF_DAY:
                pass  # no fix: see TIME_OF_DAY
            elif kw.arg == "onupdate":
                fix = self._fix(kw, "onupdate", function, ctx)
            elif kw.arg != "default_factory" and not server_default:
                server_default = True
                fix = self._fix(kw, "server_default", function, ctx)
            ctx.report_with_fix(
                self, kw, fix, keyword=kw.arg, value=short(kw.value), problem=problem, remedy=remedy
            )

    def _fix(self, kw: ast.keyword, new: str, function: str, ctx: RuleContext) -> Fix | None:
        if edits.has_comment(ctx, kw):
            return None
        call = "current_date" if function in _DATES else "now"
        module = next(
            (name for name, bound in ctx.names.module_scope.items() if bound == "sqlalchemy"),
            None,
        )
        found = ctx.names.lookup("func")
        if found in _FUNC or (found is None and module is None):
            added = edits.ensure_import(ctx, "sqlalchemy", "func", also=_FUNC)
            if added is None:
                return None
            value = f"func.{call}()"
        elif module is not None:
            added, value = (), f"{module}.func.{call}()"
        else:
            return None
        title = self.meta.fix_title or ""
        return edits.unsafe(title, edits.replace(ctx, kw, f"{new}={value}"), *added)

    @staticmethod
    def _problem(value: ast.expr, ctx: RuleContext) -> tuple[str, str] | None:
        """(what is wrong, the `now` function called, or TIME_OF_DAY) for a client-side
        timestamp."""
        if isinstance(value, ast.Lambda | ast.Call):
            body = value.body if isinstance(value, ast.Lambda) else value
            problem = _CALLABLE if isinstance(value, ast.Lambda) else _CALLED
            time_of = _time_of(body)
            inner = _innermost_call(time_of if time_of is not None else body)
            if isinstance(inner, ast.Call):
                function = _now_function(inner.func, ctx)
                if function is not None and function not in _DATES:
                    return problem, TIME_OF_DAY if time_of is not None else function
                if function is not None and time_of is None:
                    return problem, function
            return None
        function = _now_function(value, ctx)
        return (_CALLABLE, function) if function is not None else None
