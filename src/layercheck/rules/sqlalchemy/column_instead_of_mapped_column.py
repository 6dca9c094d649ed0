from __future__ import annotations

import ast
from typing import ClassVar

from layercheck import edits
from layercheck.annotations import parse_string
from layercheck.model import Fix
from layercheck.orm import COLUMN_CLASSES, MAPPED
from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
)
from layercheck.rules.sqlalchemy._helpers import (
    callee,
    class_body_attributes,
    declared_attr_methods,
    model_class,
)


def _is_mapped(annotation: ast.expr, ctx: RuleContext) -> bool:
    inner = parse_string(annotation) or annotation
    head = inner.value if isinstance(inner, ast.Subscript) else inner
    return isinstance(head, ast.Name | ast.Attribute) and ctx.qualified(head) in MAPPED


class ColumnInsteadOfMappedColumn(Rule):
    """## What it does
    Checks for a declarative model attribute defined with the 1.x `Column(...)` instead of
    `mapped_column(...)`.

    ## Why is this bad?
    `Column()` carries no Python type: type checkers see `User.email` as `Column[Any]` on
    the class and as a `Column` on instances, so a typo or a wrong type in a query or an
    assignment is found only at run time. SQLAlchemy 2.0's `mapped_column()` with a
    `Mapped[...]` annotation derives nullability and the SQL type from the annotation,
    and gives the attribute its real type in both places.

    ## Example
    ```python
    from sqlalchemy import Column, Integer, String
    from sqlalchemy.orm import DeclarativeBase


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"

        id = Column(Integer, primary_key=True)
        email = Column(String(255), unique=True, nullable=False)
    ```

    ## Use instead
    ```python
    from sqlalchemy import String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"

        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str] = mapped_column(String(255), unique=True)
    ```

    ## Fix safety
    The fix renames `Column(...)` to `mapped_column(...)` and adds the import (SQLAlchemy
    2.0 has it): safe, since `mapped_column()` accepts the same arguments and builds the
    same column. The `Mapped[<type>]` annotation is LC402's unsafe fix, which infers it
    from the column type and `nullable=` on the next pass: unsafe because the annotation
    then decides nullability (`Mapped[str]` means NOT NULL) and the inferred Python type
    may be narrower than what the column holds. No fix is offered for an attribute with
    a plain annotation (`id: int = Column(...)`: `mapped_column()` would read it), or
    where `mapped_column` already names something else.

    ## Details
    A class counts as a model when it derives, across modules, mixins and abstract
    bases, from a declarative base (`class Base(DeclarativeBase)`, `declarative_base()`,
    `registry().generate_base()` or `@as_declarative`). The declarative base itself and
    project mixins that some model derives from are checked too, since their attributes
    become columns of every model that uses them; so is a `return Column(...)` in one of
    their `@declared_attr` methods. `Column` inside `Table(...)`, in SQLModel classes,
    in Pydantic models and in migrations is left alone.

    ## Leaves to
    The missing `Mapped[...]` annotation on the same column: LC402.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC401",
        assumes=("sqlalchemy", 2),
        name="column-instead-of-mapped-column",
        message="`Column()` used for mapped attribute `{model}.{name}`; use `mapped_column()`",
        fix=FixAvailability.SOMETIMES,
        fix_title="Use `mapped_column()`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "import sqlalchemy as sa\n"
            "from sqlalchemy import orm\n\n\n"
            "class Base(orm.DeclarativeBase):\n"
            "    id = sa.Column(sa.Integer, primary_key=True)  # error: 10\n\n\n"
            "class User(Base):\n"
            "    __tablename__ = 'users'\n"
            "    email = sa.Column(  # error\n"
            "        sa.String(255),\n"
            "        unique=True,\n"
            "    )\n"
            "    name: orm.Mapped[str] = sa.Column(sa.String(50))  # error\n"
            "    posts: orm.Mapped[list['Post']] = orm.relationship(back_populates='author')\n",
            note="`import sqlalchemy as sa`, a multi-line call, a `Mapped` annotation on a "
            "Column, a column on the declarative base itself",
        ),
        Invalid(
            {
                "app/db/base.py": "from sqlalchemy.orm import declarative_base\n\n"
                "Base = declarative_base()\n",
                "app/db/mixins.py": "from datetime import datetime\n\n"
                "from sqlalchemy import Column, DateTime, ForeignKey, Integer, func\n"
                "from sqlalchemy.orm import declared_attr\n\n\n"
                "class TimestampMixin:\n"
                "    created_at = Column(DateTime, server_default=func.now())  # error\n\n\n"
                "class OwnedMixin:\n"
                "    @declared_attr\n"
                "    def owner_id(cls):\n"
                "        return Column(Integer, ForeignKey('users.id'))  # error\n",
                "mealie/db/models/recipe.py": "from sqlalchemy.schema import Column as C\n"
                "from sqlalchemy.types import Integer, String\n\n"
                "from app.db import base\n"
                "from app.db.mixins import OwnedMixin, TimestampMixin\n\n\n"
                "class Recipe(base.Base, TimestampMixin, OwnedMixin):\n"
                "    __tablename__ = 'recipes'\n"
                "    id = C(Integer, primary_key=True)  # error\n"
                "    name = C(String)  # error\n",
            },
            fixed={
                "app/db/mixins.py": "from datetime import datetime\n"
                "\n"
                "from sqlalchemy import DateTime, ForeignKey, Integer, func\n"
                "from sqlalchemy.orm import declared_attr, mapped_column\n"
                "\n"
                "\n"
                "class TimestampMixin:\n"
                "    created_at = mapped_column(DateTime, server_default=func.now())  # error\n"
                "\n"
                "\n"
                "class OwnedMixin:\n"
                "    @declared_attr\n"
                "    def owner_id(cls):\n"
                "        return mapped_column(Integer, ForeignKey('users.id'))  # error\n",
                "mealie/db/models/recipe.py": "from sqlalchemy.orm import mapped_column\n"
                "from sqlalchemy.types import Integer, String\n"
                "\n"
                "from app.db import base\n"
                "from app.db.mixins import OwnedMixin, TimestampMixin\n"
                "\n"
                "\n"
                "class Recipe(base.Base, TimestampMixin, OwnedMixin):\n"
                "    __tablename__ = 'recipes'\n"
                "    id = mapped_column(Integer, primary_key=True)  # error\n"
                "    name = mapped_column(String)  # error\n",
            },
            note="a `declarative_base()` base and project mixins in other modules, an alias "
            "import, a model outside any `models` layer folder",
        ),
        Invalid(
            {
                "app/core/db.py": "from sqlalchemy.orm import as_declarative\n\n\n"
                "@as_declarative()\n"
                "class Base:\n"
                "    pass\n",
                "app/models/__init__.py": "from app.core.db import Base\n",
                "app/models/tag.py": "from sqlalchemy import Column, String\n\n"
                "from . import Base\n\n\n"
                "class Tag(Base):\n"
                "    __tablename__ = 'tags'\n"
                "    name = Column(String, primary_key=True)  # error\n",
                "app/db/registry.py": "from sqlalchemy.orm import registry\n\n"
                "mapper_registry = registry()\n"
                "Base = mapper_registry.generate_base()\n"
                "OtherBase = registry().generate_base()\n",
                "app/models/audit.py": "import sqlalchemy as sa\n\n"
                "from app.db.registry import Base, OtherBase\n\n\n"
                "class Audit(Base):\n"
                "    __tablename__ = 'audit'\n"
                "    id = sa.Column(sa.Integer, primary_key=True)  # error\n\n\n"
                "class Event(OtherBase):\n"
                "    __tablename__ = 'events'\n"
                "    id = sa.Column(sa.Integer, primary_key=True)  # error\n",
            },
            note="an `@as_declarative()` base, re-exported, imported relatively; bases from "
            "`registry().generate_base()`",
        ),
        Valid(
            "from typing import Optional\n\n"
            "from sqlalchemy import ForeignKey, String\n"
            "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class Post(Base):\n"
            "    __tablename__ = 'posts'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    author_id: Mapped[int] = mapped_column(ForeignKey('users.id'))\n"
            "    author: Mapped['User'] = relationship(back_populates='posts')\n"
            "    editor: Mapped[Optional['User']] = relationship()\n\n\n"
            "class User(Base):\n"
            "    __tablename__ = 'users'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    name: Mapped[str] = mapped_column(String(50))\n"
            "    posts: Mapped[list['Post']] = relationship(back_populates='author')\n",
            note="2.0 style with string annotations",
        ),
        Valid(
            "from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table\n"
            "from sqlmodel import Field, SQLModel\n"
            "from pydantic import BaseModel\n\n"
            "metadata = MetaData()\n"
            "user_roles = Table(\n"
            "    'user_roles',\n"
            "    metadata,\n"
            "    Column('user_id', ForeignKey('users.id'), primary_key=True),\n"
            ")\n\n\n"
            "class Hero(SQLModel, table=True):\n"
            "    id: int | None = Field(\n"
            "        default=None, sa_column=Column(Integer, primary_key=True)\n"
            "    )\n\n\n"
            "class Columns(BaseModel):\n"
            "    spec: object = Column(Integer)\n\n\n"
            "class Plain:\n"
            "    id = Column(Integer)\n",
            note="`Column` in `Table(...)`, a SQLModel table, a Pydantic model, and a class "
            "no model derives from",
        ),
        Valid(
            "import sqlalchemy as sa\n"
            "from alembic import op\n"
            "from sqlalchemy.orm import declarative_base\n\n"
            "revision = '1a2b3c'\n"
            "down_revision = None\n"
            "Base = declarative_base()\n\n\n"
            "class Recipe(Base):\n"
            "    __tablename__ = 'recipes'\n"
            "    id = sa.Column(sa.Integer, primary_key=True)\n\n\n"
            "def upgrade():\n"
            "    op.add_column('recipes', sa.Column('slug', sa.String(), nullable=True))\n",
            path="alembic/versions/0001_slug.py",
            note="a migration, with its own throwaway model",
        ),
        Valid(
            {
                "app/ui/grid.py": "class Column:\n"
                "    def __init__(self, *args):\n"
                "        self.args = args\n",
                "app/models/report.py": "from sqlalchemy.orm import DeclarativeBase, Mapped\n\n"
                "from app.ui.grid import Column\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n\n\n"
                "class Report(Base):\n"
                "    __tablename__ = 'reports'\n"
                "    id: Mapped[int]\n"
                "    layout = Column('title', 'date')\n",
            },
            note="a project class that happens to be called `Column`",
        ),
    )

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        model = model_class(node, ctx)
        if model is None:
            return
        short = node.name
        for target, annotation, value, _ in class_body_attributes(node):
            if value is not None and callee(value, ctx) in COLUMN_CLASSES:
                assert isinstance(value, ast.Call)
                mapped = annotation is None or _is_mapped(annotation, ctx)
                fix = self._fix(value, ctx) if mapped else None
                ctx.report_with_fix(self, value.func, fix, model=short, name=target.id)
        for method in declared_attr_methods(node, ctx):
            for stmt in method.body:
                value = stmt.value if isinstance(stmt, ast.Return) else None
                if value is not None and callee(value, ctx) in COLUMN_CLASSES:
                    assert isinstance(value, ast.Call)
                    fix = self._fix(value, ctx)
                    ctx.report_with_fix(self, value.func, fix, model=short, name=method.name)

    def _fix(self, call: ast.Call, ctx: RuleContext) -> Fix | None:
        added = edits.ensure_import(ctx, "sqlalchemy.orm", "mapped_column")
        if added is None:
            return None
        title = self.meta.fix_title or ""
        return edits.safe(title, edits.replace(ctx, call.func, "mapped_column"), *added)
