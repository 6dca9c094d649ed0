from __future__ import annotations

import ast
from typing import ClassVar

from layercheck import edits
from layercheck.pydantic_models import is_v2_model
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
from layercheck.rules.pydantic._helpers import short_name


class FromOrm(Rule):
    """## What it does
    Checks for `Model.from_orm(obj)` on a Pydantic model class.

    ## Why is this bad?
    `from_orm()` is Pydantic v1 API: Pydantic 2 keeps it only as a deprecated shim that
    warns on every call and is removed in the next major version. Pydantic 2 validates an
    ORM object with `Model.model_validate(obj)`, and the model needs
    `from_attributes=True` in its config for that to work.

    ## Example
    ```python
    from pydantic import BaseModel, ConfigDict


    class UserResponse(BaseModel):
        model_config = ConfigDict(from_attributes=True)

        id: int
        email: str


    def to_response(user) -> UserResponse:
        return UserResponse.from_orm(user)
    ```

    ## Use instead
    ```python
    from pydantic import BaseModel, ConfigDict


    class UserResponse(BaseModel):
        model_config = ConfigDict(from_attributes=True)

        id: int
        email: str


    def to_response(user) -> UserResponse:
        return UserResponse.model_validate(user)
    ```

    ## Fix safety
    The fix renames the call to `Model.model_validate(obj)`. It is safe: both
    validate the object's attributes the same way, given `from_attributes=True` in the
    model's config (a model without it fails with either call; LC607 reports it).

    ## Details
    The receiver must be shown to be a Pydantic model class: a class of the project
    deriving from `BaseModel` (across modules, aliases and re-exports), or `cls` in a
    class method of one. Models built on `pydantic.v1`, Pydantic 2's bundled v1 API,
    are left alone.

    ## Leaves to
    A model validated from ORM objects without `from_attributes=True`: LC607.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.VALUES})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC601",
        assumes=("pydantic", 2),
        name="from-orm",
        message="`{model}.from_orm()` is Pydantic v1 API; use `{model}.model_validate()`",
        fix=FixAvailability.ALWAYS,
        fix_title="Rename to `model_validate`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                "app/schemas/user.py": "import pydantic\n\n\n"
                "class UserRead(pydantic.BaseModel):\n"
                "    class Config:\n"
                "        orm_mode = True\n\n"
                "    id: int\n",
                "app/routes/users.py": "from app.schemas.user import UserRead as Read\n\n\n"
                "def read(user):\n"
                "    return Read.from_orm(user)  # error: 12\n",
            },
            note="an aliased import of a model defined in another module",
            fixed={
                "app/routes/users.py": "from app.schemas.user import UserRead as Read\n\n\n"
                "def read(user):\n"
                "    return Read.model_validate(user)  # error: 12\n",
            },
        ),
        Invalid(
            "from pydantic import BaseModel\n\n\n"
            "class Base(BaseModel):\n"
            "    @classmethod\n"
            "    def build(cls, row):\n"
            "        return cls.from_orm(row)  # error\n\n\n"
            "class Item(Base):\n"
            "    name: str\n\n\n"
            "items = [\n"
            "    Item.from_orm(  # error\n"
            "        row\n"
            "    )\n"
            "    for row in rows\n"
            "]\n",
            note="`cls` in a class method of a model; a project base class; multi-line call",
        ),
        Valid(
            "from pydantic import BaseModel, ConfigDict\n\n\n"
            "class UserRead(BaseModel):\n"
            "    model_config = ConfigDict(from_attributes=True)\n\n\n"
            "def read(user):\n"
            "    return UserRead.model_validate(user)\n",
        ),
        Valid(
            "from pydantic.v1 import BaseModel\n\n\n"
            "class Legacy(BaseModel):\n"
            "    class Config:\n"
            "        orm_mode = True\n\n\n"
            "def read(row):\n"
            "    return Legacy.from_orm(row)\n",
            note="a model on `pydantic.v1` keeps the v1 API on purpose",
        ),
        Valid(
            "class Mapper:\n"
            "    @classmethod\n"
            "    def from_orm(cls, row):\n"
            "        return cls()\n\n\n"
            "def read(row, adapter):\n"
            "    return Mapper.from_orm(row), adapter.from_orm(row)\n",
            note="a class that is not a Pydantic model; an unknown receiver",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = frozenset({"from_orm"})

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr != "from_orm":
            return
        model = ctx.values.class_named(func.value, ctx)
        if model is not None and is_v2_model(model, ctx.index):
            fix = edits.safe(
                self.meta.fix_title or "", edits.rename_attribute(ctx, func, "model_validate")
            )
            ctx.report_with_fix(self, func, fix, model=short_name(model))
