from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck import edits
from layercheck.model import Edit, Fix
from layercheck.orm import MAPPED_ANNOTATIONS, MAPPED_COLUMN, RELATIONSHIP_FACTORIES
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
    annotation_head,
    callee,
    class_body_attributes,
    is_builtin,
    model_class,
    short,
)

_CONSTRUCTORS: Final = MAPPED_COLUMN | RELATIONSHIP_FACTORIES
_BUILTIN_TYPES: Final = {
    "int": ("Integer", "BigInteger", "SmallInteger", "INTEGER", "BIGINT", "SMALLINT"),
    "str": ("String", "Text", "Unicode", "UnicodeText", "VARCHAR", "CHAR", "TEXT", "NVARCHAR"),
    "bool": ("Boolean", "BOOLEAN"),
    "float": ("Float", "FLOAT", "REAL", "Double", "DOUBLE_PRECISION"),
    "bytes": ("LargeBinary", "BLOB", "BINARY", "VARBINARY"),
}
_STDLIB_TYPES: Final = {
    ("datetime", "datetime"): ("DateTime", "TIMESTAMP", "DATETIME"),
    ("datetime", "date"): ("Date", "DATE"),
    ("datetime", "time"): ("Time", "TIME"),
    ("datetime", "timedelta"): ("Interval",),
    ("decimal", "Decimal"): ("Numeric", "NUMERIC", "DECIMAL"),
    ("uuid", "UUID"): ("Uuid",),
}
_SQLALCHEMY_TYPE_MODULES: Final = ("sqlalchemy", "sqlalchemy.types", "sqlalchemy.sql.sqltypes")


def _sqlalchemy_type(node: ast.expr, ctx: RuleContext) -> str | None:
    """`Integer` for `sa.Integer`, `Integer()` or `String(50)`: SQLAlchemy's own types."""
    head = node.func if isinstance(node, ast.Call) else node
    qualified = ctx.qualified(head) if isinstance(head, ast.Name | ast.Attribute) else None
    if qualified is None:
        return None
    module, _, name = qualified.rpartition(".")
    return name if module in _SQLALCHEMY_TYPE_MODULES else None


def _python_type(call: ast.Call, ctx: RuleContext) -> tuple[str, tuple[Edit, ...]] | None:
    """The Python type a `mapped_column(...)`'s SQLAlchemy type stands for, with the
    import it needs; None when it cannot be named safely."""
    args = list(call.args)
    if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
        args = args[1:]  # the column's name
    if not args:
        return None
    kind = _sqlalchemy_type(args[0], ctx)
    if kind is None:
        return None
    for python, kinds in _BUILTIN_TYPES.items():
        if kind in kinds:
            return python, ()
    for (module, name), kinds in _STDLIB_TYPES.items():
        if kind not in kinds:
            continue
        for bound, qualified in sorted(ctx.names.module_scope.items()):
            if qualified == f"{module}.{name}" and ctx.names.lookup(bound) == qualified:
                return bound, ()
            if qualified == module and ctx.names.lookup(bound) == qualified:
                return f"{bound}.{name}", ()
        added = edits.ensure_import(ctx, module, name)
        return (name, added) if added is not None else None
    return None


def _nullable(call: ast.Call) -> bool:
    """What `mapped_column()` makes of nullability without an annotation: `nullable=`
    when it is a literal, else NOT NULL only for a primary key."""
    for keyword in call.keywords:
        if keyword.arg is None:
            return True
        if keyword.arg == "nullable" and isinstance(keyword.value, ast.Constant):
            return keyword.value.value is not False
        if (
            keyword.arg == "primary_key"
            and isinstance(keyword.value, ast.Constant)
            and keyword.value.value is True
        ):
            return any(
                k.arg == "nullable" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in call.keywords
            )
    return True


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

    ## Fix safety
    The fix wraps an existing plain annotation in `Mapped[...]` (`title: str` becomes
    `title: Mapped[str]`) and adds the import; a `mapped_column()` without annotation
    gets `Mapped[<type>]` inferred from its SQLAlchemy type (`Integer` -> `int`,
    `String` -> `str`, `DateTime` -> `datetime`, ...) and `| None` unless it says
    `nullable=False` or is a primary key. It is unsafe: the annotation then takes part in
    the mapping, so `Mapped[str]` makes the column NOT NULL unless `nullable=` says
    otherwise, which may not match the database. No fix is offered for a type it cannot
    name (`JSON`, `Enum`, a `ForeignKey` alone, a project type) or for `relationship()`
    without annotation (the target class and collection type are not spelled there).

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
        fix=FixAvailability.SOMETIMES,
        fix_title="Annotate with `Mapped[...]`",
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
            fixed=(
                "from typing import Optional\n"
                "\n"
                "import sqlalchemy.orm as so\n"
                "from sqlalchemy import ForeignKey\n"
                "from sqlalchemy.orm import Mapped\n"
                "\n"
                "\n"
                "class Base(so.DeclarativeBase):\n"
                "    pass\n"
                "\n"
                "\n"
                "class Post(Base):\n"
                "    __tablename__ = 'posts'\n"
                "    id: so.Mapped[int] = so.mapped_column(primary_key=True)\n"
                "    author_id = so.mapped_column(ForeignKey('users.id'))  # error: 5\n"
                "    title: Mapped[str] = so.mapped_column()  # error\n"
                "    summary: Mapped[Optional[str]] = so.mapped_column()  # error\n"
                "    author: Mapped['User'] ="
                " so.relationship(back_populates='posts')  # error\n"
                "    editor = so.relationship(  # error\n"
                "        'User',\n"
                "    )\n"
                "\n"
                "\n"
                "class User(Base):\n"
                "    __tablename__ = 'users'\n"
                "    id: so.Mapped[int] = so.mapped_column(primary_key=True)\n"
            ),
            no_fix=True,
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
            fixed={
                "app/models/mixins.py": "import datetime as dt\n"
                "\n"
                "from sqlalchemy.orm import Mapped, mapped_column\n"
                "\n"
                "\n"
                "class AuditMixin:\n"
                "    created_at: Mapped[dt.datetime] = mapped_column()  # error\n",
                "app/models/user.py": "import uuid\n"
                "\n"
                "from sqlalchemy.orm import Mapped, mapped_column, relationship\n"
                "\n"
                "from .base import Base\n"
                "from .mixins import AuditMixin\n"
                "\n"
                "\n"
                "class User(AuditMixin, Base):\n"
                "    __tablename__ = 'users'\n"
                "    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # error\n"
                "    posts: Mapped[list['Post']] ="
                " relationship(back_populates='author')  # error\n"
                "    name: Mapped[str] = mapped_column()\n",
            },
            note="a project mixin in another module, stdlib types, a builtin generic",
        ),
        Invalid(
            "import datetime\n\n"
            "from sqlalchemy import DateTime, Integer, String\n"
            "from sqlalchemy.orm import DeclarativeBase, mapped_column\n\n\n"
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class Note(Base):\n"
            "    __tablename__ = 'notes'\n"
            "    id = mapped_column(Integer, primary_key=True)  # error\n"
            "    title = mapped_column(String(200), nullable=False)  # error\n"
            "    body = mapped_column('body_text', String)  # error\n"
            "    created = mapped_column(DateTime)  # error\n",
            path="app/models/note.py",
            fixed=(
                "import datetime\n"
                "\n"
                "from sqlalchemy import DateTime, Integer, String\n"
                "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
                "\n"
                "\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n"
                "\n"
                "\n"
                "class Note(Base):\n"
                "    __tablename__ = 'notes'\n"
                "    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # error\n"
                "    title: Mapped[str] = mapped_column(String(200), nullable=False)  # error\n"
                "    body: Mapped[str | None] = mapped_column('body_text', String)  # error\n"
                "    created: Mapped[datetime.datetime | None] ="
                " mapped_column(DateTime)  # error\n"
            ),
            note="no annotation: the type inferred from the column type, primary key and "
            "`nullable=`",
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
        for target, annotation, value, stmt in class_body_attributes(node):
            if value is None or callee(value, ctx) not in _CONSTRUCTORS:
                continue
            if annotation is None:
                problem = "has no annotation"
            elif self._plain(annotation, ctx):
                problem = f"is annotated as plain `{short(annotation)}`"
            else:
                continue
            single = not isinstance(stmt, ast.Assign) or len(stmt.targets) == 1
            fix = self._fix(target, annotation, value, ctx) if single else None
            ctx.report_with_fix(self, target, fix, model=node.name, name=target.id, problem=problem)

    def _fix(
        self, target: ast.Name, annotation: ast.expr | None, value: ast.expr, ctx: RuleContext
    ) -> Fix | None:
        title = self.meta.fix_title or ""
        mapped = edits.ensure_import(ctx, "sqlalchemy.orm", "Mapped")
        if mapped is None:
            return None
        if annotation is not None:
            if edits.has_comment(ctx, annotation):
                return None
            wrapped = f"Mapped[{edits.text(ctx, annotation)}]"
            return edits.unsafe(title, edits.replace(ctx, annotation, wrapped), *mapped)
        if not isinstance(value, ast.Call) or callee(value, ctx) not in MAPPED_COLUMN:
            return None
        inferred = _python_type(value, ctx)
        if inferred is None:
            return None
        type_text, needed = inferred
        nullable = _nullable(value)
        if nullable and ctx.settings.target_version < (3, 10):
            return None  # `X | None` in a class body fails at import before 3.10
        text = f"{type_text} | None" if nullable else type_text
        return edits.unsafe(
            title,
            edits.insert(edits.end_of(ctx, target), f": Mapped[{text}]"),
            *mapped,
            *needed,
        )

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
