from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.facts import ROUTE_METHODS
from layercheck.pydantic_models import fields, is_pydantic_model
from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.pydantic._helpers import (
    FIELD_FUNCTIONS,
    RESPONSE_SUFFIXES,
    SECRET_FIELDS,
    declared_fields,
    excluded,
    has_suffix,
    inherited_fields,
    keyword,
    model_class,
    name_span,
    short_name,
)
from layercheck.semantic.routes import Function


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
    `*Public` (reported at the field, or at the class name for a field inherited from a
    project base), or any model used as a route's `response_model=` (or its return
    annotation when there is no `response_model`, also inside `list[...]`), reported at
    the route. A field declared with `Field(exclude=True)` is never serialized and is not
    reported, and a route with `response_model_exclude=` / `response_model_include=` is
    left alone. Tokens and API keys are returned once by design and are not flagged.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.SCHEMAS, Need.VALUES, Need.ROUTES})
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
                "    password_hash: str\n",
                "app/routes/users.py": "from fastapi import APIRouter\n\n"
                "from app.schemas import UserInDB\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users', response_model=list[UserInDB])  # error: 38\n"
                "def users():\n"
                "    return []\n\n\n"
                "@router.get('/users/me')\n"
                "def me() -> 'UserInDB':  # error\n"
                "    return current()\n",
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

    def __init__(self) -> None:
        self._routes: list[tuple[Function, ast.expr]] = []

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        if not has_suffix(node.name, RESPONSE_SUFFIXES):
            return
        model = model_class(node, ctx)
        if model is None:
            return
        for declared in declared_fields(node, ctx):
            if declared.name in SECRET_FIELDS and not excluded(declared, ctx):
                ctx.report(self, declared.target, model=node.name, field=declared.name, origin="")
        start, end = name_span(node, ctx)
        for inherited in inherited_fields(model, node, ctx):
            if inherited.name not in SECRET_FIELDS:
                continue
            if inherited.declared is not None:
                if excluded(inherited.declared, ctx):
                    continue
            elif inherited.value in FIELD_FUNCTIONS:
                continue  # `Field(exclude=True)` in another file cannot be ruled out
            origin = f" (inherited from `{short_name(inherited.owner)}`)"
            ctx.report_span(self, start, end, model=node.name, field=inherited.name, origin=origin)

    # -- routes ----------------------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef, ctx: RuleContext) -> None:
        self._function(node, ctx)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: RuleContext) -> None:
        self._function(node, ctx)

    def _function(self, node: Function, ctx: RuleContext) -> None:
        response: ast.expr | None = node.returns
        for decorator in node.decorator_list:
            if not (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr in ROUTE_METHODS
            ):
                continue
            if keyword(decorator, "response_model_exclude") or keyword(
                decorator, "response_model_include"
            ):
                return
            found = keyword(decorator, "response_model")
            if found is not None:
                response = found.value
        if response is not None:
            self._routes.append((node, response))

    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        index = ctx.index
        for function, response in self._routes:
            if ctx.routes.innermost([function]) is not function:
                continue
            model = ctx.values.annotation_class(response, ctx) or ctx.values.element_class(
                response, ctx
            )
            if model is None or not is_pydantic_model(model, index):
                continue
            if has_suffix(short_name(model), RESPONSE_SUFFIXES):
                continue  # reported where the schema is defined
            for name, (_, attribute) in fields(model, index).items():
                if name in SECRET_FIELDS and attribute.value not in FIELD_FUNCTIONS:
                    origin = f" (the response model of route `{function.name}`)"
                    ctx.report(self, response, model=short_name(model), field=name, origin=origin)
