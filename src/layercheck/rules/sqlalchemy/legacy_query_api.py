from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.sqlalchemy._helpers import in_migration, short
from layercheck.semantic.sessions import opens_session


class LegacyQueryApi(Rule):
    """## What it does
    Checks for `session.query(...)`, the 1.x Query API, on a value shown to be a
    SQLAlchemy session.

    ## Why is this bad?
    `Query` is legacy in SQLAlchemy 2.0 and does not exist on `AsyncSession`: code
    written with it cannot move to async without a rewrite, and it mixes two APIs with
    different result shapes (`Query.all()` returns entities, `execute()` returns rows).
    `select()` statements run by `session.execute()` / `session.scalars()` work the
    same in sync and async code and can be built and tested apart from the session.

    ## Example
    ```python
    from sqlalchemy.orm import Session


    def get_user_by_email(session: Session, email: str):
        return session.query(User).filter(User.email == email).first()
    ```

    ## Use instead
    ```python
    from sqlalchemy import select
    from sqlalchemy.orm import Session


    def get_user_by_email(session: Session, email: str):
        return session.scalars(select(User).where(User.email == email)).first()
    ```

    ## Details
    A session is a parameter or attribute annotated `Session`/`AsyncSession` (any
    import path, alias, `Annotated[...]` or type alias), a `Depends(...)` of a provider
    that yields one, a local from a session factory (`SessionLocal()`,
    `Session(engine)`, `with factory() as s`), or `self._db`-style attributes set from
    one in a method. A variable's name alone proves nothing: `db.query(...)` on an
    unannotated `db`, Flask-SQLAlchemy's `Model.query` and `db.session.query(...)` are
    left alone, as are migrations.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SESSIONS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC408",
        assumes=("sqlalchemy", 2),
        name="legacy-query-api",
        message="`{receiver}.query()` is the 1.x Query API, absent on `AsyncSession`; "
        "run a `select()` with `{receiver}.execute()` or `.scalars()`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from sqlalchemy.orm import Session as S, sessionmaker\n\n"
            "SessionLocal = sessionmaker()\n\n\n"
            "def get_user(db: S, user_id: int):\n"
            "    return db.query(User).filter(User.id == user_id).first()  # error: 12\n\n\n"
            "def count_users():\n"
            "    with SessionLocal() as s:\n"
            "        return (\n"
            "            s.query(User)  # error\n"
            "            .count()\n"
            "        )\n\n\n"
            "def one_off():\n"
            "    return SessionLocal().query(User).all()  # error\n",
            note="an alias, a `with` target from a project sessionmaker, a direct call",
        ),
        Invalid(
            {
                "app/core/database.py": "from sqlalchemy.orm import sessionmaker\n\n"
                "SessionLocal = sessionmaker()\n\n\n"
                "def get_db():\n"
                "    db = SessionLocal()\n"
                "    try:\n"
                "        yield db\n"
                "    finally:\n"
                "        db.close()\n",
                "app/repositories/users.py": "from typing import Annotated\n\n"
                "from fastapi import Depends\n\n"
                "from app.core.database import get_db\n\n\n"
                "class UserRepository:\n"
                "    def __init__(self, db: Annotated[object, Depends(get_db)]):\n"
                "        self._db = db\n\n"
                "    async def list(self):\n"
                "        return self._db.query(User).all()  # error\n",
            },
            note="a repository holding a session from a `Depends` provider in another module",
        ),
        Valid(
            "from flask_sqlalchemy import SQLAlchemy\n\n"
            "db = SQLAlchemy()\n\n\n"
            "def users(session):\n"
            "    session.query(User)\n"
            "    db.session.query(User)\n"
            "    return User.query.filter_by(active=True).all()\n",
            note="Flask-SQLAlchemy's `Model.query`, an unannotated `session`",
        ),
        Valid(
            "import requests\n"
            "from sqlalchemy import select\n"
            "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "async def get_user(session: AsyncSession, http: requests.Session, user_id: int):\n"
            "    http.query = {'id': user_id}\n"
            "    return await session.scalar(select(User).where(User.id == user_id))\n",
            note="2.0-style `select()`; an HTTP session is not a SQLAlchemy session",
        ),
        Valid(
            "import sqlalchemy as sa\n"
            "from alembic import op\n"
            "from sqlalchemy import orm\n\n"
            "revision = 'c0ffee'\n"
            "down_revision = None\n\n\n"
            "def upgrade():\n"
            "    session = orm.Session(bind=op.get_bind())\n"
            "    for recipe in session.query(Recipe).all():\n"
            "        recipe.slug = recipe.name.lower()\n"
            "    session.commit()\n",
            path="alembic/versions/c0ffee_slugs.py",
            note="a data migration",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = frozenset({"query"})

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr != "query" or in_migration(ctx):
            return
        receiver = func.value
        if ctx.sessions.is_session(receiver, ctx) or opens_session(receiver, ctx):
            ctx.report(self, func, receiver=short(receiver))
