from __future__ import annotations

import ast
import re
from typing import ClassVar, Final

from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.pydantic._helpers import (
    REQUEST_SUFFIXES,
    SERVER_FIELDS,
    declared_fields,
    has_suffix,
    inherited_fields,
    model_class,
    name_span,
    own_name,
    short_name,
)


def _new_row_key(name: str, ctx: RuleContext) -> bool:
    """An `id` in the class `name` is the key of a row the client makes: a create route
    (POST to a path with no `{parameter}`) takes the class as its body. Where routes take
    it otherwise (`PUT /items/{id}`, `POST /roles/{role_id}/permissions`), or not at all
    though the project's routes take bodies, the `id` names an object that exists."""
    uses = ctx.index.request_bodies(own_name(ctx, name))
    if uses:
        return any(method == "post" and _creates(path) for method, path in uses)
    return not ctx.index.shows_request_bodies()


_OTHER_ACTIONS: Final = frozenset(
    {"get", "list", "read", "fetch", "find", "search", "query", "count", "check", "verify"}
    | {"validate", "delete", "remove", "update", "set", "start", "stop", "cancel", "refresh"}
)
"""First words of an RPC-style path's last segment that name an action on objects that
exist (`POST /get_upstream`, `POST /fleets/delete`): not the creation of a row."""


def _creates(path: str) -> bool:
    """A POST path that may create a row: no `{parameter}`, and its last segment does not
    name another action."""
    if "{" in path:
        return False
    last = path.rstrip("/").rpartition("/")[2].lower()
    return re.split(r"[_-]", last)[0] not in _OTHER_ACTIONS


class ServerFieldInRequestSchema(Rule):
    """## What it does
    Checks for a request schema (`*Create`, `*Update`, `*Patch`, `*In`, `*Request`) that
    declares a server-generated field: `id`, `created_at`, `updated_at` or
    `hashed_password`.

    ## Why is this bad?
    Whatever a request schema declares, a client may send. A writable `id` lets a caller
    pick or overwrite primary keys, writable timestamps let it forge history, and a
    `hashed_password` field lets it bypass the password policy (or set another user's
    hash). The server generates these values; request schemas should hold only the
    fields a client may choose, with response schemas adding the generated ones.

    ## Example
    ```python
    from datetime import datetime

    from pydantic import BaseModel


    class UserCreate(BaseModel):
        id: int
        email: str
        created_at: datetime
    ```

    ## Use instead
    ```python
    from datetime import datetime

    from pydantic import BaseModel


    class UserCreate(BaseModel):
        email: str


    class UserResponse(UserCreate):
        id: int
        created_at: datetime
    ```

    ## Details
    A schema is any Pydantic model (a project class deriving from `BaseModel` or
    `SQLModel`, wherever it lives), named with one of the suffixes above (`UserIn`, not
    `Login`). Fields inherited from project base classes count, and are reported at the
    class name with the base that declares them.

    An `id` is reported only where the client would pick the key of a new row: a create
    route (a POST to a path without `{parameters}` whose last segment names no other
    action: not RPC-style `POST /get_upstream` or `/fleets/delete`) takes the schema as
    its body. A
    schema that routes take otherwise (`PUT /items/{item_id}`, `POST
    /roles/{role_id}/permissions` naming a permission that exists) or, in a project whose
    routes take bodies, that no route takes, carries a reference to an existing object.
    Where no route of the project takes a body (a file checked alone), the suffix alone
    decides. Timestamps and `hashed_password` are reported whatever the route.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SCHEMAS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC608",
        name="server-field-in-request-schema",
        message="request schema `{model}` declares server-generated field `{field}`{origin}; "
        "the server sets it",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from datetime import datetime\n\n"
            "import pydantic\n\n\n"
            "class ItemCreate(pydantic.BaseModel):\n"
            "    id: int | None = None  # error: 5\n"
            "    title: str\n"
            "    created_at: datetime  # error\n\n\n"
            "class UserIn(pydantic.BaseModel):\n"
            "    email: str\n"
            "    hashed_password: str  # error\n",
            note="an optional id is still writable; the `In` suffix",
        ),
        Invalid(
            {
                "app/schemas/base.py": "from datetime import datetime\n\n"
                "from sqlmodel import SQLModel\n\n\n"
                "class Timestamped(SQLModel):\n"
                "    created_at: datetime\n"
                "    updated_at: datetime\n",
                "app/schemas/items.py": "from .base import Timestamped\n\n\n"
                "class ItemUpdate(Timestamped):  # error: 7\n"
                "    title: str | None = None\n"
                "    updated_at: None = None  # error\n",
            },
            note="inherited from a base in another module, reported at the class name; "
            "a redeclared field at its own line",
        ),
        Valid(
            "from datetime import datetime\n\n"
            "from pydantic import BaseModel\n\n\n"
            "class ItemCreate(BaseModel):\n"
            "    title: str\n\n\n"
            "class ItemResponse(ItemCreate):\n"
            "    id: int\n"
            "    created_at: datetime\n",
            note="generated fields in the response schema",
        ),
        Valid(
            "from pydantic import BaseModel\n\n\n"
            "class Login(BaseModel):\n"
            "    id: int\n\n\n"
            "class ItemCreateResult(BaseModel):\n"
            "    id: int\n\n\n"
            "class ItemCreate(BaseModel):\n"
            "    owner_id: int\n"
            "    _id: int = 0\n",
            note="names without a request suffix; other fields mentioning ids",
        ),
        Valid(
            "from dataclasses import dataclass\n\n\n@dataclass\nclass OrderCreate:\n    id: int\n",
            note="not a Pydantic model",
        ),
        Invalid(
            {
                "app/schemas.py": "from pydantic import BaseModel\n\n\n"
                "class ItemCreate(BaseModel):\n"
                "    id: int  # error: 5\n"
                "    title: str\n\n\n"
                "class PermissionIn(BaseModel):\n"
                "    id: int\n\n\n"
                "class RoleUpdate(BaseModel):\n"
                "    id: int\n\n\n"
                "class RoleCreate(BaseModel):\n"
                "    id: int\n\n\n"
                "class GetUpstreamRequest(BaseModel):\n"
                "    id: str\n",
                "app/routes.py": "from fastapi import APIRouter\n\n"
                "from app.schemas import GetUpstreamRequest, ItemCreate, PermissionIn, "
                "RoleUpdate\n\n"
                "router = APIRouter()\n\n\n"
                '@router.post("/items/")\n'
                "def create_item(body: ItemCreate) -> None:\n"
                "    pass\n\n\n"
                '@router.post("/roles/{role_id}/permissions")\n'
                "def grant(role_id: int, permission: PermissionIn) -> None:\n"
                "    pass\n\n\n"
                '@router.put("/roles/{role_id}")\n'
                "def replace_role(role_id: int, role: RoleUpdate) -> None:\n"
                "    pass\n\n\n"
                '@router.post("/sshproxy/get_upstream")\n'
                "def get_upstream(body: GetUpstreamRequest) -> None:\n"
                "    pass\n",
            },
            note="a create route's body; near misses: an `id` that references a permission "
            "that exists, one in a PUT body, one in a schema no route takes, one an RPC-style "
            "`POST .../get_upstream` looks up",
        ),
    )

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        if not has_suffix(node.name, REQUEST_SUFFIXES):
            return
        model = model_class(node, ctx)
        if model is None:
            return
        key_from_client = _new_row_key(node.name, ctx)
        for declared in declared_fields(node, ctx):
            if declared.name in SERVER_FIELDS and (declared.name != "id" or key_from_client):
                ctx.report(self, declared.target, model=node.name, field=declared.name, origin="")
        span = None  # read from the line only for a finding there
        for inherited in inherited_fields(model, node, ctx):
            if inherited.name in SERVER_FIELDS and (inherited.name != "id" or key_from_client):
                origin = f" (inherited from `{short_name(inherited.owner)}`)"
                start, end = span = span or name_span(node, ctx)
                ctx.report_span(
                    self, start, end, model=node.name, field=inherited.name, origin=origin
                )
