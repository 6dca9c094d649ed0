from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.http._helpers import (
    SERVICE_AND_REPOSITORY,
    STATUS_MODULES,
    STATUS_PREFIXES,
    layer_word,
)


class HttpStatusOutsideRoutes(Rule):
    """## What it does
    Checks for `fastapi.status` / `starlette.status` constants used in a service or
    repository.

    ## Why is this bad?
    A status code is how a route answers a request. A service that picks
    `status.HTTP_404_NOT_FOUND` has decided the HTTP answer for every caller, including
    the ones that are not HTTP at all (workers, CLIs, tests), and usually hands it on in an
    `HTTPException` or a response. Raise a domain exception and map it to a status in the
    route or an exception handler.

    Each use is reported, not the import. `http.HTTPStatus` is left alone: a service that
    calls another HTTP API compares its status codes legitimately. A project's own
    `status` module, variable or parameter is not `fastapi.status`, and a local variable
    named `status` shadows the import inside its function.

    ## Example
    ```python
    from fastapi import status

    class OrderService:
        async def cancel(self, order):
            if order.shipped:
                return {"error": "already shipped", "code": status.HTTP_409_CONFLICT}
            await self.repo.cancel(order)
    ```

    ## Use instead
    ```python
    from app.exceptions import ConflictError

    class OrderService:
        async def cancel(self, order):
            if order.shipped:
                raise ConflictError(f"Order {order.id} already shipped")
            await self.repo.cancel(order)
    ```
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC204",
        name="http-status-outside-routes",
        message="`{name}` used in a {layer}; leave status codes to routes and exception handlers",
        layers=SERVICE_AND_REPOSITORY,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from fastapi import status as st\n\n"
            "class OrderService:\n"
            "    async def cancel(self, order):\n"
            "        if order.shipped:\n"
            "            return st.HTTP_409_CONFLICT  # error: 20\n",
            note="alias, async method in a class",
        ),
        Invalid(
            "import fastapi\nimport starlette.status\n\n"
            "def codes():\n"
            "    return (\n"
            "        fastapi.status.HTTP_404_NOT_FOUND,  # error: 9\n"
            "        starlette.status.WS_1008_POLICY_VIOLATION,  # error: 9\n"
            "    )\n",
            note="module imports, a multi-line expression",
        ),
        Invalid(
            "from starlette.status import HTTP_404_NOT_FOUND\n\n"
            "def outer():\n"
            "    def inner(row):\n"
            "        return row or HTTP_404_NOT_FOUND  # error: 23\n"
            "    return inner\n",
            path="app/repositories/users.py",
            note="the constant imported by name, in a nested function; repositories too",
        ),
        Invalid(
            {
                "app/core/http.py": "from fastapi import status\n",
                "app/services/users.py": "from ..core.http import status\n\n"
                "NOT_FOUND = status.HTTP_404_NOT_FOUND  # error\n",
            },
            note="re-exported through a project module, relative import",
        ),
        Valid(
            "from fastapi import status\n",
            note="imported only: each use is reported, not the import",
        ),
        Valid(
            "from fastapi import status\n\ndef f():\n    return status.HTTP_404_NOT_FOUND\n",
            path="app/routes/users.py",
            note="routes choose status codes",
        ),
        Valid(
            "from fastapi import status\n\ndef f():\n    return status.HTTP_401_UNAUTHORIZED\n",
            path="app/dependencies/auth.py",
            note="dependencies are not services",
        ),
        Valid(
            "from fastapi import status\n\ndef f():\n    return status.HTTP_404_NOT_FOUND\n",
            path="tests/services/test_users.py",
            note="tests have no layer",
        ),
        Valid(
            "from http import HTTPStatus\n\n"
            "async def fetch(client):\n"
            "    response = await client.get('/users')\n"
            "    return response.status_code == HTTPStatus.NOT_FOUND\n",
            note="`http.HTTPStatus` for another API's answers",
        ),
        Valid(
            {
                "app/core/status.py": "HTTP_404_NOT_FOUND = 'missing'\n",
                "app/services/users.py": "from app.core import status\n\n"
                "def f():\n    return status.HTTP_404_NOT_FOUND\n",
            },
            note="a project module named `status`",
        ),
        Valid(
            "from fastapi import status\n\n"
            "def f(order):\n"
            "    status = order.state\n"
            "    return status.HTTP_404_NOT_FOUND\n\n"
            "def g(status):\n"
            "    return status.HTTP_200_OK\n",
            note="a local variable and a parameter named `status` shadow the import",
        ),
    )

    def visit_Attribute(self, node: ast.Attribute, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def visit_Name(self, node: ast.Name, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def _check(self, node: ast.Name | ast.Attribute, ctx: RuleContext) -> None:
        if not isinstance(node.ctx, ast.Load):
            return
        name = ctx.qualified(node)
        if name is None:
            return
        module, _, constant = name.rpartition(".")
        if module in STATUS_MODULES and constant.startswith(STATUS_PREFIXES):
            ctx.report(self, node, name=f"status.{constant}", layer=layer_word(ctx))
