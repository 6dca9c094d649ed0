from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.pydantic_models import is_settings_class
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.pydantic._helpers import model_class, name_span


class ClassConfig(Rule):
    """## What it does
    Checks for a v1 `class Config:` inside a Pydantic model.

    ## Why is this bad?
    Pydantic 2 reads a nested `Config` class only through a deprecated shim, and several
    of its keys were renamed: `orm_mode` is `from_attributes`,
    `allow_population_by_field_name` is `populate_by_name`, `schema_extra` is
    `json_schema_extra`. A v1 key that Pydantic 2 no longer knows is ignored with at most
    a warning, so a model can silently lose the behaviour it was configured for. Pydantic
    2 configures a model with `model_config = ConfigDict(...)` (`SettingsConfigDict` for
    settings), which type checkers can verify.

    ## Example
    ```python
    from pydantic import BaseModel


    class UserResponse(BaseModel):
        id: int
        email: str

        class Config:
            orm_mode = True
    ```

    ## Use instead
    ```python
    from pydantic import BaseModel, ConfigDict


    class UserResponse(BaseModel):
        model_config = ConfigDict(from_attributes=True)

        id: int
        email: str
    ```

    ## Fix (not yet available)
    The fix will replace the class with `model_config = ConfigDict(...)`
    (`SettingsConfigDict(...)` in a settings class), renaming the v1 keys (`orm_mode` ->
    `from_attributes`, `allow_population_by_field_name` -> `populate_by_name`,
    `schema_extra` -> `json_schema_extra`, `anystr_strip_whitespace` ->
    `str_strip_whitespace`, `validate_all` -> `validate_default`, `allow_mutation=False`
    -> `frozen=True`, `max_anystr_length` -> `str_max_length`, `min_anystr_length` ->
    `str_min_length`) and adding the import. It is safe, and offered only when every key
    of the class maps to a v2 key and the class holds nothing but plain assignments.

    ## Details
    Only a class directly in the body of a Pydantic model (a project class deriving from
    `BaseModel`, `BaseSettings` or `SQLModel`, across modules) is reported; a `Config`
    class elsewhere, and models built on `pydantic.v1`, are left alone.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC603",
        assumes=("pydantic", 2),
        name="class-config",
        message="`class Config` in `{model}` is Pydantic v1 configuration; "
        "use `model_config = {factory}(...)`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                "app/schemas/base.py": "from pydantic import BaseModel as PydanticModel\n\n\n"
                "class Schema(PydanticModel):\n"
                "    pass\n",
                "app/schemas/user.py": "from .base import Schema\n\n\n"
                "class UserRead(Schema):\n"
                "    id: int\n\n"
                "    class Config:  # error: 11\n"
                "        orm_mode = True\n"
                "        allow_population_by_field_name = True\n",
            },
            note="a project base class in another module, imported relatively",
        ),
        Invalid(
            "from pydantic import BaseSettings\n\n\n"
            "class Settings(BaseSettings):\n"
            "    database_url: str\n\n"
            "    class Config:  # error\n"
            "        env_file = '.env'\n\n\n"
            "def build():\n"
            "    import sqlmodel\n\n"
            "    class Hero(sqlmodel.SQLModel):\n"
            "        name: str\n\n"
            "        class Config:  # error\n"
            "            validate_assignment = True\n\n"
            "    return Hero\n",
            note="v1 settings; a model defined inside a function",
        ),
        Valid(
            "from pydantic import BaseModel, ConfigDict\n\n\n"
            "class UserRead(BaseModel):\n"
            "    model_config = ConfigDict(from_attributes=True)\n\n"
            "    id: int\n",
        ),
        Valid(
            "from pydantic.v1 import BaseModel\n\n\n"
            "class Legacy(BaseModel):\n"
            "    class Config:\n"
            "        orm_mode = True\n",
            note="a model built on `pydantic.v1` keeps its v1 configuration",
        ),
        Valid(
            "import factory\n\n\n"
            "class UserFactory(factory.Factory):\n"
            "    class Config:\n"
            "        model = dict\n\n\n"
            "class Settings:\n"
            "    class Config:\n"
            "        env_file = '.env'\n",
            note="`class Config` in classes that are not Pydantic models",
        ),
    )

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        configs = [m for m in node.body if isinstance(m, ast.ClassDef) and m.name == "Config"]
        if not configs:
            return
        model = model_class(node, ctx)
        if model is None or model.v1_compat:
            return
        settings = is_settings_class(model.qualified, ctx.index) or any(
            "BaseSettings" in (ctx.qualified(base) or "") for base in node.bases
        )
        factory = "SettingsConfigDict" if settings else "ConfigDict"
        for config in configs:
            start, end = name_span(config, ctx)
            ctx.report_span(self, start, end, model=model.name, factory=factory)
