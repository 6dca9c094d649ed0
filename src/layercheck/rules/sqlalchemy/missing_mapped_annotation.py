from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.orm import MAPPED_ANNOTATIONS, MAPPED_COLUMN, RELATIONSHIP_FACTORIES
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.sqlalchemy._helpers import (
    annotation_head,
    callee,
    class_body_attributes,
    is_builtin,
    model_class,
    short,
)

_CONSTRUCTORS: Final = MAPPED_COLUMN | RELATIONSHIP_FACTORIES
_PLAIN_MODULES: Final = frozenset(
    {
        "typing",
        "typing_extensions",
        "collections",
        "datetime",
        "decimal",
        "uuid",
        "enum",
        "ipaddress",
        "pathlib",
    }
)
"""Standard modules whose classes are plain types, never a `Mapped` lookalike."""


class MissingMappedAnnotation(Rule):
    """## What it does
    Checks for a `mapped_column()` or `relationship()` model attribute that has no
    `Mapped[...]` annotation, or is annotated with a plain type such as `str`.

    ## Why is this bad?
    Without `Mapped[...]`, type checkers and IDEs know nothing about the attribute:
    `user.posts` is `Any`, so wrong types slip through until run time. An annotation
    with a plain type (`email: str = mapped_column()`) is worse: SQLAlchemy 2.0 refuses
    it when the class is mapped (`ArgumentError`, unless `__allow_unmapped__` hides the
    problem), and type checkers believe the class attribute `User.email` is a `str`,
    so query expressions built from it do not type-check.

    ## Example
    ```python
    from sqlalchemy import ForeignKey, String
    from sqlalchemy.orm import DeclarativeBase, mapped_column, relationship


    class Base(DeclarativeBase):
        pass


    class Post(Base):
        __tablename__ = "posts"

        id = mapped_column(primary_key=True)
        title: str = mapped_column(String(200))
        author_id = mapped_column(ForeignKey("users.id"))
        author = relationship("User", back_populates="posts")
    ```

    ## Use instead
    ```python
    from sqlalchemy import ForeignKey, String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


    class Base(DeclarativeBase):
        pass


    class Post(Base):
        __tablename__ = "posts"

        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str] = mapped_column(String(200))
        author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
        author: Mapped["User"] = relationship(back_populates="posts")
    ```

    ## Fix (not yet available)
    The fix will wrap an existing plain annotation in `Mapped[...]` (`title: str` becomes
    `title: Mapped[str]`) and add the import. It is unsafe: the annotation then takes
    part in the mapping, so `Mapped[str]` makes the column NOT NULL unless `nullable=`
    says otherwise, which may not match the database.

    ## Details
    `Mapped`, `WriteOnlyMapped` and `DynamicMapped` are accepted, in any import form or
    inside a string. Only annotations that are clearly plain types are reported:
    builtins, standard-library types (`datetime`, `uuid.UUID`, `Optional[...]`, ...) and
    project classes; an annotation naming some other project object (perhaps an alias of
    `Mapped`) is left alone. Models are found as for LC401: declarative models, their
    declarative base and the project mixins they derive from, outside migrations.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC402",
        assumes=("sqlalchemy", 2),
        name="missing-mapped-annotation",
        message="mapped attribute `{model}.{name}` {problem}; annotate it as `Mapped[...]`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from typing import Optional\n\n"
            "import sqlalchemy.orm as so\n"
            "from sqlalchemy import ForeignKey\n\n\n"
            "class Base(so.DeclarativeBase):\n"
            "    pass\n\n\n"
            "class Post(Base):\n"
            "    __tablename__ = 'posts'\n"
            "    id: so.Mapped[int] = so.mapped_column(primary_key=True)\n"
            "    author_id = so.mapped_column(ForeignKey('users.id'))  # error: 5\n"
            "    title: str = so.mapped_column()  # error\n"
            "    summary: Optional[str] = so.mapped_column()  # error\n"
            "    author: 'User' = so.relationship(back_populates='posts')  # error\n"
            "    editor = so.relationship(  # error\n"
            "        'User',\n"
            "    )\n\n\n"
            "class User(Base):\n"
            "    __tablename__ = 'users'\n"
            "    id: so.Mapped[int] = so.mapped_column(primary_key=True)\n",
            note="no annotation, plain types, a string annotation naming a model",
        ),
        Invalid(
            {
                "app/models/base.py": "from sqlalchemy.orm import DeclarativeBase\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n",
                "app/models/mixins.py": "import datetime as dt\n\n"
                "from sqlalchemy.orm import mapped_column\n\n\n"
                "class AuditMixin:\n"
                "    created_at: dt.datetime = mapped_column()  # error\n",
                "app/models/user.py": "import uuid\n\n"
                "from sqlalchemy.orm import Mapped, mapped_column, relationship\n\n"
                "from .base import Base\n"
                "from .mixins import AuditMixin\n\n\n"
                "class User(AuditMixin, Base):\n"
                "    __tablename__ = 'users'\n"
                "    id: uuid.UUID = mapped_column(primary_key=True)  # error\n"
                "    posts: list['Post'] = relationship(back_populates='author')  # error\n"
                "    name: Mapped[str] = mapped_column()\n",
            },
            note="a project mixin in another module, stdlib types, a builtin generic",
        ),
        Valid(
            "from typing import Optional\n\n"
            "from sqlalchemy import ForeignKey\n"
            "from sqlalchemy.orm import (\n"
            "    DeclarativeBase,\n"
            "    DynamicMapped,\n"
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
            "    manager_id: 'Mapped[Optional[int]]' = mapped_column(ForeignKey('users.id'))\n"
            "    manager: Mapped[Optional['User']] = relationship(remote_side=[id])\n"
            "    posts: Mapped[list['Post']] = relationship(back_populates='author')\n"
            "    events: WriteOnlyMapped['Event'] = relationship()\n"
            "    logins: DynamicMapped['Login'] = relationship()\n",
            note="`Mapped`, `WriteOnlyMapped`, `DynamicMapped`, also quoted",
        ),
        Valid(
            {
                "app/models/types.py": "from sqlalchemy.orm import Mapped\n\nIntPK = Mapped[int]\n",
                "app/models/item.py": "from sqlalchemy.orm import DeclarativeBase, "
                "mapped_column\n\n"
                "from app.models.types import IntPK\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n\n\n"
                "class Item(Base):\n"
                "    __tablename__ = 'items'\n"
                "    id: IntPK = mapped_column(primary_key=True)\n",
            },
            note="a project name that may be an alias of `Mapped` is left alone",
        ),
        Valid(
            "from sqlalchemy.orm import mapped_column, relationship\n"
            "from sqlmodel import Field, Relationship, SQLModel\n\n\n"
            "class Hero(SQLModel, table=True):\n"
            "    id: int | None = Field(default=None, primary_key=True)\n"
            "    team: 'Team' = Relationship(back_populates='heroes')\n\n\n"
            "class Settings:\n"
            "    column = mapped_column()\n"
            "    link = relationship('User')\n",
            note="a SQLModel table and a class no model derives from",
        ),
    )

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        model = model_class(node, ctx)
        if model is None:
            return
        for target, annotation, value, _ in class_body_attributes(node):
            if value is None or callee(value, ctx) not in _CONSTRUCTORS:
                continue
            if annotation is None:
                problem = "has no annotation"
            elif self._plain(annotation, ctx):
                problem = f"is annotated as plain `{short(annotation)}`"
            else:
                continue
            ctx.report(self, target, model=node.name, name=target.id, problem=problem)

    @staticmethod
    def _plain(annotation: ast.expr, ctx: RuleContext) -> bool:
        """The annotation is shown to be a plain type rather than `Mapped[...]`."""
        head = annotation_head(annotation)
        if head is None:
            return False
        if isinstance(head, ast.BinOp):
            return True  # `str | None`
        if not isinstance(head, ast.Name | ast.Attribute):
            return False
        if is_builtin(head, ctx):
            return True
        name = ctx.qualified(head)
        if name is None:
            return False
        if name in MAPPED_ANNOTATIONS:
            return False
        if ctx.index.module_of(name) is not None:
            return ctx.index.class_fact(name) is not None
        return name.partition(".")[0] in _PLAIN_MODULES
