from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.pydantic._helpers import (
    FIELD_FUNCTIONS,
    RESPONSE_SUFFIXES,
    SECRET_FIELDS,
    declared_fields,
    excluded,
    has_suffix,
    inherited_fields,
    model_class,
    name_span,
    short_name,
)


class SecretInResponseSchema(Rule):
    """## What it does
    Checks for a response schema that declares a `password`, `hashed_password` or
    `password_hash` field.

    ## Why is this bad?
    Everything a response schema declares is serialized to the client. A password hash
    in a response leaks to every caller, to browser caches and to logs, and can be
    cracked offline. Keep credentials in the ORM model and in request schemas; response
    schemas list only what clients may read.

    ## Example
    ```python
    from pydantic import BaseModel, ConfigDict


    class UserResponse(BaseModel):
        model_config = ConfigDict(from_attributes=True)

        id: int
        email: str
        hashed_password: str
    ```

    ## Use instead
    ```python
    from pydantic import BaseModel, ConfigDict


    class UserResponse(BaseModel):
        model_config = ConfigDict(from_attributes=True)

        id: int
        email: str
    ```

    ## Details
    A response schema is a Pydantic model named `*Response`, `*Out`, `*Read` or
    `*Public`, or any model a route of the project sends: its `response_model=` (or its
    return annotation when there is no `response_model`, also inside `list[...]`). The
    finding is at the field, where the fix is (at the class name for a field inherited
    from a project base), and names the routes that send the model. A field declared
    with `Field(exclude=True)` is never serialized and is not reported, and a route with
    `response_model_exclude=` / `response_model_include=` does not make a model a
    response schema. Tokens and API keys are returned once by design and are not flagged.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SCHEMAS})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC611",
        name="secret-in-response-schema",
        message="response schema `{model}` declares `{field}`{origin}; it is sent to every client",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "import pydantic\n\n\n"
            "class UserBase(pydantic.BaseModel):\n"
            "    email: str\n"
            "    hashed_password: str\n\n\n"
            "class UserOut(UserBase):  # error: 7\n"
            "    id: int\n\n\n"
            "class AccountPublic(pydantic.BaseModel):\n"
            "    password: str  # error: 5\n",
            note="inherited from a base, reported at the class name; `*Public`",
        ),
        Invalid(
            {
                "app/schemas.py": "from pydantic import BaseModel\n\n\n"
                "class UserInDB(BaseModel):\n"
                "    email: str\n"
                "    password_hash: str  # error: 5\n\n\n"
                "class AccountBase(BaseModel):\n"
                "    password: str\n\n\n"
                "class Account(AccountBase):  # error\n"
                "    id: int\n",
                "app/routes/users.py": "from fastapi import APIRouter\n\n"
                "from app.schemas import Account, UserInDB\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users', response_model=list[UserInDB])\n"
                "def users():\n"
                "    return []\n\n\n"
                "@router.get('/users/me')\n"
                "def me() -> 'UserInDB':\n"
                "    return current()\n\n\n"
                "@router.get('/accounts/{account_id}')\n"
                "def account(account_id: int) -> Account | None:\n"
                "    return find(account_id)\n",
            },
            note="a schema used as a route's response model, in `list[...]` and as a quoted "
            "return annotation",
        ),
        Valid(
            "from pydantic import BaseModel, Field\n\n\n"
            "class UserCreate(BaseModel):\n"
            "    email: str\n"
            "    password: str\n\n\n"
            "class TokenResponse(BaseModel):\n"
            "    access_token: str\n"
            "    api_key: str\n\n\n"
            "class UserRead(BaseModel):\n"
            "    email: str\n"
            "    hashed_password: str = Field(exclude=True)\n",
            note="request schemas; tokens and API keys; an excluded field",
        ),
        Valid(
            {
                "app/schemas.py": "from pydantic import BaseModel\n\n\n"
                "class UserInDB(BaseModel):\n"
                "    email: str\n"
                "    hashed_password: str\n",
                "app/routes/users.py": "from fastapi import APIRouter\n\n"
                "from app.schemas import UserInDB\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users/me', response_model=UserInDB, "
                "response_model_exclude={'hashed_password'})\n"
                "def me():\n"
                "    return current()\n\n\n"
                "def load() -> UserInDB:\n"
                "    return current()\n",
            },
            note="`response_model_exclude=`; a function that is not a route",
        ),
        Valid(
            "from dataclasses import dataclass\n\n\n"
            "@dataclass\n"
            "class UserResponse:\n"
            "    password_hash: str\n\n\n"
            "class LoginResponse:\n"
            "    password: str\n",
            note="not Pydantic models",
        ),
    )

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        model = model_class(node, ctx)
        if model is None:
            return
        routes = ctx.index.response_routes(model.qualified)
        if not routes and not has_suffix(node.name, RESPONSE_SUFFIXES):
            return
        sent = _sent_by(routes)
        for declared in declared_fields(node, ctx):
            if declared.name in SECRET_FIELDS and not excluded(declared, ctx):
                origin = f" ({sent})" if sent else ""
                ctx.report(
                    self, declared.target, model=node.name, field=declared.name, origin=origin
                )
        span = None  # read from the line only for a finding there
        for inherited in inherited_fields(model, node, ctx):
            if inherited.name not in SECRET_FIELDS:
                continue
            if inherited.declared is not None:
                if excluded(inherited.declared, ctx):
                    continue
            elif inherited.value in FIELD_FUNCTIONS:
                continue  # `Field(exclude=True)` in another file cannot be ruled out
            parts = [f"inherited from `{short_name(inherited.owner)}`", *([sent] if sent else [])]
            origin = f" ({'; '.join(parts)})"
            start, end = span = span or name_span(node, ctx)
            ctx.report_span(self, start, end, model=node.name, field=inherited.name, origin=origin)


def _sent_by(routes: tuple[str, ...]) -> str:
    """`the response model of route `me``, naming up to two routes."""
    if not routes:
        return ""
    named = ", ".join(f"`{name}`" for name in routes[:2])
    more = f" and {len(routes) - 2} more" if len(routes) > 2 else ""
    word = "route" if len(routes) == 1 else "routes"
    return f"the response model of {word} {named}{more}"
