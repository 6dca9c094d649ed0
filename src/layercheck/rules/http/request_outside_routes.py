from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.http._helpers import (
    REQUEST_CLASSES,
    SERVICE_AND_REPOSITORY,
    annotation_classes,
    class_in,
    layer_word,
    short_name,
)


class RequestOutsideRoutes(Rule):
    """## What it does
    Checks for a `fastapi.Request` / `starlette.requests.Request` parameter or use in a
    service or repository.

    ## Why is this bad?
    The request object is the route's input. A service that takes it can only be called
    while an HTTP request is in flight, hides which values it really depends on (a header,
    the client address, the current user) and needs a fake request in every test. Read
    what is needed in the route or a dependency and pass plain values, or the current user,
    to the service.

    Each parameter annotation is reported once (also inside `Optional[...]`,
    `Request | None`, `Annotated[...]` or a string annotation), and so is every other use:
    an `isinstance` check, a construction. The import alone is not reported.
    `httpx.Request`, `requests.Request` and a project class that is merely called `Request`
    are left alone; a project subclass of FastAPI's `Request` is reported.

    ## Example
    ```python
    from fastapi import Request

    class AuditService:
        async def record(self, request: Request, action: str):
            ip = request.client.host if request.client else None
            await self.repo.add(action=action, ip=ip, agent=request.headers.get("user-agent"))
    ```

    ## Use instead
    ```python
    class AuditService:
        async def record(self, action: str, ip: str | None, agent: str | None):
            await self.repo.add(action=action, ip=ip, agent=agent)
    ```
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC205",
        name="request-outside-routes",
        message="`{name}` used in a {layer}; pass the values it needs from the route instead",
        layers=SERVICE_AND_REPOSITORY,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from fastapi import Request as Req\n\n"
            "class AuditService:\n"
            "    async def record(self, request: Req, action):  # error: 37\n"
            "        return request.client.host, action\n",
            note="alias, async method in a class; the parameter's uses are not reported",
        ),
        Invalid(
            "import fastapi\nfrom typing import Optional\n\n"
            "def client_ip(\n"
            "    request: Optional[fastapi.Request],  # error: 23\n"
            "    fallback: str,\n"
            "):\n"
            "    return request.client.host if request else fallback\n",
            note="module import, inside Optional[...], a multi-line signature",
        ),
        Invalid(
            "from starlette.requests import Request\n\n"
            "def outer():\n"
            "    def inner(value):\n"
            "        return isinstance(value, Request)  # error: 34\n"
            "    return inner\n",
            path="app/repositories/audit.py",
            note="an isinstance check in a nested function; repositories too",
        ),
        Invalid(
            "from fastapi.requests import Request\n\n"
            "def fake(scope, other: 'Request | None' = None):  # error: 24\n"
            "    return Request(scope)  # error: 12\n",
            note="a string annotation; a construction",
        ),
        Invalid(
            {
                "app/core/requests.py": "from fastapi import Request\n\n"
                "class TenantRequest(Request):\n    pass\n",
                "app/services/tenants.py": "from ..core.requests import TenantRequest\n\n"
                "def tenant(request: TenantRequest | None):  # error\n"
                "    return request.state.tenant if request else None\n",
            },
            note="project subclass, relative import, `X | None`",
        ),
        Valid(
            "from fastapi import Request\n",
            note="imported only",
        ),
        Valid(
            "from fastapi import Request\n\n"
            "async def me(request: Request):\n    return request.state.user\n",
            path="app/routes/users.py",
            note="routes take the request",
        ),
        Valid(
            "from fastapi import Request\n\n"
            "async def current_user(request: Request):\n    return request.state.user\n",
            path="app/dependencies/auth.py",
            note="dependencies read the request",
        ),
        Valid(
            "from fastapi import Request\n\nasync def f(request: Request):\n    return request\n",
            path="tests/services/test_audit.py",
            note="tests have no layer",
        ),
        Valid(
            "import httpx\nimport requests\nfrom requests import Request as Prepared\n\n"
            "def build(url) -> httpx.Request:\n"
            "    Prepared('GET', url)\n"
            "    return httpx.Request('GET', url) or requests.Request('GET', url)\n",
            note="HTTP client requests",
        ),
        Valid(
            {
                "app/domain.py": "class Request:\n    pass\n",
                "app/services/approvals.py": "from app.domain import Request\n\n"
                "def approve(request: Request) -> Request:\n    return Request()\n",
            },
            note="a project class that only shares the name",
        ),
        Valid(
            "from typing import Literal\n"
            "from fastapi import Request\n\n"
            "def kind(value: Literal['Request', 'Reply'], Request):\n"
            "    return Request\n",
            note="a Literal string and a parameter that shadows the import",
        ),
    )

    def visit_Name(self, node: ast.Name, ctx: RuleContext) -> None:
        if isinstance(node.ctx, ast.Load):
            self._check(node, ctx)

    def visit_Attribute(self, node: ast.Attribute, ctx: RuleContext) -> None:
        if isinstance(node.ctx, ast.Load):
            self._check(node, ctx)

    # Names written in code are visited above; strings in annotations are parsed here.
    def visit_arg(self, node: ast.arg, ctx: RuleContext) -> None:
        self._check_strings(node.annotation, ctx)

    def visit_FunctionDef(self, node: ast.FunctionDef, ctx: RuleContext) -> None:
        self._check_strings(node.returns, ctx)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: RuleContext) -> None:
        self._check_strings(node.returns, ctx)

    def visit_AnnAssign(self, node: ast.AnnAssign, ctx: RuleContext) -> None:
        self._check_strings(node.annotation, ctx)

    def _check(self, node: ast.Name | ast.Attribute, ctx: RuleContext) -> None:
        name = class_in(node, REQUEST_CLASSES, ctx)
        if name is not None:
            ctx.report(self, node, name=short_name(name), layer=layer_word(ctx))

    def _check_strings(self, annotation: ast.expr | None, ctx: RuleContext) -> None:
        if annotation is None:
            return
        reported: set[ast.AST] = set()
        for at, name in annotation_classes(annotation, ctx):
            if (
                isinstance(at, ast.Constant)
                and at not in reported
                and ctx.index.inherits(name, REQUEST_CLASSES)
            ):
                reported.add(at)
                ctx.report(self, at, name=short_name(name), layer=layer_word(ctx))
