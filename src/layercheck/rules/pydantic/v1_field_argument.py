from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.pydantic._helpers import PYDANTIC_FIELD_FUNCTIONS

V1_ARGUMENTS: Final = {
    "regex": "use `pattern=`",
    "min_items": "use `min_length=`",
    "max_items": "use `max_length=`",
    "const": "annotate the field with `Literal[...]` instead",
    "allow_mutation": "use `frozen=`",
    "example": "use `examples=[...]`",
}


class V1FieldArgument(Rule):
    """## What it does
    Checks for Pydantic v1 arguments to `Field()`: `regex`, `min_items`, `max_items`,
    `const`, `allow_mutation` and `example`.

    ## Why is this bad?
    Pydantic 2 renamed or removed these arguments. `regex=` raises an error in Pydantic 2;
    the others are either accepted with a deprecation warning or end up as extra JSON
    schema keys that constrain nothing, so a list meant to hold at most ten items, or a
    field meant to be read-only, is no longer checked.

    ## Example
    ```python
    from pydantic import BaseModel, Field


    class UserCreate(BaseModel):
        username: str = Field(regex=r"^[a-z0-9_]+$", example="ada")
        tags: list[str] = Field(default_factory=list, max_items=10)
    ```

    ## Use instead
    ```python
    from pydantic import BaseModel, Field


    class UserCreate(BaseModel):
        username: str = Field(pattern=r"^[a-z0-9_]+$", examples=["ada"])
        tags: list[str] = Field(default_factory=list, max_length=10)
    ```

    ## Fix (not yet available)
    The fix will rename the argument: `regex` -> `pattern`, `min_items` -> `min_length`,
    `max_items` -> `max_length`, `allow_mutation` -> `frozen` (negating a literal:
    `allow_mutation=False` -> `frozen=True`), and `example=x` -> `examples=[x]`. It is
    safe. `const` has no argument in Pydantic 2 (the field's type becomes a `Literal`), so
    no fix will be offered for it.

    ## Details
    Only Pydantic's own `Field` (`pydantic.Field`, `pydantic.fields.Field`, any alias) is
    checked: FastAPI's `Query`/`Path`/`Body` and SQLModel's `Field` have their own
    signatures.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC606",
        assumes=("pydantic", 2),
        name="v1-field-argument",
        message="`Field({argument}=...)` is a Pydantic v1 argument; {advice}",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "import pydantic\n"
            "from pydantic import Field as F\n\n\n"
            "class Item(pydantic.BaseModel):\n"
            "    code: str = F(..., regex=r'^[A-Z]+$')  # error: 24\n"
            "    tags: list[str] = pydantic.Field(\n"
            "        default_factory=list,\n"
            "        min_items=1,  # error: 9\n"
            "        max_items=5,  # error\n"
            "    )\n"
            "    kind: str = F('item', const=True, allow_mutation=False)  # error\n",
            note="an alias, a module attribute, several arguments in one multi-line call",
        ),
        Invalid(
            "from typing import Annotated\n\n"
            "from pydantic.fields import Field\n\n"
            "Name = Annotated[str, Field(example='Ada')]  # error\n",
            note="`pydantic.fields.Field` inside `Annotated`",
        ),
        Valid(
            "from pydantic import BaseModel, Field\n\n\n"
            "class Item(BaseModel):\n"
            "    code: str = Field(pattern=r'^[A-Z]+$', examples=['ABC'])\n"
            "    tags: list[str] = Field(default_factory=list, min_length=1, max_length=5)\n",
        ),
        Valid(
            "from fastapi import Query\n"
            "from sqlmodel import Field, SQLModel\n\n\n"
            "class Hero(SQLModel):\n"
            "    name: str = Field(regex=r'^[A-Z]')\n\n\n"
            "def search(q: str = Query(None, regex='^a', example='a')):\n"
            "    return q\n",
            note="SQLModel's `Field` and FastAPI's `Query` are not Pydantic's `Field`",
        ),
        Valid(
            "from dataclasses import field\n\n\n"
            "def Field(**kwargs):\n"
            "    return kwargs\n\n\n"
            "value = Field(regex='x'), field(default=None)\n",
            note="a project function named `Field`",
        ),
    )

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if not node.keywords or ctx.qualified(node.func) not in PYDANTIC_FIELD_FUNCTIONS:
            return
        for keyword in node.keywords:
            advice = V1_ARGUMENTS.get(keyword.arg or "")
            if advice is not None:
                ctx.report(self, keyword, argument=keyword.arg, advice=advice)
