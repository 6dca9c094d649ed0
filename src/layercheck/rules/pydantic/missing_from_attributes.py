from __future__ import annotations

import ast
from typing import ClassVar

from layercheck import edits
from layercheck.facts import ROUTE_METHODS
from layercheck.model import Fix, Location
from layercheck.orm import is_declarative_model
from layercheck.pydantic_models import from_attributes, is_pydantic_model
from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Need,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
)
from layercheck.rules.pydantic._helpers import keyword, short_name
from layercheck.semantic.routes import Function


class MissingFromAttributes(Rule):
    """## What it does
    Checks for a schema validated from ORM objects whose config, inherited configs
    included, lacks `from_attributes=True`.

    ## Why is this bad?
    Pydantic 2 reads an object's attributes only when the model is configured with
    `from_attributes=True`; otherwise `Model.model_validate(user)` fails at runtime with
    "Input should be a valid dictionary or instance of Model" on the first request that
    reaches it. Declaring it on the schema (or a shared base schema) documents that the
    schema is built from ORM rows.

    ## Example
    ```python
    # file: app/models/user.py
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str]
    # file: app/schemas/user.py
    from pydantic import BaseModel


    class UserResponse(BaseModel):
        id: int
        email: str
    # file: app/services/user_service.py
    from app.models.user import User
    from app.schemas.user import UserResponse


    def to_response(user: User) -> UserResponse:
        return UserResponse.model_validate(user)
    ```

    ## Use instead
    ```python
    # file: app/models/user.py
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


    class Base(DeclarativeBase):
        pass


    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(primary_key=True)
        email: Mapped[str]
    # file: app/schemas/user.py
    from pydantic import BaseModel, ConfigDict


    class UserResponse(BaseModel):
        model_config = ConfigDict(from_attributes=True)

        id: int
        email: str
    # file: app/services/user_service.py
    from app.models.user import User
    from app.schemas.user import UserResponse


    def to_response(user: User) -> UserResponse:
        return UserResponse.model_validate(user)
    ```

    ## Fix safety
    When the schema is defined at the top level of the file the finding is in, the fix
    adds `from_attributes=True` to its `model_config = ConfigDict(...)`, or adds
    `model_config = ConfigDict(from_attributes=True)` as the first statement of its body
    (and the import) when it has none. It is unsafe: every other use of the schema then
    also accepts arbitrary objects instead of only dicts and model instances.

    No fix is offered when the schema lives in another file (a fix edits the file it is
    reported in; the finding names the schema to change by hand), when it has a v1
    `class Config` (Pydantic 2 refuses both at once; LC603 converts it), when its
    `model_config` is not a `ConfigDict(...)` call, or when its body starts on the
    line of its `class` statement.

    ## Details
    Two uses are checked. `X.model_validate(obj)` (or `X.from_orm(obj)`) where `obj` is
    shown to be an instance of a SQLAlchemy declarative model: a parameter or variable
    annotated with one, a variable set from its constructor, from `session.get(Model,
    ...)` or from a project function whose return annotation is the model; it is reported
    at the call, unless the call passes `from_attributes=` itself. And a route whose
    `response_model=X` (or return annotation `-> X` without `response_model`) is a schema
    without the setting while the handler returns such an object; it is reported at the
    response model.

    The config is merged across the schema's project base classes (a v1 `class Config:
    orm_mode = True` counts, LC603 reports the `Config`); `SQLModel` schemas have the
    setting from SQLModel itself. Where a base outside the project, or a `model_config`
    built from a variable, could set it, the rule stays quiet.

    ## Leaves to
    A `class Config` with `orm_mode = True`: counts as `from_attributes`; LC603 reports
    the `Config`.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.VALUES, Need.ROUTES})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC607",
        assumes=("pydantic", 2),
        name="missing-from-attributes",
        message="`{model}` is validated from `{orm}` objects ({where}) but its config "
        "lacks `from_attributes=True`",
        fix=FixAvailability.SOMETIMES,
        fix_title="Add `from_attributes=True` to the schema's config",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                "app/models.py": "from sqlalchemy.orm import DeclarativeBase\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n\n\n"
                "class User(Base):\n"
                "    __tablename__ = 'users'\n",
                "app/schemas.py": "from pydantic import BaseModel, ConfigDict\n\n\n"
                "class Schema(BaseModel):\n"
                "    model_config = ConfigDict(populate_by_name=True)\n\n\n"
                "class UserRead(Schema):\n"
                "    id: int\n",
                "app/services/users.py": "from sqlalchemy.orm import Session\n\n"
                "from app import schemas\n"
                "from app.models import User\n\n\n"
                "def create(email: str) -> schemas.UserRead:\n"
                "    user = User(email=email)\n"
                "    return schemas.UserRead.model_validate(user)  # error: 12\n\n\n"
                "def read(session: Session, user_id: int, cached: 'User | None'):\n"
                "    found = session.get(User, user_id)\n"
                "    return (\n"
                "        schemas.UserRead.model_validate(found),  # error\n"
                "        schemas.UserRead.from_orm(cached),  # error\n"
                "    )\n",
            },
            no_fix=True,
            note="a constructor, `session.get(Model, ...)`, a quoted Optional annotation; "
            "the base schema's config has other keys only",
        ),
        Invalid(
            {
                "app/models/user.py": "from sqlalchemy.orm import DeclarativeBase\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n\n\n"
                "class User(Base):\n"
                "    __tablename__ = 'users'\n",
                "app/repositories/users.py": "from app.models.user import User\n\n\n"
                "async def get_user(user_id: int) -> User | None:\n"
                "    ...\n",
                "app/routes/users.py": "from fastapi import APIRouter\n"
                "from pydantic import BaseModel\n\n"
                "from app.models.user import User\n"
                "from app.repositories import users as repo\n\n"
                "router = APIRouter()\n\n\n"
                "class UserOut(BaseModel):\n"
                "    id: int\n\n\n"
                "@router.get('/users/{user_id}', response_model=UserOut)  # error: 48\n"
                "async def read_user(user_id: int):\n"
                "    user = await repo.get_user(user_id)\n"
                "    return user\n\n\n"
                "@router.post('/users')\n"
                "async def create_user(email: str) -> UserOut:  # error\n"
                "    return User(email=email)\n",
            },
            fixed={
                "app/routes/users.py": (
                    "from fastapi import APIRouter\n"
                    "from pydantic import BaseModel, ConfigDict\n"
                    "\n"
                    "from app.models.user import User\n"
                    "from app.repositories import users as repo\n"
                    "\n"
                    "router = APIRouter()\n"
                    "\n"
                    "\n"
                    "class UserOut(BaseModel):\n"
                    "    model_config = ConfigDict(from_attributes=True)\n"
                    "\n"
                    "    id: int\n"
                    "\n"
                    "\n"
                    "@router.get('/users/{user_id}', response_model=UserOut)  # error: 48\n"
                    "async def read_user(user_id: int):\n"
                    "    user = await repo.get_user(user_id)\n"
                    "    return user\n"
                    "\n"
                    "\n"
                    "@router.post('/users')\n"
                    "async def create_user(email: str) -> UserOut:  # error\n"
                    "    return User(email=email)\n"
                ),
            },
            note="routes returning ORM objects: `response_model=` and a return annotation",
        ),
        Invalid(
            {
                "app/models.py": "from sqlalchemy.orm import DeclarativeBase\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n\n\n"
                "class User(Base):\n"
                "    __tablename__ = 'users'\n",
                "app/services/users.py": "from pydantic import BaseModel, ConfigDict\n\n"
                "from app.models import User\n\n\n"
                "class UserRead(BaseModel):\n"
                "    model_config = ConfigDict(populate_by_name=True)\n\n"
                "    id: int\n\n\n"
                "class TagRead(BaseModel):\n"
                '    """A tag."""\n\n'
                "    # the tag's id\n"
                "    id: int\n\n\n"
                "class Empty(BaseModel):\n"
                "    pass\n\n\n"
                "class Legacy(BaseModel):\n"
                "    class Config:\n"
                "        frozen = True\n\n\n"
                "def read(user: User):\n"
                "    return (\n"
                "        UserRead.model_validate(user),  # error\n"
                "        TagRead.model_validate(user),  # error\n"
                "        Empty.model_validate(user),  # error\n"
                "        Legacy.model_validate(user),  # error\n"
                "    )\n",
            },
            fixed={
                "app/services/users.py": (
                    "from pydantic import BaseModel, ConfigDict\n"
                    "\n"
                    "from app.models import User\n"
                    "\n"
                    "\n"
                    "class UserRead(BaseModel):\n"
                    "    model_config = ConfigDict(populate_by_name=True, from_attributes=True)\n"
                    "\n"
                    "    id: int\n"
                    "\n"
                    "\n"
                    "class TagRead(BaseModel):\n"
                    '    """A tag."""\n'
                    "\n"
                    "    model_config = ConfigDict(from_attributes=True)\n"
                    "\n"
                    "    # the tag's id\n"
                    "    id: int\n"
                    "\n"
                    "\n"
                    "class Empty(BaseModel):\n"
                    "    model_config = ConfigDict(from_attributes=True)\n"
                    "\n"
                    "\n"
                    "class Legacy(BaseModel):\n"
                    "    class Config:\n"
                    "        frozen = True\n"
                    "\n"
                    "\n"
                    "def read(user: User):\n"
                    "    return (\n"
                    "        UserRead.model_validate(user),  # error\n"
                    "        TagRead.model_validate(user),  # error\n"
                    "        Empty.model_validate(user),  # error\n"
                    "        Legacy.model_validate(user),  # error\n"
                    "    )\n"
                ),
            },
            no_fix=True,
            note="schemas in the same file: a config to extend, a docstring and a comment "
            "kept, a `pass` body; no fix next to a v1 `class Config`",
        ),
        Valid(
            {
                "app/models.py": "from sqlalchemy.orm import DeclarativeBase\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n\n\n"
                "class User(Base):\n"
                "    __tablename__ = 'users'\n",
                "app/schemas.py": "from pydantic import BaseModel, ConfigDict\n\n\n"
                "class OrmSchema(BaseModel):\n"
                "    model_config = ConfigDict(from_attributes=True)\n\n\n"
                "class UserRead(OrmSchema):\n"
                "    model_config = ConfigDict(populate_by_name=True)\n\n\n"
                "class LegacyRead(BaseModel):\n"
                "    class Config:\n"
                "        orm_mode = True\n",
                "app/services/users.py": "from app.models import User\n"
                "from app.schemas import LegacyRead, UserRead\n\n\n"
                "def read(user: User):\n"
                "    return UserRead.model_validate(user), LegacyRead.model_validate(user)\n",
            },
            note="inherited `from_attributes=True` (configs merge); a v1 `orm_mode`",
        ),
        Valid(
            {
                "app/models.py": "from sqlalchemy.orm import DeclarativeBase\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n\n\n"
                "class User(Base):\n"
                "    __tablename__ = 'users'\n",
                "app/services/users.py": "from pydantic import BaseModel\n\n"
                "from app.models import User\n\n\n"
                "class UserRead(BaseModel):\n"
                "    id: int\n\n\n"
                "def read(user: User, payload: dict, row):\n"
                "    return (\n"
                "        UserRead.model_validate(user, from_attributes=True),\n"
                "        UserRead.model_validate(payload),\n"
                "        UserRead.model_validate(row),\n"
                "    )\n",
            },
            note="`from_attributes=True` passed to the call; a dict; an unknown value",
        ),
        Valid(
            {
                "app/schemas.py": "from fastapi_users import schemas\n"
                "from sqlmodel import SQLModel\n\n\n"
                "class UserRead(schemas.BaseUser[int]):\n"
                "    pass\n\n\n"
                "class ItemPublic(SQLModel):\n"
                "    id: int\n",
                "app/models.py": "from sqlalchemy.orm import DeclarativeBase\n\n\n"
                "class Base(DeclarativeBase):\n"
                "    pass\n\n\n"
                "class User(Base):\n"
                "    __tablename__ = 'users'\n",
                "app/routes/users.py": "from fastapi import APIRouter\n\n"
                "from app.models import User\n"
                "from app.schemas import ItemPublic, UserRead\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/me', response_model=UserRead)\n"
                "def me(user: User):\n"
                "    return user\n\n\n"
                "@router.get('/items/{item_id}', response_model=ItemPublic)\n"
                "def item(item: User):\n"
                "    return item\n\n\n"
                "def helper(user: User) -> UserRead:\n"
                "    return user\n",
            },
            note="a base outside the project may set it (fastapi-users); SQLModel sets it; "
            "a function that is not a route",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = frozenset({"model_validate", "from_orm"})

    def __init__(self) -> None:
        self._routes: list[tuple[Function, ast.expr]] = []
        self._returns: dict[int, str] = {}
        """Route candidates -> an ORM class one of their `return`s gives."""

    # -- collect ---------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef, ctx: RuleContext) -> None:
        self._function(node, ctx)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: RuleContext) -> None:
        self._function(node, ctx)

    def _function(self, node: Function, ctx: RuleContext) -> None:
        response: ast.expr | None = node.returns
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr in ROUTE_METHODS
            ):
                found = keyword(decorator, "response_model")
                if found is not None:
                    response = found.value
        if response is not None and not (
            isinstance(response, ast.Constant) and response.value is None
        ):
            self._routes.append((node, response))

    def visit_Return(self, node: ast.Return, ctx: RuleContext) -> None:
        function = ctx.enclosing_function()
        if function is None or node.value is None:
            return
        returned = ctx.values.instance_class(node.value, ctx)
        if returned is not None and is_declarative_model(returned, ctx.index):
            self._returns.setdefault(id(function), returned)

    # -- checking --------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        func = node.func
        if (
            not isinstance(func, ast.Attribute)
            or func.attr not in {"model_validate", "from_orm"}
            or not node.args
            or keyword(node, "from_attributes") is not None
        ):
            return
        model = ctx.values.class_named(func.value, ctx)
        if model is None or not self._lacks_setting(model, ctx):
            return
        orm = ctx.values.instance_class(node.args[0], ctx)
        if orm is not None and is_declarative_model(orm, ctx.index):
            where = f"`{func.attr}()`"
            fix = self._fix(model, ctx)
            ctx.report_with_fix(
                self, func, fix, model=short_name(model), orm=short_name(orm), where=where
            )

    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        for function, response in self._routes:
            orm = self._returns.get(id(function))
            if orm is None or ctx.routes.innermost([function]) is not function:
                continue
            model = ctx.values.annotation_class(response, ctx)
            if model is not None and self._lacks_setting(model, ctx):
                where = f"returned by route `{function.name}`"
                ctx.report_with_fix(
                    self,
                    response,
                    self._fix(model, ctx),
                    model=short_name(model),
                    orm=short_name(orm),
                    where=where,
                )

    def _fix(self, model: str, ctx: RuleContext) -> Fix | None:
        module, _, name = model.rpartition(".")
        tree = edits.module_tree(ctx)
        if module != ctx.module or tree is None:
            return None
        schema = next(
            (stmt for stmt in tree.body if isinstance(stmt, ast.ClassDef) and stmt.name == name),
            None,
        )
        if schema is None or schema.body[0].lineno == schema.lineno:
            return None
        title = self.meta.fix_title or ""
        for stmt in schema.body:
            if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
                return None
            config = _config_value(stmt)
            if config is None:
                continue
            if not (
                isinstance(config, ast.Call)
                and (ctx.qualified(config.func) or "").endswith("ConfigDict")
            ):
                return None
            found = keyword(config, "from_attributes")
            if found is not None:
                return edits.unsafe(title, edits.replace(ctx, found.value, "True"))
            return edits.unsafe(title, edits.keyword_insertion(ctx, config, "from_attributes=True"))
        added = edits.ensure_import(ctx, "pydantic", "ConfigDict")
        if added is None:
            return None
        line = "model_config = ConfigDict(from_attributes=True)"
        body = [stmt for stmt in schema.body if not _is_docstring(stmt)]
        if not body:
            indent = edits.indent_of(ctx, schema.body[0].lineno)
            after = edits.after_statement(ctx, schema.body[0], f"\n{indent}{line}\n")
            return edits.unsafe(title, after, *added)
        first = body[0]
        indent = edits.indent_of(ctx, first.lineno)
        if len(body) == 1 and _is_placeholder(first):
            return edits.unsafe(title, edits.replace(ctx, first, line), *added)
        row = first.lineno
        while row - 1 > schema.lineno and ctx.lines.line(row - 1).lstrip().startswith("#"):
            row -= 1  # comments above the first field belong to it
        return edits.unsafe(title, edits.insert(Location(row, 1), f"{indent}{line}\n\n"), *added)

    @staticmethod
    def _lacks_setting(model: str, ctx: RuleContext) -> bool:
        return is_pydantic_model(model, ctx.index) and from_attributes(model, ctx.index) is False


def _config_value(stmt: ast.stmt) -> ast.expr | None:
    """The value of a `model_config = ...` statement."""
    if isinstance(stmt, ast.Assign) and any(
        isinstance(target, ast.Name) and target.id == "model_config" for target in stmt.targets
    ):
        return stmt.value
    if (
        isinstance(stmt, ast.AnnAssign)
        and isinstance(stmt.target, ast.Name)
        and stmt.target.id == "model_config"
    ):
        return stmt.value
    return None


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_placeholder(stmt: ast.stmt) -> bool:
    """`pass` or `...` as a class's whole body."""
    return isinstance(stmt, ast.Pass) or (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and stmt.value.value is Ellipsis
    )
