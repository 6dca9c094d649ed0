from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid

V1_VALIDATORS: Final = {
    f"{module}.{name}": replacement
    for module in (
        "pydantic",
        "pydantic.class_validators",
        "pydantic.deprecated.class_validators",
    )
    for name, replacement in (
        ("validator", "field_validator"),
        ("root_validator", "model_validator"),
    )
}


class V1Validator(Rule):
    """## What it does
    Checks for Pydantic v1 validators: `@validator` and `@root_validator`.

    ## Why is this bad?
    Both are deprecated in Pydantic 2 and go away in Pydantic 3. Their v1 signatures
    (`values`, `config`, `field`, `pre=True`, `each_item=True`, `always=True`) do not
    carry over: `@field_validator(..., mode="before")` receives a `ValidationInfo`, and
    `@model_validator(mode="before"/"after")` replaces `@root_validator(pre=...)` with
    different arguments, so a v1 validator kept under Pydantic 2 is easy to get subtly
    wrong when it is next edited.

    ## Example
    ```python
    from pydantic import BaseModel, validator


    class UserCreate(BaseModel):
        email: str

        @validator("email")
        def normalize_email(cls, value):
            return value.strip().lower()
    ```

    ## Use instead
    ```python
    from pydantic import BaseModel, field_validator


    class UserCreate(BaseModel):
        email: str

        @field_validator("email")
        @classmethod
        def normalize_email(cls, value: str) -> str:
            return value.strip().lower()
    ```

    ## Fix (not yet available)
    The fix will rewrite `@validator(...)` as `@field_validator(..., mode=...)` plus
    `@classmethod`, and `@root_validator(...)` as `@model_validator(mode=...)`
    (`pre=True` -> `mode="before"`, otherwise `mode="after"`), updating the import. It is
    unsafe: `values`, `config`, `field`, `each_item=True` and `always=True` change
    meaning or have no direct equivalent, and an "after" model validator receives the
    model instead of a dict, so the body may need edits.

    ## Details
    The decorator is matched by its resolved name (`pydantic.validator`,
    `pydantic.root_validator`, also through `pydantic.class_validators` and aliases).
    Validators from `pydantic.v1`, Pydantic 2's bundled v1 API, are left alone.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC605",
        assumes=("pydantic", 2),
        name="v1-validator",
        message="`@{name}` is a Pydantic v1 validator; use `@{replacement}`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "import pydantic\n"
            "from pydantic import root_validator, validator as check\n\n\n"
            "class Item(pydantic.BaseModel):\n"
            "    name: str\n\n"
            "    @check('name', pre=True)  # error: 6\n"
            "    def strip(cls, value):\n"
            "        return value.strip()\n\n"
            "    @root_validator  # error: 6\n"
            "    def check_all(cls, values):\n"
            "        return values\n\n"
            "    @pydantic.root_validator(pre=True)  # error\n"
            "    def before(cls, values):\n"
            "        return values\n",
            note="an alias, a bare decorator, a module attribute",
        ),
        Invalid(
            "from pydantic.class_validators import validator\n\n\n"
            "def make_model(base):\n"
            "    class Local(base):\n"
            "        @validator(  # error\n"
            "            'name',\n"
            "        )\n"
            "        async def check(cls, value):\n"
            "            return value\n\n"
            "    return Local\n",
            note="imported from `pydantic.class_validators`; a class inside a function; "
            "a multi-line decorator",
        ),
        Valid(
            "from pydantic import BaseModel, field_validator, model_validator\n\n\n"
            "class Item(BaseModel):\n"
            "    name: str\n\n"
            "    @field_validator('name')\n"
            "    @classmethod\n"
            "    def strip(cls, value: str) -> str:\n"
            "        return value.strip()\n\n"
            "    @model_validator(mode='after')\n"
            "    def check(self):\n"
            "        return self\n",
        ),
        Valid(
            "from pydantic.v1 import BaseModel, validator\n\n\n"
            "class Legacy(BaseModel):\n"
            "    name: str\n\n"
            "    @validator('name')\n"
            "    def strip(cls, value):\n"
            "        return value.strip()\n",
            note="validators of `pydantic.v1`, the bundled v1 API, are left alone",
        ),
        Valid(
            "from app.checks import validator\n"
            "from marshmallow import validates\n\n\n"
            "class Form:\n"
            "    @validator('name')\n"
            "    def strip(self, value):\n"
            "        return value\n\n"
            "    @validates('email')\n"
            "    def email(self, value):\n"
            "        return value\n",
            note="a project decorator named `validator`; another library's validators",
        ),
    )

    def visit_FunctionDef(self, node: ast.FunctionDef, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def _check(self, node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: RuleContext) -> None:
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = ctx.qualified(target)
            replacement = V1_VALIDATORS.get(name) if name is not None else None
            if name is not None and replacement is not None:
                ctx.report(self, target, name=name.rpartition(".")[2], replacement=replacement)
