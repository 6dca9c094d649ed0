from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck import edits
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
from layercheck.rules.pydantic._helpers import (
    body_methods_of,
    is_v2_instance_class,
    keyword,
    patch_name,
    short_name,
)

_CHOSEN: Final = ("exclude_none", "exclude_defaults")
"""Keywords that, set to True, leave the unsent fields (their defaults) out as well."""


def _patch_body(model: str, ctx: RuleContext) -> bool:
    """A PATCH route takes the class as its body, or the project shows no route taking a
    body (a file checked alone), so the name alone decides. A `*Update` that only PUT
    routes take replaces the whole object; one that no route takes is a message the
    server builds and sends (`SyncProgressUpdate` published to subscribers), every field
    set."""
    methods = body_methods_of(ctx, model)
    return methods is None or "patch" in methods


def _not_applied(ctx: RuleContext) -> bool:
    """`.model_dump().keys()`: the field names, not values written anywhere; and
    `{k: v for k, v in patch.model_dump().items() if v is not None}`: `exclude_none`
    spelled out, the convention the team chose."""
    chain = ctx.ancestors
    if len(chain) < 3:
        return False
    attribute, call = chain[-2], chain[-3]
    if not (isinstance(attribute, ast.Attribute) and isinstance(call, ast.Call)):
        return False
    if call.func is not attribute:
        return False
    if attribute.attr == "keys":
        return True
    loop = chain[-4] if len(chain) > 3 else None
    return (
        attribute.attr == "items"
        and isinstance(loop, ast.comprehension)
        and loop.iter is call
        and any(_drops_none(test) for test in loop.ifs)
    )


def _drops_none(test: ast.expr) -> bool:
    """`v is not None`, or `v` alone."""
    if isinstance(test, ast.Name):
        return True
    return (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.IsNot)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    )


def _true(found: ast.keyword | None) -> bool:
    return found is not None and isinstance(found.value, ast.Constant) and found.value.value is True


class PatchWithoutExcludeUnset(Rule):
    """## What it does
    Checks for `model_dump()` on an instance of a `*Patch` / `*Update` schema without
    `exclude_unset=True`.

    ## Why is this bad?
    A PATCH schema gives every field a default so that clients send only what they
    change. Dumped without `exclude_unset=True`, the body holds every field, and the
    defaults of the fields the client did not send (`None`, mostly) overwrite the stored
    values: a request that changes the display name also clears the email. With
    `exclude_unset=True`, "not sent" stays distinct from "set to null".

    ## Example
    ```python
    from pydantic import BaseModel


    class UserPatch(BaseModel):
        email: str | None = None
        display_name: str | None = None


    def apply(user, data: UserPatch) -> None:
        for key, value in data.model_dump().items():
            setattr(user, key, value)
    ```

    ## Use instead
    ```python
    from pydantic import BaseModel


    class UserPatch(BaseModel):
        email: str | None = None
        display_name: str | None = None


    def apply(user, data: UserPatch) -> None:
        for key, value in data.model_dump(exclude_unset=True).items():
            setattr(user, key, value)
    ```

    ## Fix safety
    The fix adds `exclude_unset=True` to the call (or turns `exclude_unset=False` into
    `True`). It is safe for PATCH semantics,
    and it changes what the call returns (fields the client did not send disappear from
    the dict), which is the point.

    ## Details
    The receiver must be shown to be an instance of a Pydantic model named `*Patch` or
    `*Update` (a parameter such as a route's body annotated with it, a variable set from its
    constructor or `model_validate`, `self` in its methods, ...). A call that passes
    `exclude_unset=` with a non-literal value, or `**kwargs`, is left alone; so is one with
    `exclude_none=True` or `exclude_defaults=True`: the fields the client did not send (at
    their defaults) stay out of the dict too, and a team that chose this convention (at the
    price of never clearing a field to null) chose it on purpose, or that spells it out
    (`{k: v for k, v in p.model_dump().items() if v is not None}`); `p.model_dump().keys()`
    reads the field names and writes nothing. A name that also says `Create` or `Upsert`
    (`DataUseCreateOrUpdate`) is an upsert, sent whole, and is left alone too. In a project
    whose routes take bodies, the schema must be one a PATCH route takes (also through a
    discriminated union alias): a `*Update` only PUT routes take replaces the whole object,
    and one no route takes is a message the server builds itself (`SyncProgressUpdate` sent
    to subscribers). `.dict()` is LC602's; once renamed to `model_dump()`, this rule checks
    it.

    ## Leaves to
    `.dict()` on a PATCH schema: LC602 (once renamed to `model_dump()`, this rule checks
    it).
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.VALUES})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC610",
        name="patch-without-exclude-unset",
        message="`model_dump()` of PATCH schema `{model}` without `exclude_unset=True`; "
        "unsent fields overwrite stored values",
        fix=FixAvailability.ALWAYS,
        fix_title="Add `exclude_unset=True`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            {
                "app/schemas/rating.py": "from pydantic import BaseModel\n\n\n"
                "class RatingUpdate(BaseModel):\n    rating: int | None = None\n",
                "tests/test_ratings.py": "from app.schemas.rating import RatingUpdate\n\n\n"
                "def test_update(client):\n"
                "    body = RatingUpdate(rating=4).model_dump()\n"
                "    client.patch('/ratings/1', json=body)\n",
            },
            note="a test builds a request body: it is the client, not the server applying it",
        ),
        Invalid(
            {
                "app/schemas.py": "from pydantic import BaseModel\n\n\n"
                "class ItemUpdate(BaseModel):\n"
                "    title: str | None = None\n",
                "app/routes/items.py": "from fastapi import APIRouter\n\n"
                "from app import schemas\n\n"
                "router = APIRouter()\n\n\n"
                "@router.patch('/items/{item_id}')\n"
                "async def update(item_id: int, item_in: schemas.ItemUpdate) -> dict:\n"
                "    return item_in.model_dump()  # error: 12\n",
            },
            note="a route's body parameter typed with a schema from another module",
        ),
        Valid(
            {
                "app/schemas.py": "from pydantic import BaseModel\n\n\n"
                "class ItemUpdate(BaseModel):\n"
                "    title: str | None = None\n\n\n"
                "class ProgressUpdate(BaseModel):\n"
                "    done: int = 0\n"
                "    total: int = 0\n",
                "app/routes/items.py": "from fastapi import APIRouter\n\n"
                "from app import schemas\n\n"
                "router = APIRouter()\n\n\n"
                "@router.put('/items/{item_id}')\n"
                "async def replace(item_id: int, item_in: schemas.ItemUpdate) -> dict:\n"
                "    return item_in.model_dump()\n",
                "app/services/progress.py": "from app.schemas import ProgressUpdate\n\n\n"
                "async def publish(bus, done: int, total: int) -> None:\n"
                "    update = ProgressUpdate(done=done, total=total)\n"
                "    await bus.publish('progress', update.model_dump())\n",
            },
            note="a `*Update` only a PUT route takes replaces the object whole; one no route "
            "takes is a message the server builds and sends",
        ),
        Invalid(
            "from typing import Optional\n\n"
            "from pydantic import BaseModel\n\n\n"
            "class UserPatch(BaseModel):\n"
            "    name: Optional[str] = None\n\n"
            "    def changes(self):\n"
            "        return self.model_dump(exclude_none=False)  # error\n\n\n"
            "def apply(raw: dict, patch: 'Optional[UserPatch]'):\n"
            "    data = UserPatch.model_validate(raw)\n"
            "    return data.model_dump(exclude_unset=False), patch.model_dump()  # error\n",
            fixed=(
                "from typing import Optional\n"
                "\n"
                "from pydantic import BaseModel\n"
                "\n"
                "\n"
                "class UserPatch(BaseModel):\n"
                "    name: Optional[str] = None\n"
                "\n"
                "    def changes(self):\n"
                "        return self.model_dump(exclude_none=False,"
                " exclude_unset=True)  # error\n"
                "\n"
                "\n"
                "def apply(raw: dict, patch: 'Optional[UserPatch]'):\n"
                "    data = UserPatch.model_validate(raw)\n"
                "    return data.model_dump(exclude_unset=True),"
                " patch.model_dump(exclude_unset=True)  # error\n"
            ),
            note="`self`; `exclude_none=False` leaves every field in; a value from "
            "`model_validate`; a quoted Optional parameter",
        ),
        Valid(
            "from pydantic import BaseModel\n\n\n"
            "class UserPatch(BaseModel):\n"
            "    name: str | None = None\n\n\n"
            "def apply(data: UserPatch, **options):\n"
            "    return data.model_dump(exclude_unset=True), data.model_dump(**options)\n\n\n"
            "def changes(data: UserPatch):\n"
            "    kept = data.model_dump(exclude_none=True)\n"
            "    return kept, data.model_dump(exclude_defaults=True)\n\n\n"
            "def spelled_out(data: UserPatch):\n"
            "    names = list(data.model_dump().keys())\n"
            "    return names, {k: v for k, v in data.model_dump().items() if v is not None}\n",
            note="`exclude_unset=True`; `**kwargs` may hold it; `exclude_none=True` and "
            "`exclude_defaults=True` leave unsent fields out too (a convention the team chose), "
            "as does a comprehension dropping None values; `.keys()` reads the field names",
        ),
        Valid(
            "from pydantic import BaseModel\n\n\n"
            "class UserCreate(BaseModel):\n"
            "    name: str\n\n\n"
            "class Updater(BaseModel):\n"
            "    name: str | None = None\n\n\n"
            "class DataUseCreateOrUpdate(BaseModel):\n"
            "    name: str | None = None\n\n\n"
            "def apply(data: UserCreate, other: Updater, use: DataUseCreateOrUpdate):\n"
            "    return data.model_dump(), other.model_dump(), use.model_dump()\n",
            note="schemas not named `*Patch` / `*Update` (`Updater` is not `*Update`); an "
            "upsert (`*CreateOrUpdate`)",
        ),
        Valid(
            "def apply(update, patch: dict):\n    return update.model_dump(), patch.copy()\n",
            note="unknown receivers named like a patch",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = frozenset({"model_dump"})

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if ctx.is_test:
            return  # a test serializing a request body is the client, not the server
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr != "model_dump":
            return
        if any(k.arg is None for k in node.keywords):
            return  # `**options`
        if any(_true(keyword(node, name)) for name in _CHOSEN) or _not_applied(ctx):
            return  # unsent fields are left out by another convention the team chose
        found = keyword(node, "exclude_unset")
        if found is not None and not (
            isinstance(found.value, ast.Constant) and found.value.value is False
        ):
            return
        model = ctx.values.instance_class(func.value, ctx)
        if model is None or not is_v2_instance_class(model, ctx.index):
            return
        name = short_name(model)
        if patch_name(name) and _patch_body(model, ctx):
            message = self.meta.fix_title or ""
            if found is not None:
                fix = edits.safe(message, edits.replace(ctx, found.value, "True"))
            else:
                fix = edits.safe(message, edits.keyword_insertion(ctx, node, "exclude_unset=True"))
            ctx.report_with_fix(self, func, fix, model=name)
