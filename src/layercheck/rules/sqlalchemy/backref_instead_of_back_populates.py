from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.orm import RELATIONSHIP_FACTORIES
from layercheck.rules._base import (
    Example,
    Invalid,
    Rule,
    RuleContext,
    RuleMeta,
    Status,
    Valid,
    last_names,
)
from layercheck.rules.sqlalchemy._helpers import callee, in_migration, keyword, short


class BackrefInsteadOfBackPopulates(Rule):
    """## What it does
    Checks for `relationship(..., backref=...)`.

    ## Why is this bad?
    `backref=` creates an attribute on the other model at mapper configuration time:
    reading that model's class shows no trace of it, type checkers do not know it
    exists, and it is missing until every mapper is configured. Declaring both sides
    with `back_populates=` keeps each model's attributes in its own class body, typed
    with `Mapped[...]`, and lets each side choose its own loading strategy.

    ## Example
    ```python
    from sqlalchemy import ForeignKey
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"

        id: Mapped[int] = mapped_column(primary_key=True)


    class Post(Base):
        __tablename__ = "posts"

        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        author: Mapped[User] = relationship(backref="posts")
    ```

    ## Use instead
    ```python
    from sqlalchemy import ForeignKey
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"

        id: Mapped[int] = mapped_column(primary_key=True)
        posts: Mapped[list["Post"]] = relationship(back_populates="author")


    class Post(Base):
        __tablename__ = "posts"

        id: Mapped[int] = mapped_column(primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        author: Mapped[User] = relationship(back_populates="posts")
    ```

    ## Details
    `backref="name"` and `backref=backref("name", ...)` are reported, at the keyword;
    `backref=None` and migrations are left alone.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC409",
        name="backref-instead-of-back-populates",
        message="`relationship()` adds `{name}` to the other model through `backref=`; "
        "declare both sides with `back_populates=`",
        status=Status.PREVIEW,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from sqlalchemy import orm\n\n\n"
            "class Post(Base):\n"
            "    __tablename__ = 'posts'\n"
            "    author = orm.relationship('User', backref='posts')  # error: 39\n",
        ),
        Invalid(
            "from sqlalchemy.orm import Mapped, backref, relationship as rel\n\n\n"
            "class Node(Base):\n"
            "    __tablename__ = 'nodes'\n"
            "    parent: Mapped['Node'] = rel(\n"
            "        'Node',\n"
            "        remote_side='Node.id',\n"
            "        backref=backref('children', lazy='selectin'),  # error\n"
            "    )\n",
            note="an aliased import, `backref()`, a multi-line call",
        ),
        Valid(
            "from sqlalchemy.orm import Mapped, relationship\n\n\n"
            "class Post(Base):\n"
            "    __tablename__ = 'posts'\n"
            "    author: Mapped['User'] = relationship(back_populates='posts')\n"
            "    editor: Mapped['User'] = relationship(backref=None)\n",
            note="`back_populates=`; `backref=None` declares nothing",
        ),
        Valid(
            "def relationship(*args, **kwargs):\n"
            "    return (args, kwargs)\n\n\n"
            "class Graph:\n"
            "    edge = relationship('Node', backref='edges')\n",
            note="a project function that happens to be called `relationship`",
        ),
        Valid(
            "import sqlalchemy as sa\n"
            "from sqlalchemy import orm\n\n"
            "revision = 'de4d'\n"
            "down_revision = None\n"
            "Base = orm.declarative_base()\n\n\n"
            "class Recipe(Base):\n"
            "    __tablename__ = 'recipes'\n"
            "    tags = orm.relationship('Tag', backref='recipes')\n",
            path="alembic/versions/de4d_tags.py",
            note="a migration's throwaway model",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = last_names(RELATIONSHIP_FACTORIES)

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if callee(node, ctx) not in RELATIONSHIP_FACTORIES or in_migration(ctx):
            return
        given = keyword(node, "backref")
        if given is None:
            return
        value = given.value
        if isinstance(value, ast.Constant) and value.value is None:
            return
        name = value
        if isinstance(value, ast.Call) and value.args:
            name = value.args[0]
        label = str(name.value) if isinstance(name, ast.Constant) else short(name)
        ctx.report(self, given, name=label)
