from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.index import ProjectIndex
from layercheck.orm import attributes, is_concrete_model
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.sqlalchemy._helpers import (
    declared_attr_methods,
    in_migration,
    module_class,
    report_class_name,
)

CREATED: Final = frozenset(
    {
        "created_at",
        "created",
        "created_on",
        "create_at",
        "created_date",
        "create_date",
        "creation_date",
        "date_created",
        "inserted_at",
        "create_time",
        "created_time",
    }
)
UPDATED: Final = frozenset(
    {
        "updated_at",
        "updated",
        "updated_on",
        "update_at",
        "updated_date",
        "update_date",
        "modified_at",
        "modified",
        "modified_on",
        "last_modified",
        "date_updated",
        "date_modified",
        "update_time",
        "updated_time",
        "last_updated",
    }
)
"""The guide's names first; other common spellings of the same columns count too."""


class MissingTimestamps(Rule):
    """## What it does
    Checks for a concrete model (one with a table) that has no `created_at` and
    `updated_at` columns, counting those inherited from project mixins and bases.

    ## Why is this bad?
    When a row was created and last changed is the first question in every incident,
    audit, sync job and cache invalidation, and it cannot be answered after the fact:
    rows written before the column existed have no value. Columns with server defaults
    cost little and are filled by the database for every insert and update.

    ## Example
    ```python
    from sqlalchemy import String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class Tag(Base):
        __tablename__ = "tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
    ```

    ## Use instead
    ```python
    from datetime import datetime

    from sqlalchemy import String, func
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class TimestampMixin:
        created_at: Mapped[datetime] = mapped_column(server_default=func.now())
        updated_at: Mapped[datetime] = mapped_column(
            server_default=func.now(), onupdate=func.now()
        )


    class Tag(TimestampMixin, Base):
        __tablename__ = "tags"

        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
    ```

    ## Details
    A concrete model is a declarative model with `__tablename__` (set on it or on a
    base, also through `@declared_attr`) that is not `__abstract__`; the finding is
    reported at its name. Attributes of the model, of its declarative base and of its
    project mixins count, across modules; so do `@declared_attr` methods of classes in
    the same module. Besides `created_at` and `updated_at`, common spellings of the
    same columns count (`created`, `created_on`, `inserted_at`, `updated`,
    `update_at`, `update_date`, `modified_at`, `last_modified`, ...), so a project with
    its own naming is not reported for every model; `timestamp-columns = {created =
    ["born_at"], updated = ["touched_at"]}` adds a project's own names. SQLModel
    classes, Pydantic models, `Table(...)` objects, classes mapped with `__table__` and
    migrations are left alone.

    Known limit: columns of a class given as `declarative_base(cls=...)` in another
    module are not seen.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC405",
        name="missing-timestamps",
        message="model `{model}` has no {missing}; record when rows are created and updated",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            {
                "app/models/base.py": "from sqlalchemy.orm import DeclarativeBase\n\n\n"
                "class Base(DeclarativeBase):\n    pass\n",
                "app/models/event.py": "from datetime import datetime\n\n"
                "from sqlalchemy import func\n"
                "from sqlalchemy.orm import Mapped, mapped_column\n\n"
                "from app.models.base import Base\n\n\n"
                "class Event(Base):\n"
                "    __tablename__ = 'events'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n"
                "    created_at: Mapped[datetime] = mapped_column(server_default=func.now())\n"
                "    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())\n",
                "app/models/system_events.py": "from app.models.event import Event\n\n\n"
                "class MeterReset(Event):\n"
                "    __mapper_args__ = {'polymorphic_identity': 'meter.reset'}\n",
            },
            note="single-table inheritance: the subclass shares its parent's table",
        ),
        Invalid(
            "from datetime import datetime\n\n"
            "from sqlalchemy import func\n"
            "from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    @declared_attr.directive\n"
            "    def __tablename__(cls) -> str:\n"
            "        return cls.__name__.lower()\n\n\n"
            "class Abstract(Base):\n"
            "    __abstract__ = True\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n\n\n"
            "class Tag(Abstract):  # error: 7\n"
            "    name: Mapped[str]\n\n\n"
            "class Note(Base):  # error\n"
            "    __tablename__ = 'notes'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    created_at: Mapped[datetime] = mapped_column(server_default=func.now())\n",
            note="`__tablename__` from the base's `declared_attr`; one timestamp only",
        ),
        Invalid(
            {
                "app/db/base.py": "from sqlalchemy.ext.declarative import declarative_base\n\n"
                "Base = declarative_base()\n",
                "app/db/mixins.py": "import sqlalchemy as sa\n\n\n"
                "class CreatedMixin:\n"
                "    created_at = sa.Column(sa.DateTime, server_default=sa.func.now())\n",
                "dispatch/tag/models.py": "from sqlalchemy import Column, Integer\n\n"
                "from app.db.base import Base\n"
                "from app.db.mixins import CreatedMixin\n\n\n"
                "class Tag(  # error\n"
                "    Base,\n"
                "    CreatedMixin,\n"
                "):\n"
                "    __tablename__ = 'tag'\n"
                "    id = Column(Integer, primary_key=True)\n",
            },
            note="`declarative_base()` and a mixin in other modules; reported on the line "
            "of the class name",
        ),
        Valid(
            {
                "app/models/base.py": "from datetime import datetime\n\n"
                "from sqlalchemy import func\n"
                "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n\n\n"
                "class TimestampMixin:\n"
                "    created_at: Mapped[datetime] = mapped_column(server_default=func.now())\n"
                "    updated_at: Mapped[datetime] = mapped_column(\n"
                "        server_default=func.now(), onupdate=func.now()\n"
                "    )\n\n\n"
                "class SoftDeleteBase(Base):\n"
                "    __abstract__ = True\n"
                "    deleted_at: Mapped[datetime | None]\n",
                "app/models/user.py": "from sqlalchemy.orm import Mapped, mapped_column\n\n"
                "from app.models.base import SoftDeleteBase, TimestampMixin\n\n\n"
                "class User(TimestampMixin, SoftDeleteBase):\n"
                "    __tablename__ = 'users'\n"
                "    id: Mapped[int] = mapped_column(primary_key=True)\n",
            },
            note="timestamps from a mixin in another module; an abstract base has no table",
        ),
        Valid(
            {
                "app/db/base_class.py": "import sqlalchemy as sa\n"
                "from sqlalchemy.ext.declarative import declarative_base\n\n\n"
                "class FidesBase:\n"
                "    id = sa.Column(sa.String, primary_key=True)\n"
                "    created_at = sa.Column(sa.DateTime, server_default=sa.func.now())\n"
                "    updated_at = sa.Column(sa.DateTime, onupdate=sa.func.now())\n\n\n"
                "Base = declarative_base(cls=FidesBase)\n",
                "app/models/policy.py": "import sqlalchemy as sa\n\n"
                "from app.db.base_class import Base\n\n\n"
                "class Policy(Base):\n"
                "    __tablename__ = 'policy'\n"
                "    name = sa.Column(sa.String)\n",
            },
            note="timestamps from the class `declarative_base(cls=...)` builds every model on",
        ),
        Valid(
            "from datetime import datetime\n\n"
            "from pydantic import BaseModel\n"
            "from sqlalchemy import Column, Integer, MetaData, Table\n"
            "from sqlmodel import Field, SQLModel\n\n"
            "metadata = MetaData()\n"
            "tags = Table('tags', metadata, Column('id', Integer, primary_key=True))\n\n\n"
            "class Hero(SQLModel, table=True):\n"
            "    __tablename__ = 'heroes'\n"
            "    id: int | None = Field(default=None, primary_key=True)\n\n\n"
            "class TagRead(BaseModel):\n"
            "    __tablename__ = 'not_a_table'\n"
            "    id: int\n",
            note="a SQLModel table, a Pydantic model and a `Table(...)` object",
        ),
        Valid(
            "from datetime import datetime\n\n"
            "from sqlalchemy.orm import (\n"
            "    DeclarativeBase,\n"
            "    Mapped,\n"
            "    declared_attr,\n"
            "    mapped_column,\n"
            "    synonym,\n"
            ")\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    created_at: Mapped[datetime | None] = mapped_column(index=True)\n"
            "    update_at: Mapped[datetime | None] = mapped_column()\n\n"
            "    @declared_attr\n"
            "    def updated_at(cls) -> Mapped[datetime | None]:\n"
            "        return synonym('update_at')\n\n\n"
            "class Recipe(Base):\n"
            "    __tablename__ = 'recipes'\n\n\n"
            "class Event(Base):\n"
            "    __tablename__ = 'events'\n"
            "    created: Mapped[datetime]\n"
            "    modified: Mapped[datetime]\n",
            note="mealie's base: `update_at` plus an `updated_at` synonym; other spellings",
        ),
        Valid(
            "import sqlalchemy as sa\n"
            "from sqlalchemy.orm import declarative_base\n\n"
            "revision = 'ab12'\n"
            "down_revision = None\n"
            "Base = declarative_base()\n\n\n"
            "class Recipe(Base):\n"
            "    __tablename__ = 'recipes'\n"
            "    id = sa.Column(sa.Integer, primary_key=True)\n",
            path="alembic/versions/ab12_backfill.py",
            note="a throwaway model in a migration",
        ),
        Valid(
            "from datetime import datetime\n\n"
            "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class Stamped:\n"
            "    born_at: Mapped[datetime]\n"
            "    touched_at: Mapped[datetime]\n\n\n"
            "class Order(Stamped, Base):\n"
            "    __tablename__ = 'orders'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n\n\n"
            "class Invoice(Base):\n"
            "    __tablename__ = 'invoices'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    create_date: Mapped[datetime]\n"
            "    update_date: Mapped[datetime]\n",
            config='timestamp-columns = {created = ["born_at"], updated = ["touched_at"]}',
            note="the project's own names from a mixin (configured); `create_date`/`update_date`",
        ),
        Invalid(
            "from datetime import datetime\n\n"
            "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class Order(Base):  # error\n"
            "    __tablename__ = 'orders'\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    born_at: Mapped[datetime]\n",
            config='timestamp-columns = {created = ["born_at"], updated = ["touched_at"]}',
            note="near miss: a configured creation name, no update column",
        ),
    )

    def __init__(self) -> None:
        self._declared: dict[str, set[str]] = {}
        """Module-level class -> its `@declared_attr` method names (this module only)."""

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        name = module_class(node, ctx)
        if name is None or in_migration(ctx):
            return
        index = ctx.index
        self._declared[index.resolve(name)] = {m.name for m in declared_attr_methods(node, ctx)}
        if not is_concrete_model(name, index) or _shares_parent_table(name, index):
            return
        present = set(attributes(name, index))
        for ancestor in index.ancestors(name):
            present |= self._declared.get(ancestor, set())
            mixin = index.base_mixin(ancestor)
            if mixin is not None:  # `Base = declarative_base(cls=TimestampedBase)`
                present |= set(attributes(mixin, index))
                for inner in index.ancestors(mixin):
                    present |= self._declared.get(inner, set())
        extra = ctx.settings.timestamp_columns
        created = CREATED | set(extra.get("created", ()))
        updated = UPDATED | set(extra.get("updated", ()))
        missing = [
            column
            for column, spellings in (("created_at", created), ("updated_at", updated))
            if not present & spellings
        ]
        if missing:
            noun = "column" if len(missing) == 1 else "columns"
            listed = " and ".join(f"`{column}`" for column in missing)
            report_class_name(self, node, ctx, model=node.name, missing=f"{listed} {noun}")


def _shares_parent_table(name: str, index: ProjectIndex) -> bool:
    """Single-table inheritance: the class sets no `__tablename__` of its own and takes
    it from a mapped parent, whose table (reported there) it shares."""
    own = index.class_fact(name)
    if own is None or own.tablename:
        return False
    return any(
        facts is not None and facts.tablename and is_concrete_model(ancestor, index)
        for ancestor in index.ancestors(name)[1:]
        for facts in (index.class_fact(ancestor),)
    )
