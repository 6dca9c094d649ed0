from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck import edits
from layercheck.annotations import parse_string
from layercheck.model import Edit, Fix
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
from layercheck.rules.pydantic._helpers import PYTHON_ONLY_REGEX, in_annotation
from layercheck.tree_walk import walk

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
_NUMBER: Final = frozenset({"strict", "gt", "ge", "lt", "le", "multiple_of"})
_LENGTH: Final = frozenset({"min_length", "max_length"})
ARGUMENTS: Final[dict[str, frozenset[str]]] = {
    "constr": frozenset({"strip_whitespace", "to_upper", "to_lower", "strict", "pattern"})
    | _LENGTH,
    "conint": _NUMBER,
    "confloat": _NUMBER | {"allow_inf_nan"},
    "condecimal": _NUMBER | {"max_digits", "decimal_places"},
    "conbytes": _LENGTH | {"strict"},
    "conlist": _LENGTH,
    "conset": _LENGTH,
}
"""The arguments each function shares with `StringConstraints` / `Field`."""
RENAMED: Final = {"regex": "pattern", "min_items": "min_length", "max_items": "max_length"}
TYPES: Final = {
    "constr": "str",
    "conint": "int",
    "confloat": "float",
    "condecimal": "Decimal",
    "conbytes": "bytes",
    "conlist": "list",
    "conset": "set",
}
_ANNOTATED: Final = frozenset({"typing_extensions.Annotated"})


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

    ## Fix safety
    The fix rewrites the call as `Annotated[<type>, StringConstraints(...)]` for `constr`
    and `Annotated[<type>, Field(...)]` for the others (`list[T]` / `set[T]` for
    `conlist(T)` / `conset(T)`, `Decimal` for `condecimal`), moving the arguments over,
    renaming v1 ones (`regex` -> `pattern`, `min_items` -> `min_length`, `max_items` ->
    `max_length`) and adding the imports (`typing.Annotated`, or the
    `typing_extensions` one the module already has). It is unsafe: a `Field(...)` inside
    `Annotated` interacts with a field's own `= Field(...)` default, and
    `StringConstraints` validates a `pattern` with Pydantic 2's regex engine.

    No fix is offered for an argument without a Pydantic 2 equivalent
    (`conlist(unique_items=True)`, `constr(curtail_length=...)`), a `regex` that uses
    look-arounds or back-references (Pydantic 2's default regex engine rejects them), a
    quoted annotation (the string would have to be rewritten), a target version before
    Python 3.9 (`Annotated` and `list[T]`), or a call holding a comment.

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
        fix=FixAvailability.SOMETIMES,
        fix_title="Use `Annotated[...]` with the constraints",
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
            fixed=(
                "from typing import Annotated\n"
                "\n"
                "import pydantic\n"
                "from pydantic import BaseModel, Field\n"
                "\n"
                "\n"
                "class Item(BaseModel):\n"
                "    code: Annotated[str, pydantic.StringConstraints(pattern='^[A-Z]+$')]  #"
                " error: 11\n"
                "    qty: Annotated[int, Field(gt=0)] = 1  # error\n"
                "    tags: list[Annotated[str, pydantic.StringConstraints(max_length=10)]] ="
                " []  # error\n"
                "    ids: 'pydantic.conlist(int, min_length=1)'  # error\n"
            ),
            no_fix=True,
            note="a module attribute, an alias, nested in `list[...]`, a quoted annotation",
        ),
        Invalid(
            "from pydantic.types import condecimal, constr\n\n\n"
            "def price(\n"
            "    amount: condecimal(max_digits=10),  # error\n"
            "    currency: str,\n"
            ") -> constr(min_length=3):  # error\n"
            "    return currency\n",
            fixed=(
                "from decimal import Decimal\n"
                "from typing import Annotated\n"
                "\n"
                "from pydantic import Field, StringConstraints\n"
                "\n"
                "\n"
                "def price(\n"
                "    amount: Annotated[Decimal, Field(max_digits=10)],  # error\n"
                "    currency: str,\n"
                ") -> Annotated[str, StringConstraints(min_length=3)]:  # error\n"
                "    return currency\n"
            ),
            note="parameter and return annotations; `pydantic.types`",
        ),
        Invalid(
            "from typing_extensions import Annotated\n\n"
            "from pydantic import BaseModel, conlist, conset, constr\n\n\n"
            "class Tags(BaseModel):\n"
            "    names: conlist(str, min_items=1, max_items=5)  # error\n"
            "    ids: conset(item_type=int)  # error\n"
            "    slug: constr(strip_whitespace=True, to_lower=True)  # error\n",
            fixed=(
                "from typing_extensions import Annotated\n"
                "\n"
                "from pydantic import BaseModel, Field, StringConstraints\n"
                "\n"
                "\n"
                "class Tags(BaseModel):\n"
                "    names: Annotated[list[str], Field(min_length=1, max_length=5)]  # error\n"
                "    ids: set[int]  # error\n"
                "    slug: Annotated[str, StringConstraints(strip_whitespace=True,"
                " to_lower=True)]  # error\n"
            ),
            note="`Annotated` from `typing_extensions`; v1 arguments renamed; no constraints left",
        ),
        Invalid(
            "from pydantic import BaseModel, conlist, constr\n\n\n"
            "class Tags(BaseModel):\n"
            "    names: conlist(str, unique_items=True)  # error\n"
            "    code: constr(regex=r'^(?!x)')  # error\n"
            "    short: constr(curtail_length=3)  # error\n"
            "    long: constr(  # error: 11\n"
            "        max_length=9,  # the column's size\n"
            "    )\n",
            no_fix=True,
            note="no fix: `unique_items`, a look-ahead, `curtail_length`, a comment inside",
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

    calls: ClassVar[frozenset[str] | None] = last_names(FUNCTIONS)

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        name = FUNCTIONS.get(ctx.qualified(node.func) or "")
        if name is not None and in_annotation(ctx):
            fix = self._fix(node, name, ctx)
            ctx.report_with_fix(self, node, fix, function=name, replacement=CONSTRAINED[name])

    def visit_Constant(self, node: ast.Constant, ctx: RuleContext) -> None:
        if not isinstance(node.value, str) or "con" not in node.value:
            return
        # Where it stands first: most such strings are docstrings, not worth a parse.
        if not in_annotation(ctx):
            return
        inner = parse_string(node)
        if inner is None:
            return
        for call in walk(inner):
            if isinstance(call, ast.Call):
                name = FUNCTIONS.get(ctx.qualified(call.func) or "")
                if name is not None:
                    ctx.report(self, node, function=name, replacement=CONSTRAINED[name])
                    return

    def _fix(self, call: ast.Call, function: str, ctx: RuleContext) -> Fix | None:
        if ctx.settings.target_version < (3, 9) or edits.has_comment(ctx, call):
            return None
        arguments = _arguments(call, function, ctx)
        if arguments is None:
            return None
        item, constraints = arguments
        added: list[Edit] = []
        base = TYPES[function]
        if function == "condecimal":
            found = edits.ensure_import(ctx, "decimal", "Decimal")
            if found is None:
                return None
            added.extend(found)
        if item is not None:
            base = f"{base}[{item}]"
        if not constraints:
            replacement = base
        else:
            marker = "StringConstraints" if function == "constr" else "Field"
            spelled = _pydantic_name(call, marker, ctx, added)
            annotated = edits.ensure_import(ctx, "typing", "Annotated", also=_ANNOTATED)
            if spelled is None or annotated is None:
                return None
            added.extend(annotated)
            replacement = f"Annotated[{base}, {spelled}({', '.join(constraints)})]"
        title = self.meta.fix_title or ""
        return edits.unsafe(title, edits.replace(ctx, call, replacement), *added)


def _arguments(
    call: ast.Call, function: str, ctx: RuleContext
) -> tuple[str | None, list[str]] | None:
    """(the item type of `conlist`/`conset`, the constraints as `name=value`); None
    when an argument has no Pydantic 2 equivalent."""
    item: str | None = None
    keywords = list(call.keywords)
    if function in ("conlist", "conset"):
        given = [kw for kw in keywords if kw.arg == "item_type"]
        if len(call.args) == 1 and not given:
            item = edits.text(ctx, call.args[0])
        elif not call.args and len(given) == 1:
            item = edits.text(ctx, given[0].value)
            keywords.remove(given[0])
        else:
            return None
    elif call.args:
        return None
    constraints: list[str] = []
    for keyword in keywords:
        name = RENAMED.get(keyword.arg or "", keyword.arg)
        if name is None or name not in ARGUMENTS[function]:
            return None
        value = keyword.value
        if name == "pattern" and not (
            isinstance(value, ast.Constant)
            and isinstance(value.value, str)
            and not PYTHON_ONLY_REGEX.search(value.value)
        ):
            return None
        constraints.append(f"{name}={edits.text(ctx, value)}")
    return item, constraints


def _pydantic_name(call: ast.Call, name: str, ctx: RuleContext, added: list[Edit]) -> str | None:
    """How the module spells `pydantic.<name>`: through the module when the call did
    (`pydantic.constr` -> `pydantic.Field`), else by name, imported when needed."""
    func = call.func
    if isinstance(func, ast.Attribute) and ctx.qualified(func.value) == "pydantic":
        return f"{edits.text(ctx, func.value)}.{name}"
    found = edits.ensure_import(ctx, "pydantic", name)
    if found is None:
        return None
    added.extend(found)
    return name
