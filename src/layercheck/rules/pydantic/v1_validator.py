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
)

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


_DROPPED: Final = {
    "allow_reuse": None,
    "pre": False,
    "each_item": False,
    "always": False,
    "skip_on_failure": None,
}
"""v1 arguments with no meaning in Pydantic 2: dropped when given this constant (None:
any constant). `pre=True` becomes `mode="before"`; `check_fields=` is kept."""
_KEPT: Final = frozenset({"check_fields"})


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

    ## Fix safety
    The fix rewrites `@validator(...)` as `@field_validator(...)` (`pre=True` ->
    `mode="before"`) and `@root_validator(pre=True)` as
    `@model_validator(mode="before")`, adds `@classmethod` below it when the function
    has none, drops `allow_reuse=` and `skip_on_failure=`, and imports the new decorator
    from `pydantic`. It is unsafe: a `mode="before"` validator and a v1 `pre` validator
    do not see exactly the same input in every case, and a Pydantic 2 validator raising
    `TypeError` is no longer turned into a validation error.

    No fix is offered where the v1 meaning does not carry over: a validator taking
    `values`, `config`, `field` or `**kwargs` (Pydantic 2 passes a `ValidationInfo`
    instead), `each_item=True` or `always=True` (no decorator argument does that), a
    `@root_validator` without `pre=True` (an "after" model validator receives the
    model, not a dict of values: the body must be rewritten), a function with several
    v1 validators, or a decorator whose arguments are not constants and names, or
    whose lines hold a comment.

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
        fix=FixAvailability.SOMETIMES,
        fix_title="Use the Pydantic 2 validator",
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
            fixed=(
                "import pydantic\n"
                "from pydantic import field_validator, root_validator\n"
                "\n"
                "\n"
                "class Item(pydantic.BaseModel):\n"
                "    name: str\n"
                "\n"
                "    @field_validator('name', mode='before')  # error: 6\n"
                "    @classmethod\n"
                "    def strip(cls, value):\n"
                "        return value.strip()\n"
                "\n"
                "    @root_validator  # error: 6\n"
                "    def check_all(cls, values):\n"
                "        return values\n"
                "\n"
                "    @pydantic.model_validator(mode='before')  # error\n"
                "    @classmethod\n"
                "    def before(cls, values):\n"
                "        return values\n"
            ),
            no_fix=True,
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
            fixed=(
                "from pydantic import field_validator\n"
                "\n"
                "\n"
                "def make_model(base):\n"
                "    class Local(base):\n"
                "        @field_validator('name')  # error\n"
                "        @classmethod\n"
                "        async def check(cls, value):\n"
                "            return value\n"
                "\n"
                "    return Local\n"
            ),
            note="imported from `pydantic.class_validators`; a class inside a function; "
            "a multi-line decorator",
        ),
        Invalid(
            "from pydantic import BaseModel, validator\n\n\n"
            "class Range(BaseModel):\n"
            "    low: int\n"
            "    high: int\n\n"
            "    @validator('low', 'high', allow_reuse=True, check_fields=False)  # error\n"
            "    @classmethod\n"
            "    def positive(cls, value: int) -> int:\n"
            "        return abs(value)\n\n"
            "    @validator(  # error: 6\n"
            "        'high',\n"
            "        pre=True,\n"
            "    )\n"
            "    def parse(cls, value):\n"
            "        return int(value)\n",
            fixed=(
                "from pydantic import BaseModel, field_validator\n"
                "\n"
                "\n"
                "class Range(BaseModel):\n"
                "    low: int\n"
                "    high: int\n"
                "\n"
                "    @field_validator('low', 'high', check_fields=False)  # error\n"
                "    @classmethod\n"
                "    def positive(cls, value: int) -> int:\n"
                "        return abs(value)\n"
                "\n"
                "    @field_validator('high', mode='before')  # error: 6\n"
                "    @classmethod\n"
                "    def parse(cls, value):\n"
                "        return int(value)\n"
            ),
            note="several fields, arguments dropped or kept, an existing `@classmethod`, "
            "a multi-line decorator",
        ),
        Invalid(
            "from pydantic import BaseModel, root_validator, validator\n\n\n"
            "class Range(BaseModel):\n"
            "    low: int\n"
            "    high: int\n\n"
            "    @validator('high')  # error\n"
            "    def ordered(cls, value, values):\n"
            "        return max(value, values['low'])\n\n"
            "    @validator('low', each_item=True)  # error\n"
            "    def each(cls, value):\n"
            "        return value\n\n"
            "    @validator('low', always=True)  # error\n"
            "    def default(cls, value):\n"
            "        return value or 0\n\n"
            "    @root_validator(skip_on_failure=True)  # error\n"
            "    def check(cls, values):\n"
            "        return values\n",
            no_fix=True,
            note="no fix: `values` in the signature, `each_item=True`, `always=True`, an "
            '"after" root validator',
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
        found: list[tuple[ast.expr, ast.expr, str, str]] = []
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = ctx.qualified(target)
            replacement = V1_VALIDATORS.get(name) if name is not None else None
            if name is not None and replacement is not None:
                found.append((decorator, target, name, replacement))
        for decorator, target, name, replacement in found:
            fix = self._fix(node, decorator, target, replacement, ctx) if len(found) == 1 else None
            ctx.report_with_fix(
                self, target, fix, name=name.rpartition(".")[2], replacement=replacement
            )

    def _fix(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        decorator: ast.expr,
        target: ast.expr,
        replacement: str,
        ctx: RuleContext,
    ) -> Fix | None:
        call = decorator if isinstance(decorator, ast.Call) else None
        arguments = _v2_arguments(call, replacement, ctx)
        comment = edits.opening_comment(ctx, decorator)
        if arguments is None or comment is None:
            return None
        end = edits.end_of(ctx, decorator)
        if comment and ctx.lines.line(end.row)[end.column - 1 :].strip():
            return None  # two comments would end the one line
        if replacement == "field_validator" and not _two_parameters(function):
            return None
        if isinstance(target, ast.Attribute):
            # `pydantic.validator` -> `pydantic.field_validator`
            if ctx.qualified(target.value) != "pydantic":
                return None
            added: tuple[Edit, ...] = ()
            name = f"{edits.text(ctx, target.value)}.{replacement}"
        else:
            found = edits.ensure_import(ctx, "pydantic", replacement)
            if found is None:
                return None
            added, name = found, replacement
        rewritten = edits.replace(ctx, decorator, f"{name}({', '.join(arguments)}){comment}")
        classmethod = _classmethod_line(function, decorator, ctx)
        if classmethod is None:
            return None
        title = self.meta.fix_title or ""
        return edits.unsafe(title, rewritten, *classmethod, *added)


def _v2_arguments(call: ast.Call | None, replacement: str, ctx: RuleContext) -> list[str] | None:
    """The new decorator's arguments, as source; None when one has no v2 equivalent."""
    if call is None:
        # A bare `@root_validator` is an "after" validator.
        return None if replacement == "model_validator" else []
    quote = edits.preferred_quote(ctx)
    texts: list[str] = []
    for arg in call.args:
        if not isinstance(arg, ast.Constant | ast.Name | ast.Attribute | ast.Starred):
            return None
        texts.append(edits.text(ctx, arg))
    mode: str | None = None
    for keyword in call.keywords:
        value = keyword.value
        constant = value.value if isinstance(value, ast.Constant) else ...
        if keyword.arg == "pre" and constant is True:
            mode = "before"
        elif keyword.arg in _KEPT:
            texts.append(edits.text(ctx, keyword))
        elif keyword.arg in _DROPPED:
            expected = _DROPPED[keyword.arg]
            if constant is ... or (expected is not None and constant is not expected):
                return None
        else:
            return None
    if replacement == "model_validator":
        if mode is None or call.args:
            return None  # an "after" model validator receives the model, not the values
        return [f"mode={quote}before{quote}"]
    if mode is not None:
        texts.append(f"mode={quote}{mode}{quote}")
    return texts


def _two_parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`(cls, value)`: what a Pydantic 2 field validator without `info` takes."""
    arguments = function.args
    return (
        len(arguments.posonlyargs) + len(arguments.args) == 2
        and not arguments.kwonlyargs
        and arguments.vararg is None
        and arguments.kwarg is None
    )


def _classmethod_line(
    function: ast.FunctionDef | ast.AsyncFunctionDef, decorator: ast.expr, ctx: RuleContext
) -> tuple[Edit, ...] | None:
    """`@classmethod` on the line after the decorator: () when the function has it,
    None when the decorator's last line holds something after it."""
    if any(
        isinstance(other, ast.Name) and other.id == "classmethod"
        for other in function.decorator_list
    ):
        return ()
    end = edits.end_of(ctx, decorator)
    rest = ctx.lines.line(end.row)[end.column - 1 :].strip()
    if rest and not rest.startswith("#"):
        return None
    start = edits.start_of(ctx, decorator)
    # The `@` sits one column before the decorator's expression.
    indent = " " * (start.column - 2)
    return (edits.insert(Location(end.row + 1, 1), f"{indent}@classmethod\n"),)
