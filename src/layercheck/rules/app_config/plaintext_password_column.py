from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.model import Location
from layercheck.orm import COLUMN_FACTORIES, is_column, is_declarative_model
from layercheck.pydantic_models import is_sqlmodel_table
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.app_config._helpers import (
    PASSWORD,
    is_migration,
    is_test_file,
    literal_key,
    plaintext_password,
)

_NOT_FIELDS: Final = frozenset(
    {
        "typing.ClassVar",
        "typing_extensions.ClassVar",
        "sqlmodel.Relationship",
        "sqlmodel.main.Relationship",
    }
)


def _defined(stmt: ast.stmt) -> list[str]:
    """The names a class-body statement defines."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [stmt.name]
    targets = stmt.targets if isinstance(stmt, ast.Assign) else []
    if isinstance(stmt, ast.AnnAssign):
        targets = [stmt.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _defines(stmt: ast.stmt, name: str) -> bool:
    return name in _defined(stmt)


def _inherited_column(qualified: str, sqlmodel: bool, ctx: RuleContext) -> str | None:
    """The mixin or non-table base a model gets a `password` column from; None when the
    nearest definition is not a column, or sits in a model that is reported itself."""
    index = ctx.index
    for ancestor in index.ancestors(qualified)[1:]:
        facts = index.class_fact(ancestor)
        if facts is None:
            continue
        found = next((a for a in facts.attributes if a.name == PASSWORD), None)
        if found is None:
            continue
        if _is_model(ancestor, ctx):
            return None
        field = sqlmodel and found.value not in _NOT_FIELDS and found.annotation not in _NOT_FIELDS
        return facts.name if is_column(found) or field else None
    return None


def _is_model(qualified: str, ctx: RuleContext) -> bool:
    return is_declarative_model(qualified, ctx.index) or is_sqlmodel_table(qualified, ctx.index)


_ENDPOINTS: Final = frozenset(
    {"host", "hostname", "url", "base_url", "endpoint", "uri", "dsn", "server_url"}
)
"""Columns that say where a stored password is used: a server the application logs in to."""


class PlaintextPasswordColumn(Rule):
    """## What it does
    Checks for a model column named `password`, and for a model built with
    `password=` set to the password as received (`User(password=data.password)`).

    ## Why is this bad?
    A column called `password` says the table stores the password; even when a hash
    ends up there, the next developer who writes `user.password = form.password` is
    told by the model that this is right, and a plaintext password lands in the
    database, its backups and its replicas. Name the column `hashed_password` and fill
    it only from the hashing function, so that a plaintext value has nowhere to go.

    Columns are attributes of SQLAlchemy declarative models (`Column`,
    `mapped_column`, a bare `Mapped[...]` annotation, mixins and abstract bases
    included) and fields of SQLModel `table=True` classes; a column given the database
    name `"password"` (`pw = Column("password", String)`) counts too. Pydantic schemas
    with a `password` field are request bodies and are left alone. A constructor call
    is reported at its `password=` keyword when the class is such a model and the value
    is `<name>.password`, `<name>["password"]`, `<name>.get("password")`, or a
    parameter named `password` that the function does not rebind; a value passed
    through a call (`hash_password(data.password)`) is not. Tests and migrations are
    left alone, and so is a model that also declares where it connects (`host`, `url`,
    `endpoint`, `dsn`, ...): the password of a remote server, a compute node or a
    database that the application logs in to must be read back, and a hash cannot
    serve (encrypt it instead).

    ## Example
    ```python
    # file: app/models/user.py
    from sqlalchemy import String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"

        id: Mapped[int] = mapped_column(primary_key=True)
        password: Mapped[str] = mapped_column(String(255))
    ```

    ## Use instead
    ```python
    # file: app/models/user.py
    from sqlalchemy import String
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"

        id: Mapped[int] = mapped_column(primary_key=True)
        hashed_password: Mapped[str] = mapped_column(String(255))
    ```
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC802",
        name="plaintext-password-column",
        message="{what}; store a hash in `hashed_password`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            "from sqlalchemy import Column, Integer, String\n\n\n"
            "class Compute(Base):\n"
            "    __tablename__ = 'computes'\n"
            "    id = Column(Integer, primary_key=True)\n"
            "    host = Column(String)\n"
            "    user = Column(String)\n"
            "    password = Column(String)\n",
            path="app/models/computes.py",
            note="the password of a host the server logs in to (near miss: a `User` model's "
            "own `password`, below)",
        ),
        Invalid(
            {
                "app/models/base.py": "import sqlalchemy.orm as orm\n\n"
                "class Base(orm.DeclarativeBase):\n    pass\n",
                "app/models/user.py": "from sqlalchemy import Column, LargeBinary, String\n"
                "from sqlalchemy.orm import Mapped\n"
                "from .base import Base\n\n"
                "class Account(Base):\n"
                "    __tablename__ = 'accounts'\n"
                "    password = Column(LargeBinary, nullable=False)  # error: 5\n\n"
                "class Admin(Account):\n"
                "    password: Mapped[str]  # error: 5\n\n"
                "class Legacy(Base):\n"
                "    __tablename__ = 'legacy'\n"
                '    secret = Column("password", String)  # error: 21\n',
            },
            note="a `Column`, a bare `Mapped[...]`, a subclass, a database column name",
        ),
        Invalid(
            {
                "app/models.py": "from sqlmodel import Field, SQLModel\n\n"
                "class User(SQLModel, table=True):\n"
                "    id: int | None = Field(default=None, primary_key=True)\n"
                "    password: str  # error\n",
                "app/services/users.py": "from app.models import User\n\n"
                "def register(data, form, password):\n"
                "    a = User(password=data.password)  # error: 14\n"
                '    b = User(\n        password=form["password"],  # error\n    )\n'
                "    c = User(password=password)  # error\n"
                "    return a, b, c\n",
            },
            note="a SQLModel table, and constructors given the password as received",
        ),
        Invalid(
            {
                "app/models/mixins.py": "from sqlalchemy.orm import Mapped, mapped_column\n\n"
                "class Credentials:\n"
                "    password: Mapped[str] = mapped_column()\n",
                "app/models/tables.py": "from sqlmodel import SQLModel\n"
                "from sqlalchemy.orm import DeclarativeBase\n"
                "from app.models.mixins import Credentials\n\n"
                "class Base(DeclarativeBase):\n    pass\n\n"
                "class Service(Base, Credentials):  # error: 7\n"
                "    __tablename__ = 'services'\n\n"
                "class UserBase(SQLModel):\n    password: str\n\n"
                "class User(UserBase, table=True):  # error: 7\n    id: int\n\n"
                "class Robot(Base, Credentials):\n"
                "    __tablename__ = 'robots'\n\n"
                "    @property\n    def password(self):\n        return None\n",
            },
            note="inherited from a mixin or a non-table base, reported at the model; "
            "a property in the model shadows it",
        ),
        Valid(
            {
                "app/schemas/user.py": "from pydantic import BaseModel\n\n"
                "class UserCreate(BaseModel):\n    email: str\n    password: str\n",
                "app/models.py": "from sqlmodel import SQLModel\n\n"
                "class UserBase(SQLModel):\n    password: str\n",
            },
            note="request schemas and SQLModel classes without a table",
        ),
        Valid(
            {
                "app/models/user.py": "from sqlalchemy.orm import DeclarativeBase, Mapped, "
                "mapped_column, relationship\n\n"
                "class Base(DeclarativeBase):\n    pass\n\n"
                "class User(Base):\n"
                "    __tablename__ = 'users'\n"
                "    hashed_password: Mapped[str] = mapped_column()\n"
                "    password_reset_tokens = relationship('Token')\n\n"
                "    @property\n    def password(self):\n        raise AttributeError\n",
                "app/services/users.py": "from app.core.security import hash_password\n"
                "from app.models.user import User\n\n"
                "def register(data, password):\n"
                "    password = hash_password(password)\n"
                "    return (\n"
                "        User(hashed_password=hash_password(data.password)),\n"
                "        User(password=hash_password(data.password)),\n"
                "        User(password=password),\n"
                "    )\n",
            },
            note="hashed values; a relationship and a property are not columns",
        ),
        Valid(
            {
                "app/integrations/smtp.py": "class SmtpClient:\n"
                "    def __init__(self, password):\n        self.password = password\n\n"
                "def connect(cfg):\n    return SmtpClient(password=cfg.password)\n",
            },
            note="a class that is not a model",
        ),
        Valid(
            {
                "app/models/user.py": "from sqlalchemy.orm import DeclarativeBase, Mapped\n\n"
                "class Base(DeclarativeBase):\n    pass\n\n"
                "class User(Base):\n    __tablename__ = 'users'\n"
                "    hashed_password: Mapped[str]\n",
                "tests/test_users.py": "from app.models.user import User\n\n"
                "def test_login(data):\n    User(password=data.password)\n",
            },
            note="tests build whatever they need",
        ),
    )

    def __init__(self) -> None:
        self.quiet = False

    def visit_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        self.quiet = is_test_file(ctx) or is_migration(ctx)

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        if self.quiet or any(
            isinstance(a, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            for a in ctx.ancestors[:-1]
        ):
            return  # only module-level classes have facts
        if any(not _ENDPOINTS.isdisjoint(_defined(stmt)) for stmt in node.body):
            return  # the password of a host the server connects to: read back, not hashed
        qualified = f"{ctx.module}.{node.name}" if ctx.module else node.name
        sqlmodel = is_sqlmodel_table(qualified, ctx.index)
        if not sqlmodel and not is_declarative_model(qualified, ctx.index):
            return
        facts = ctx.index.class_fact(qualified)
        columns = {a.line for a in facts.attributes if is_column(a)} if facts else set()
        if not any(_defines(stmt, PASSWORD) for stmt in node.body):
            source = _inherited_column(qualified, sqlmodel, ctx)
            if source is not None:
                start = ctx.lines.location(node.lineno, node.col_offset)
                row_text = ctx.lines.line(node.lineno)
                column = row_text.find(node.name, max(row_text.find("class "), 0))
                if column >= 0:
                    start = Location(node.lineno, column + 1)
                end = Location(start.row, start.column + len(node.name))
                what = f"model column `{node.name}.password` (from `{source}`)"
                ctx.report_span(self, start, end, what=what)
        for stmt in node.body:
            target: ast.expr | None = None
            value: ast.expr | None = None
            if isinstance(stmt, ast.AnnAssign):
                target, value = stmt.target, stmt.value
                head = stmt.annotation
                if isinstance(head, ast.Subscript):
                    head = head.value
                if ctx.qualified(head) in _NOT_FIELDS:
                    continue
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target, value = stmt.targets[0], stmt.value
            if not isinstance(target, ast.Name):
                continue
            column = stmt.lineno in columns or (
                sqlmodel
                and isinstance(stmt, ast.AnnAssign)
                and not (isinstance(value, ast.Call) and ctx.qualified(value.func) in _NOT_FIELDS)
            )
            if not column:
                continue
            if target.id == PASSWORD:
                ctx.report(self, target, what=f"model column `{node.name}.password`")
            elif isinstance(value, ast.Call) and ctx.qualified(value.func) in COLUMN_FACTORIES:
                first = value.args[0] if value.args else None
                if literal_key(first) == PASSWORD and first is not None:
                    ctx.report(
                        self, first, what=f"model column `{node.name}.{target.id}` is `password`"
                    )

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if self.quiet:
            return
        for keyword in node.keywords:
            if keyword.arg == PASSWORD and plaintext_password(keyword.value, ctx):
                name = ctx.qualified(node.func)
                if name is not None and _is_model(name, ctx):
                    model = name.rpartition(".")[2]
                    ctx.report(self, keyword, what=f"`{model}` built with the password as received")
