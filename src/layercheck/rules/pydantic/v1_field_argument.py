from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck import edits
from layercheck.model import Edit, Fix, Location
from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
    last_names,
)
from layercheck.rules.pydantic._helpers import PYDANTIC_FIELD_FUNCTIONS, PYTHON_ONLY_REGEX

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

    ## Fix safety
    The fix renames the argument: `regex` -> `pattern`, `min_items` -> `min_length`,
    `max_items` -> `max_length`, `allow_mutation` -> `frozen` (negating a literal:
    `allow_mutation=False` -> `frozen=True`), and `example=x` -> `examples=[x]`. It is
    safe. No fix is offered for `const` (no argument in Pydantic 2: the field's type
    becomes a `Literal`), for `allow_mutation` given anything but `True`/`False`, for a
    `regex` that is not a string literal or that uses look-arounds or back-references
    (Pydantic 2's default regex engine rejects them), or when the call already passes
    the new argument.

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
        fix=FixAvailability.SOMETIMES,
        fix_title="Use the Pydantic 2 argument",
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
            fixed=(
                "import pydantic\n"
                "from pydantic import Field as F\n"
                "\n"
                "\n"
                "class Item(pydantic.BaseModel):\n"
                "    code: str = F(..., pattern=r'^[A-Z]+$')  # error: 24\n"
                "    tags: list[str] = pydantic.Field(\n"
                "        default_factory=list,\n"
                "        min_length=1,  # error: 9\n"
                "        max_length=5,  # error\n"
                "    )\n"
                "    kind: str = F('item', const=True, frozen=True)  # error\n"
            ),
            no_fix=True,
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

    calls: ClassVar[frozenset[str] | None] = last_names(PYDANTIC_FIELD_FUNCTIONS)

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if not node.keywords or ctx.qualified(node.func) not in PYDANTIC_FIELD_FUNCTIONS:
            return
        for keyword in node.keywords:
            advice = V1_ARGUMENTS.get(keyword.arg or "")
            if advice is not None:
                fix = _fix(node, keyword, ctx)
                ctx.report_with_fix(self, keyword, fix, argument=keyword.arg, advice=advice)


RENAMED: Final = {"regex": "pattern", "min_items": "min_length", "max_items": "max_length"}


def _fix(call: ast.Call, keyword: ast.keyword, ctx: RuleContext) -> Fix | None:
    arg = keyword.arg or ""
    value = keyword.value
    taken = {other.arg for other in call.keywords}
    new = RENAMED.get(arg) or {"allow_mutation": "frozen", "example": "examples"}.get(arg)
    if new is None or new in taken:
        return None
    message = f"Use `{new}=`"
    if arg == "regex":
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            return None
        if PYTHON_ONLY_REGEX.search(value.value):
            return None
    if arg in RENAMED:
        start = edits.start_of(ctx, keyword)
        name_end = Location(start.row, start.column + len(arg))
        return edits.safe(message, Edit(start, name_end, new))
    if arg == "allow_mutation":
        if not (isinstance(value, ast.Constant) and isinstance(value.value, bool)):
            return None
        return edits.safe(message, edits.replace(ctx, keyword, f"frozen={not value.value}"))
    return edits.safe(message, edits.replace(ctx, keyword, f"examples=[{edits.text(ctx, value)}]"))
