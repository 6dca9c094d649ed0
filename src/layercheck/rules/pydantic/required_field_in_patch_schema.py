from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.annotations import ANNOTATED, OPTIONAL, UNION
from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.pydantic._helpers import (
    FieldDecl,
    ModelClass,
    body_methods,
    declared_fields,
    has_default,
    inherited_fields,
    model_class,
    name_span,
    own_name,
    patch_name,
    short_name,
    string_annotation,
)

LITERAL: Final = frozenset({"typing.Literal", "typing_extensions.Literal"})


def _optional(declared: FieldDecl, ctx: RuleContext) -> bool:
    annotation = declared.annotation
    if annotation is None:
        return False
    node = string_annotation(annotation) or annotation
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return any(
            isinstance(side, ast.Constant) and side.value is None
            for side in (node.left, node.right)
        )
    if isinstance(node, ast.Subscript):
        head = ctx.qualified(node.value)
        if head in OPTIONAL:
            return True
        if head in UNION and isinstance(node.slice, ast.Tuple):
            return any(isinstance(e, ast.Constant) and e.value is None for e in node.slice.elts)
    return False


def _tag(declared: FieldDecl, ctx: RuleContext) -> bool:
    """`type: Literal["custom"]`: the tag that picks the member of a discriminated union
    the body is validated against; it must be sent, so it is required on purpose."""
    annotation = declared.annotation
    node = (string_annotation(annotation) or annotation) if annotation is not None else None
    if isinstance(node, ast.Subscript) and ctx.qualified(node.value) in ANNOTATED:
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        node = items[0] if items else None
    return isinstance(node, ast.Subscript) and ctx.qualified(node.value) in LITERAL


def _patch_schema(name: str, ctx: RuleContext) -> bool:
    """Named `*Patch`/`*Update`: a PATCH route takes it as its body, or, where the
    project shows no route taking a body, nothing says otherwise. Named otherwise: PATCH
    routes alone take it, each on a path ending in the object's `{parameter}`, and no
    route sends it back (a POST and PATCH pair sharing a schema, or a resource sent
    whole both ways, is an upsert)."""
    methods = body_methods(ctx, name)
    if patch_name(name):
        return methods is None or "patch" in methods
    if methods != frozenset({"patch"}):
        return False
    uses = ctx.index.request_bodies(own_name(ctx, name))
    if not all(_names_resource(path) for _, path in uses):
        return False
    return not ctx.index.response_routes(own_name(ctx, name))


def _sets_part(name: str, ctx: RuleContext) -> bool:
    """PATCH routes take the class on paths going on past the object's `{parameter}`
    (`PATCH /threads/{thread_id}/visibility`): the body sets that part of the object."""
    uses = ctx.index.request_bodies(own_name(ctx, name))
    return bool(uses) and all(
        method == "patch" and "{" in path and not _names_resource(path) for method, path in uses
    )


def _names_resource(path: str) -> bool:
    """The literal path ends in the `{parameter}` naming the object the body changes
    (`/items/{item_id}`). A path that goes on past it names a sub-resource or an action
    (`/consent-request/{id}/preferences`) whose body is the value to set; a path given
    by a constant says nothing."""
    last = path.rstrip("/").rpartition("/")[2]
    return last.startswith("{") and last.endswith("}")


def _names_its_object(name: str, ctx: RuleContext) -> bool:
    """A PATCH route with no `{parameter}` in its path takes the class: its body names
    the object to change (`PATCH /users` with `user_id`), so its ids are required."""
    uses = ctx.index.request_bodies(own_name(ctx, name))
    return any(method == "patch" and "{" not in path for method, path in uses)


def _some_optional(node: ast.ClassDef, model: ModelClass, ctx: RuleContext) -> bool:
    """Some field of the schema, its own or inherited, may be left out."""
    if any(d.annotation is not None and has_default(d, ctx) for d in declared_fields(node, ctx)):
        return True
    return any(
        i.declared is not None and has_default(i.declared, ctx)
        for i in inherited_fields(model, node, ctx)
    )


def _bulk(field: str) -> bool:
    """`ids`, `model_ids`: the body lists the objects a bulk change applies to, and its
    other fields are the change, required on purpose."""
    return field == "ids" or field.endswith("_ids")


def _identifier(field: str) -> bool:
    return field == "id" or field.endswith("_id")


class RequiredFieldInPatchSchema(Rule):
    """## What it does
    Checks for a `*Patch` / `*Update` schema with a field that has no default.

    ## Why is this bad?
    A PATCH body carries only the fields the client wants to change. A required field
    forces every client to resend a value it does not mean to change (and to read it
    first, racing other writers), or the request fails with 422. In Pydantic 2 even
    `Optional[X]` / `X | None` without a default is required: "may be None" is not "may
    be omitted". Give every field a default (`= None`) and dump the body with
    `exclude_unset=True` (LC610).

    ## Example
    ```python
    from pydantic import BaseModel


    class UserPatch(BaseModel):
        email: str | None
        display_name: str
    ```

    ## Use instead
    ```python
    from pydantic import BaseModel


    class UserPatch(BaseModel):
        email: str | None = None
        display_name: str | None = None
    ```

    ## Details
    A PATCH schema is a Pydantic model named `*Patch` or `*Update` (not an upsert such as
    `*CreateOrUpdate`) that a PATCH path operation takes as its body, or one with another
    name that only PATCH operations take, each on a literal path that ends in the
    `{parameter}` naming the object, and no route sends back, and that lets some field be
    left out (one whose every field is required sets them all: `PATCH
    /orgs/{id}/payout-account` with `payout_account_id`); so does a `*Update` whose every
    field is required, taken on paths that go on past the object (`PATCH
    /threads/{thread_id}/visibility` with `visibility`). A schema with another name taken on
    a path that goes on past the object (`PATCH /consent-request/{id}/preferences`, an
    action or a sub-resource set whole) or on a path held in a constant is left alone. A
    `*Update` that routes take only as a PUT (or POST) body replaces the whole resource, and
    its required fields are right; one that no route takes as a body, in a project whose
    routes take other classes, is a message the server sends. A schema that a POST and a
    PATCH route share, or that a route also returns, is sent whole: an upsert. In a project
    where no route takes a body (a file checked alone, a package of schemas), the name alone
    decides. An `id` or `*_id` field is required on purpose where a PATCH route with no
    `{parameter}` in its path takes the schema: the body names the object to change. A field
    has a default when it is assigned a value other than `Field(...)` / `Field()` without
    `default` or `default_factory` (also inside `Annotated[...]`). Fields inherited from a
    base class in the same file are checked too, and reported at the class name; for bases
    in other files the facts do not say whether a field has a default, so they are left
    alone. In a model built on `pydantic.v1`, an `Optional` field without default is
    optional and is not reported. Nor is a field annotated with a `Literal[...]`: in a
    discriminated union of update schemas (`type: Literal["custom"]`) it is the tag every
    body must carry. A bulk change (a field `ids` or `*_ids` lists the objects: `model_ids`
    beside `enabled: bool`) requires its fields on purpose and is left alone. The members of
    a discriminated union that a route takes through an alias (`GrantUpdate = Annotated[A |
    B, Discriminator("kind")]`) are taken with it; those of an untagged union are not, since
    there the fields a member requires are what picks it.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SCHEMAS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC609",
        name="required-field-in-patch-schema",
        message="PATCH schema `{model}` requires `{field}`{origin}; give it a default",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            "from typing import Annotated, Literal\n\n"
            "from pydantic import BaseModel, Field\n\n\n"
            "class CustomBenefitUpdate(BaseModel):\n"
            "    type: Literal['custom']\n"
            "    description: str | None = None\n\n\n"
            "class DiscordBenefitUpdate(BaseModel):\n"
            "    type: Annotated[Literal['discord'], Field(description='tag')]\n"
            "    guild_id: str | None = None\n",
            path="app/schemas/benefits.py",
            note="the tag of a discriminated union of update schemas is required on purpose",
        ),
        Invalid(
            "from typing import Annotated, Optional\n\n"
            "import pydantic\n"
            "from pydantic import Field\n\n\n"
            "class ItemUpdate(pydantic.BaseModel):\n"
            "    title: Optional[str]  # error: 5\n"
            "    price: float = Field(..., gt=0)  # error\n"
            "    tags: list[str] = Field(min_length=1)  # error\n"
            "    note: Annotated[str, Field(max_length=10)]  # error\n"
            "    done: bool | None = None\n",
            note="Optional without default is required in Pydantic 2; `Field(...)`; "
            "constraints without a default",
        ),
        Invalid(
            "from pydantic import BaseModel\n\n\n"
            "class ItemBase(BaseModel):\n"
            "    title: str\n"
            "    description: str | None = None\n\n\n"
            "class ItemPatch(ItemBase):  # error: 7\n"
            "    price: float | None = None\n",
            note="a required field inherited from a base in the same file",
        ),
        Valid(
            "from pydantic import BaseModel, Field\n\n\n"
            "class UserPatch(BaseModel):\n"
            "    email: str | None = None\n"
            "    password: str | None = Field(default=None, min_length=8)\n"
            "    tags: list[str] = Field(default_factory=list)\n"
            "    name: str = Field(None)\n",
        ),
        Valid(
            {
                "app/schemas/base.py": "from pydantic import BaseModel\n\n\n"
                "class ItemBase(BaseModel):\n"
                "    title: str\n",
                "app/schemas/items.py": "from typing import ClassVar\n\n"
                "from pydantic import BaseModel\n\n"
                "from .base import ItemBase\n\n\n"
                "class ItemUpdate(ItemBase):\n"
                "    title: str | None = None\n"
                "    kind: ClassVar[str]\n"
                "    _cache: dict\n\n\n"
                "class ItemCreate(BaseModel):\n"
                "    title: str\n",
                "app/schemas/other.py": "from .base import ItemBase\n\n\n"
                "class OtherUpdate(ItemBase):\n"
                "    pass\n",
            },
            note="an overridden inherited field; ClassVar and private attributes; a create "
            "schema; a base in another file (its defaults are unknown)",
        ),
        Invalid(
            {
                "app/schemas.py": "from pydantic import BaseModel\n\n\n"
                "class ItemChanges(BaseModel):\n"
                "    title: str  # error: 5\n"
                "    note: str | None = None\n\n\n"
                "class PayoutAccountSet(BaseModel):\n"
                "    account_id: str\n\n\n"
                "class ItemUpdate(BaseModel):\n"
                "    title: str  # error: 5\n",
                "app/routes.py": "from fastapi import APIRouter\n\n"
                "from app.schemas import ItemChanges, ItemUpdate, PayoutAccountSet\n\n"
                "router = APIRouter()\n\n\n"
                '@router.patch("/orgs/{org_id}/payout-account")\n'
                "def set_payout(org_id: int, body: PayoutAccountSet) -> None:\n"
                "    pass\n\n\n"
                '@router.patch("/items/{item_id}")\n'
                "def patch_item(item_id: int, changes: ItemChanges) -> None:\n"
                "    pass\n\n\n"
                '@router.api_route("/items/{item_id}", methods=["PATCH"])\n'
                "def update_item(item_id: int, body: ItemUpdate) -> None:\n"
                "    pass\n",
            },
            note="a PATCH route's body, whatever its name, that lets some field be left out; "
            "`api_route(methods=[...])`; near miss: a body whose every field is required",
        ),
        Valid(
            {
                "app/schemas.py": "from pydantic import BaseModel\n\n\n"
                "class ItemUpdate(BaseModel):\n"
                "    title: str\n\n\n"
                "class ProgressUpdate(BaseModel):\n"
                "    percent: int\n\n\n"
                "class ItemIn(BaseModel):\n"
                "    title: str\n",
                "app/routes.py": "from typing import Annotated\n\n"
                "from fastapi import APIRouter, Query\n\n"
                "from app.schemas import ItemIn, ItemUpdate\n\n"
                "router = APIRouter()\n\n\n"
                '@router.put("/items/{item_id}")\n'
                "def replace_item(item_id: int, body: ItemUpdate) -> None:\n"
                "    pass\n\n\n"
                '@router.patch("/items/{item_id}/tags")\n'
                "def tag_item(item_id: int, q: Annotated[ItemIn, Query()]) -> None:\n"
                "    pass\n",
            },
            note="a `*Update` taken as a PUT body; one no route takes as a body (a "
            "server message); a PATCH route's query parameters",
        ),
        Valid(
            {
                "app/schemas.py": "from pydantic import BaseModel\n\n\n"
                "class Webhook(BaseModel):\n"
                "    url: str\n\n\n"
                "class Connector(BaseModel):\n"
                "    name: str\n",
                "app/routes.py": "from fastapi import APIRouter\n\n"
                "from app.schemas import Connector, Webhook\n\n"
                "router = APIRouter()\n\n\n"
                '@router.post("/webhooks")\n'
                "def create_webhook(body: Webhook) -> None:\n"
                "    pass\n\n\n"
                '@router.patch("/webhooks/{key}")\n'
                "def upsert_webhook(key: str, body: Webhook) -> None:\n"
                "    pass\n\n\n"
                '@router.patch("/connectors/{key}", response_model=Connector)\n'
                "def put_connector(key: str, body: Connector) -> Connector:\n"
                "    return body\n",
            },
            note="upserts: a schema a POST and a PATCH route share; one a route also sends back",
        ),
        Invalid(
            {
                "app/schemas.py": "from pydantic import BaseModel\n\n\n"
                "class UserUpdate(BaseModel):\n"
                "    user_id: str\n"
                "    username: str  # error: 5\n\n\n"
                "class TeamUpdate(BaseModel):\n"
                "    team_id: str  # error: 5\n\n\n"
                "class VisibilityUpdate(BaseModel):\n"
                "    visibility: str\n\n\n"
                "class MembersBulkUpdate(BaseModel):\n"
                "    member_ids: list[int]\n"
                "    active: bool\n",
                "app/routes.py": "from fastapi import APIRouter\n\n"
                "from app.schemas import MembersBulkUpdate, TeamUpdate, UserUpdate, "
                "VisibilityUpdate\n\n"
                "router = APIRouter()\n\n\n"
                '@router.patch("/users")\n'
                "def update_user(data: UserUpdate) -> None:\n"
                "    pass\n\n\n"
                '@router.patch("/teams/{team_id}")\n'
                "def update_team(team_id: str, data: TeamUpdate) -> None:\n"
                "    pass\n\n\n"
                '@router.patch("/teams/{team_id}/members")\n'
                "def update_members(team_id: str, data: MembersBulkUpdate) -> None:\n"
                "    pass\n\n\n"
                '@router.patch("/teams/{team_id}/visibility")\n'
                "def set_visibility(team_id: str, data: VisibilityUpdate) -> None:\n"
                "    pass\n",
            },
            note="the id a `PATCH /users` body must carry is quiet, its other fields are not; "
            "near miss: the path names the team, the body's `team_id` is one more field; a "
            "bulk change listing `member_ids` is quiet, and so is the one field that "
            "`PATCH .../visibility` sets",
        ),
        Invalid(
            {
                "app/schemas.py": "from typing import Annotated, Literal, TypeAlias\n\n"
                "from pydantic import BaseModel, Discriminator\n\n\n"
                "class DiscordGrantUpdate(BaseModel):\n"
                "    kind: Literal['discord']\n"
                "    account_id: str  # error: 5\n\n\n"
                "class LicenseGrantUpdate(BaseModel):\n"
                "    kind: Literal['license']\n"
                "    note: str | None = None\n\n\n"
                "class SeatUpdate(BaseModel):\n"
                "    seats: int\n\n\n"
                "class PlanUpdate(BaseModel):\n"
                "    plan: str\n\n\n"
                "GrantUpdate = Annotated[\n"
                "    DiscordGrantUpdate | LicenseGrantUpdate, Discriminator('kind')\n"
                "]\n"
                "SubscriptionUpdate: TypeAlias = SeatUpdate | PlanUpdate\n",
                "app/routes.py": "from fastapi import APIRouter\n\n"
                "from app.schemas import GrantUpdate, SubscriptionUpdate\n\n"
                "router = APIRouter()\n\n\n"
                '@router.patch("/grants/{grant_id}")\n'
                "def update_grant(grant_id: str, body: GrantUpdate) -> None:\n"
                "    pass\n\n\n"
                '@router.patch("/subscriptions/{subscription_id}")\n'
                "def change(subscription_id: str, body: SubscriptionUpdate) -> None:\n"
                "    pass\n",
            },
            note="the members of a discriminated union that a PATCH route takes through an "
            "alias; near miss: an untagged union, whose members the required fields pick",
        ),
        Valid(
            {
                "app/schemas.py": "from pydantic import BaseModel\n\n\n"
                "class ConsentChoice(BaseModel):\n"
                "    consent: list[str]\n"
                "    code: str | None = None\n\n\n"
                "class Rename(BaseModel):\n"
                "    name: str\n"
                "    reason: str | None = None\n",
                "app/routes.py": "from fastapi import APIRouter\n\n"
                "from app.schemas import ConsentChoice, Rename\n\n"
                "RENAME_PATH = '/items/{item_id}'\n"
                "router = APIRouter()\n\n\n"
                '@router.patch("/consent-request/{request_id}/preferences")\n'
                "def set_consent(request_id: str, data: ConsentChoice) -> None:\n"
                "    pass\n\n\n"
                "@router.patch(RENAME_PATH)\n"
                "def rename(item_id: str, data: Rename) -> None:\n"
                "    pass\n",
            },
            note="a schema named otherwise that a PATCH route takes on a path going on past "
            "the object (an action, a value set whole) or held in a constant",
        ),
        Valid(
            "from typing import Optional\n\n"
            "from pydantic.v1 import BaseModel\n\n\n"
            "class LegacyUpdate(BaseModel):\n"
            "    title: Optional[str]\n\n\n"
            "class Update:\n"
            "    title: str\n",
            note="`Optional` defaults to None in `pydantic.v1`; a plain class",
        ),
    )

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        if not _patch_schema(node.name, ctx):
            return
        model = model_class(node, ctx)
        if model is None:
            return
        if any(_bulk(d.name) for d in declared_fields(node, ctx)):
            return  # `model_ids` + `enabled`: one change for the objects the body lists
        ids_required = _names_its_object(node.name, ctx)
        own = [
            d
            for d in declared_fields(node, ctx)
            if self._required(d, model.v1_compat, ctx)
            and not (ids_required and _identifier(d.name))
        ]
        inherited = [
            i
            for i in inherited_fields(model, node, ctx)
            if i.declared is not None
            and self._required(i.declared, model.v1_compat, ctx)
            and not (ids_required and _identifier(i.name))
        ]
        if not _some_optional(node, model, ctx) and (
            not patch_name(node.name) or _sets_part(node.name, ctx)
        ):
            return  # every field required: a body that sets them all (`PATCH .../payout-account`)
        for declared in own:
            ctx.report(self, declared.target, model=node.name, field=declared.name, origin="")
        if not inherited:
            return  # the name's span is read from the line only for a finding there
        start, end = name_span(node, ctx)
        for field in inherited:
            origin = f" (inherited from `{short_name(field.owner)}`)"
            ctx.report_span(self, start, end, model=node.name, field=field.name, origin=origin)

    @staticmethod
    def _required(declared: FieldDecl, v1_compat: bool, ctx: RuleContext) -> bool:
        if declared.annotation is None or has_default(declared, ctx):
            return False
        if _tag(declared, ctx):
            return False
        return not (v1_compat and _optional(declared, ctx))
