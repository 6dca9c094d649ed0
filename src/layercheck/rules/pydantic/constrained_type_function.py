from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.annotations import parse_string
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.pydantic._helpers import in_annotation

CONSTRAINED: Final = {
    "constr": "Annotated[str, StringConstraints(...)]",
    "conint": "Annotated[int, Field(...)]",
    "confloat": "Annotated[float, Field(...)]",
    "condecimal": "Annotated[Decimal, Field(...)]",
    "conlist": "Annotated[list[T], Field(...)]",
    "conset": "Annotated[set[T], Field(...)]",
    "conbytes": "Annotated[bytes, Field(...)]",
}
FUNCTIONS: Final = {
    f"{module}.{name}": name for module in ("pydantic", "pydantic.types") for name in CONSTRAINED
}


class ConstrainedTypeFunction(Rule):
    """## What it does
    Checks for `constr()`, `conint()`, `confloat()`, `condecimal()`, `conlist()`,
    `conset()` and `conbytes()` called in an annotation.

    ## Why is this bad?
    A call is not a valid type expression: mypy and pyright reject
    `name: constr(max_length=50)` (or silently treat the field as `Any`), so the field
    loses type checking everywhere it is used. Pydantic 2 discourages these functions
    and some of their v1 arguments are gone (`conlist(min_items=...)`, `constr(regex=...)`).
    `Annotated[str, StringConstraints(...)]` / `Annotated[int, Field(...)]` carry the
    same constraints and stay a plain `str` / `int` for type checkers.

    ## Example
    ```python
    from pydantic import BaseModel, conint, constr


    class UserCreate(BaseModel):
        username: constr(min_length=3, max_length=50)
        age: conint(ge=0)
    ```

    ## Use instead
    ```python
    from typing import Annotated

    from pydantic import BaseModel, Field, StringConstraints


    class UserCreate(BaseModel):
        username: Annotated[str, StringConstraints(min_length=3, max_length=50)]
        age: Annotated[int, Field(ge=0)]
    ```

    ## Fix (not yet available)
    The fix will rewrite the call as `Annotated[<type>, StringConstraints(...)]` for
    `constr` and `Annotated[<type>, Field(...)]` for the others, moving the arguments
    over (renaming v1 ones: `regex` -> `pattern`, `min_items` -> `min_length`,
    `max_items` -> `max_length`) and adding the imports. It is unsafe: arguments without
    a v2 equivalent (`conlist(unique_items=True)`) change what is validated, and a
    `Field(...)` inside `Annotated` interacts with a field's own `= Field(...)` default.

    ## Details
    Annotations of class fields, variables, parameters and return values count, quoted
    ones included. `Name = constr(...)` assigned to a variable, outside an annotation,
    is not reported.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC614",
        assumes=("pydantic", 2),
        name="constrained-type-function",
        message="`{function}()` in an annotation; use `{replacement}`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "import pydantic\n"
            "from pydantic import BaseModel, conint as positive\n\n\n"
            "class Item(BaseModel):\n"
            "    code: pydantic.constr(regex='^[A-Z]+$')  # error: 11\n"
            "    qty: positive(gt=0) = 1  # error\n"
            "    tags: list[pydantic.constr(max_length=10)] = []  # error\n"
            "    ids: 'pydantic.conlist(int, min_length=1)'  # error\n",
            note="a module attribute, an alias, nested in `list[...]`, a quoted annotation",
        ),
        Invalid(
            "from pydantic.types import condecimal, constr\n\n\n"
            "def price(\n"
            "    amount: condecimal(max_digits=10),  # error\n"
            "    currency: str,\n"
            ") -> constr(min_length=3):  # error\n"
            "    return currency\n",
            note="parameter and return annotations; `pydantic.types`",
        ),
        Valid(
            "from typing import Annotated\n\n"
            "from pydantic import BaseModel, Field, StringConstraints\n\n\n"
            "class Item(BaseModel):\n"
            "    code: Annotated[str, StringConstraints(pattern='^[A-Z]+$')]\n"
            "    qty: Annotated[int, Field(gt=0)] = 1\n",
        ),
        Valid(
            "from pydantic import BaseModel, constr\n\n"
            "Code = constr(max_length=10)\n\n\n"
            "class Item(BaseModel):\n"
            "    code: Code\n"
            "    note: str = constr(max_length=5)\n",
            note="a call outside the annotation (an alias, a value)",
        ),
        Valid(
            "def constr(**kwargs):\n"
            "    return str\n\n\n"
            "class Item:\n"
            "    code: constr(max_length=3)\n",
            note="a project function named `constr`",
        ),
    )

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        name = FUNCTIONS.get(ctx.qualified(node.func) or "")
        if name is not None and in_annotation(ctx):
            ctx.report(self, node, function=name, replacement=CONSTRAINED[name])

    def visit_Constant(self, node: ast.Constant, ctx: RuleContext) -> None:
        if not isinstance(node.value, str) or "con" not in node.value:
            return
        inner = parse_string(node)
        if inner is None or not in_annotation(ctx):
            return
        for call in ast.walk(inner):
            if isinstance(call, ast.Call):
                name = FUNCTIONS.get(ctx.qualified(call.func) or "")
                if name is not None:
                    ctx.report(self, node, function=name, replacement=CONSTRAINED[name])
                    return
