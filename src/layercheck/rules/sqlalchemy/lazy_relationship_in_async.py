from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck import edits
from layercheck.annotations import parse_string
from layercheck.model import Fix
from layercheck.orm import (
    DYNAMIC_MAPPED,
    MAPPED,
    RELATIONSHIP_FACTORIES,
    WRITE_ONLY_MAPPED,
    loaded_async,
    uses_async,
)
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
    annotation_head,
    callee,
    has_star_kwargs,
    in_migration,
    keyword,
)

_LAZY_LOADING: Final = frozenset({"select", "dynamic"})
"""`lazy=` values that load on attribute access (`True` is `"select"`)."""


def _collection_kind(annotation: ast.expr, ctx: RuleContext) -> str | None:
    """`WriteOnlyMapped`/`DynamicMapped` (qualified) when the annotation is one, also
    wrapped as `Mapped[WriteOnlyMapped[...]]`; else the annotation's head or None."""
    if isinstance(annotation, ast.Constant):
        annotation = parse_string(annotation) or annotation
    head = annotation_head(annotation)
    kind = ctx.qualified(head) if head is not None else None
    if kind in MAPPED and isinstance(annotation, ast.Subscript):
        inner = annotation_head(annotation.slice)
        inner_kind = ctx.qualified(inner) if inner is not None else None
        if inner_kind in WRITE_ONLY_MAPPED or inner_kind in DYNAMIC_MAPPED:
            return inner_kind
    return kind


class LazyRelationshipInAsync(Rule):
    """## What it does
    Checks, in a project that uses async SQLAlchemy, for a `relationship()` that loads
    lazily: no `lazy=`, or `lazy="select"`, `"dynamic"` or `True`.

    ## Why is this bad?
    A lazy relationship runs its query the first time the attribute is read. Under
    `AsyncSession` there is no implicit IO: reading `user.posts` outside an awaited
    loader raises `MissingGreenlet` (often only in production, where the object was not
    already in the identity map). Loading eagerly (`lazy="selectin"` or `"joined"`), or
    refusing implicit loads (`lazy="raise"`), turns the failure into a defined behaviour.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession  # the project is async
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"

        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list["Post"]] = relationship(back_populates="author")
    ```

    ## Use instead
    ```python
    from sqlalchemy.ext.asyncio import AsyncSession  # the project is async
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"

        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list["Post"]] = relationship(back_populates="author", lazy="selectin")
    ```

    ## Fix safety
    The fix adds `lazy="selectin"` (or replaces `"select"`/`"dynamic"`/`True` with it;
    none is offered for an attribute annotated `DynamicMapped`). It is unsafe: every
    load of the parent then also loads the collection, which may be large, and a
    `"dynamic"` relationship returned a query object, not a list.

    ## Details
    A project uses async SQLAlchemy when any of its modules imports
    `sqlalchemy.ext.asyncio` (or sqlmodel's async session); in a sync-only project this
    rule is quiet. In a project whose modules import sync sessions (`Session`,
    `scoped_session`) more often than async ones, only the models of a module that
    imports an async session (also through a project re-export, subclass or `NewType`),
    or is imported by one, are reported: the others load through sync sessions, where
    lazy loading works. Async-safe loader strategies are `selectin`, `joined`, `subquery`,
    `raise`, `raise_on_sql`, `noload`, `write_only` and `immediate`. A relationship
    annotated `WriteOnlyMapped[...]` (also quoted, or inside `Mapped[...]`) is
    write-only and never loads implicitly, so it is quiet without `lazy=`; one annotated
    `DynamicMapped[...]` loads on access and is reported. A `lazy=` that is not a
    literal, or `**kwargs`, is left alone; so are migrations.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC403",
        name="lazy-relationship-in-async",
        message="`relationship()` {how} loads on attribute access, which raises "
        '`MissingGreenlet` under async; set `lazy="selectin"` (or `joined`/`raise`)',
        fix=FixAvailability.SOMETIMES,
        fix_title='Add `lazy="selectin"`',
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from sqlalchemy.ext.asyncio import AsyncSession\n"
            "from sqlalchemy.orm import (\n"
            "    DeclarativeBase,\n"
            "    DynamicMapped,\n"
            "    Mapped,\n"
            "    mapped_column,\n"
            "    relationship,\n"
            ")\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class User(Base):\n"
            "    __tablename__ = 'users'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    posts: Mapped[list['Post']] = relationship(back_populates='author')  # error: 35\n"
            "    tags: Mapped[list['Tag']] = relationship(lazy='select')  # error\n"
            "    logins: Mapped[list['Login']] = relationship(lazy='dynamic')  # error\n"
            "    events: DynamicMapped['Event'] = relationship()  # error\n",
            fixed=(
                "from sqlalchemy.ext.asyncio import AsyncSession\n"
                "from sqlalchemy.orm import (\n"
                "    DeclarativeBase,\n"
                "    DynamicMapped,\n"
                "    Mapped,\n"
                "    mapped_column,\n"
                "    relationship,\n"
                ")\n"
                "\n"
                "\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n"
                "\n"
                "\n"
                "class User(Base):\n"
                "    __tablename__ = 'users'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
                "    posts: Mapped[list['Post']] ="
                " relationship(back_populates='author', lazy=\"selectin\")  # error: 35\n"
                "    tags: Mapped[list['Tag']] = relationship(lazy=\"selectin\")  # error\n"
                "    logins: Mapped[list['Login']] = relationship(lazy=\"selectin\")  # error\n"
                "    events: DynamicMapped['Event'] = relationship()  # error\n"
            ),
            no_fix=True,
            note="no `lazy=`, `select`, `dynamic`, a `DynamicMapped` annotation",
        ),
        Invalid(
            {
                "app/core/db.py": "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
                "engine = create_async_engine('postgresql+asyncpg://localhost/app')\n",
                "app/models/post.py": "from typing import Optional\n\n"
                "import sqlalchemy.orm as orm\n\n"
                "from app.models.base import Base\n\n\n"
                "class Post(Base):\n"
                "    __tablename__ = 'posts'\n"
                "    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)\n"
                "    author: orm.Mapped[Optional['User']] = orm.relationship(  # error\n"
                "        'User',\n"
                "        lazy=True,\n"
                "    )\n"
                "    editor: orm.Mapped['User'] = orm.relationship(lazy='selectin')\n",
            },
            fixed={
                "app/models/post.py": "from typing import Optional\n"
                "\n"
                "import sqlalchemy.orm as orm\n"
                "\n"
                "from app.models.base import Base\n"
                "\n"
                "\n"
                "class Post(Base):\n"
                "    __tablename__ = 'posts'\n"
                "    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)\n"
                "    author: orm.Mapped[Optional['User']] = orm.relationship(  # error\n"
                "        'User',\n"
                '        lazy="selectin",\n'
                "    )\n"
                "    editor: orm.Mapped['User'] = orm.relationship(lazy='selectin')\n",
            },
            note="async is used in another module; `lazy=True`; a multi-line call",
        ),
        Valid(
            "from sqlalchemy import create_engine\n"
            "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class User(Base):\n"
            "    __tablename__ = 'users'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    posts: Mapped[list['Post']] = relationship(back_populates='author')\n",
            note="a sync-only project: lazy loading works there",
        ),
        Valid(
            {
                "app/db.py": "from sqlalchemy.orm import Session\n\nSESSION = Session\n",
                "app/jobs.py": "from sqlalchemy.orm import Session\n\n"
                "def run(session: Session) -> None:\n    pass\n",
                "app/health.py": "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
                "async def ping(session: AsyncSession) -> None:\n    pass\n",
                "app/models/user.py": "from sqlalchemy.orm import DeclarativeBase, Mapped, "
                "mapped_column, relationship\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n\n\n"
                "class User(Base):\n"
                "    __tablename__ = 'users'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
                "    posts: Mapped[list['Post']] = relationship(back_populates='author')\n",
            },
            note="a mostly sync project whose one async module never touches these models",
        ),
        Valid(
            "from sqlalchemy.ext.asyncio import AsyncSession\n"
            "from sqlalchemy.orm import (\n"
            "    DeclarativeBase,\n"
            "    Mapped,\n"
            "    WriteOnlyMapped,\n"
            "    mapped_column,\n"
            "    relationship,\n"
            ")\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class User(Base):\n"
            "    __tablename__ = 'users'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    posts: Mapped[list['Post']] = relationship(lazy='selectin')\n"
            "    team: Mapped['Team'] = relationship(lazy='joined')\n"
            "    roles: Mapped[list['Role']] = relationship(lazy='subquery')\n"
            "    audit: Mapped[list['Audit']] = relationship(lazy='raise')\n"
            "    notes: Mapped[list['Note']] = relationship(lazy='raise_on_sql')\n"
            "    drafts: Mapped[list['Draft']] = relationship(lazy='noload')\n"
            "    visits: Mapped[list['Visit']] = relationship(lazy='write_only')\n"
            "    boss: Mapped['User'] = relationship(lazy='immediate')\n"
            "    events: WriteOnlyMapped['Event'] = relationship()\n"
            "    audits: 'WriteOnlyMapped[Audit]' = relationship()\n"
            "    logs: Mapped[WriteOnlyMapped['Log']] = relationship()\n",
            note="every async-safe loader strategy, and write-only collections",
        ),
        Valid(
            "from sqlalchemy.ext.asyncio import AsyncSession\n"
            "from sqlalchemy.orm import Mapped, relationship as rel\n\n\n"
            "def relationship(*args, **kwargs):\n"
            "    return rel(*args, lazy='selectin', **kwargs)\n\n\n"
            "class User(Base):\n"
            "    __tablename__ = 'users'\n"
            "    posts: Mapped[list['Post']] = relationship()\n"
            "    tags: Mapped[list['Tag']] = rel(lazy=LOADING)\n"
            "    roles: Mapped[list['Role']] = rel(**RELATIONSHIP_OPTIONS)\n",
            note="a project helper named `relationship`, a `lazy=` that is not a literal, "
            "`**kwargs`",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = last_names(RELATIONSHIP_FACTORIES)

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if callee(node, ctx) not in RELATIONSHIP_FACTORIES or in_migration(ctx):
            return
        if not uses_async(ctx.index) or not loaded_async(ctx.module, ctx.index):
            return
        how = self._lazy_loading(node, ctx)
        if how is not None:
            ctx.report_with_fix(self, node.func, self._fix(node, how, ctx), how=how)

    def _fix(self, node: ast.Call, how: str, ctx: RuleContext) -> Fix | None:
        title = self.meta.fix_title or ""
        if "DynamicMapped" in how:
            return None
        lazy = keyword(node, "lazy")
        if lazy is not None:
            return edits.unsafe(title, edits.replace(ctx, lazy.value, '"selectin"'))
        return edits.unsafe(title, edits.keyword_insertion(ctx, node, 'lazy="selectin"'))

    @staticmethod
    def _lazy_loading(node: ast.Call, ctx: RuleContext) -> str | None:
        """How the relationship loads on access; None when it does not (or is unknown)."""
        lazy = keyword(node, "lazy")
        if lazy is None:
            if has_star_kwargs(node):
                return None
            parent = ctx.parent
            if isinstance(parent, ast.AnnAssign) and parent.value is node:
                kind = _collection_kind(parent.annotation, ctx)
                if kind in WRITE_ONLY_MAPPED:
                    return None
                if kind in DYNAMIC_MAPPED:
                    return "annotated `DynamicMapped`"
            return "without `lazy=`"
        value = lazy.value
        if not isinstance(value, ast.Constant):
            return None
        if value.value is True or value.value in _LAZY_LOADING:
            return f"with `lazy={value.value!r}`".replace("'", '"')
        return None
