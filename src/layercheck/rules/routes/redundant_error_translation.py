from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar, Final

from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, Need, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.http._helpers import http_exception_use, is_domain_exception
from layercheck.rules.routes._exceptions import (
    covering_handler,
    exception_name,
    names,
)
from layercheck.semantic.routes import Function

LOG_METHODS: Final = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
)
_ERRORS = "app/exceptions.py"
_ERRORS_SOURCE = (
    "class AppError(Exception):\n    pass\n\n\n"
    "class NotFoundError(AppError):\n    pass\n\n\n"
    "class ConflictError(AppError):\n    pass\n"
)
_MAIN = "app/main.py"
_MAIN_SOURCE = (
    "from fastapi import FastAPI\n\n"
    "from app.exceptions import AppError\n\n"
    "app = FastAPI()\n\n\n"
    "@app.exception_handler(AppError)\n"
    "async def app_error_handler(request, exc):\n"
    "    ...\n"
)
_ROUTE = "app/routes/users.py"
_ROUTE_HEAD = (
    "from fastapi import APIRouter, HTTPException, status\n\n"
    "from app.exceptions import ConflictError, NotFoundError\n\n"
    "router = APIRouter()\n\n\n"
)


@dataclass(frozen=True, slots=True)
class _Translation:
    """An except clause that only raises an HTTPException; reported if it sits in a
    route handler, which is known once the whole module has been seen."""

    node: ast.ExceptHandler
    functions: tuple[Function, ...]
    caught: tuple[str, ...]
    handlers: tuple[str, ...]
    http: str


class RedundantErrorTranslation(Rule):
    """## What it does
    Checks for a route that catches a domain exception only to raise an `HTTPException`,
    while a registered exception handler already translates that exception.

    ## Why is this bad?
    With a global exception handler for a domain exception (or for a base class of it),
    the translation to an HTTP response lives in one place. A route that also catches
    the exception and raises its own `HTTPException` repeats that mapping: the two drift
    apart (a 404 here, a 400 there, different error bodies), and every new route copies
    the `try`/`except`. Let the exception propagate to the handler.

    ## Example
    ```python
    # file: app/exceptions.py
    class AppError(Exception):
        pass


    class NotFoundError(AppError):
        pass

    # file: app/main.py
    from fastapi import FastAPI

    from app.exceptions import AppError

    app = FastAPI()


    @app.exception_handler(AppError)
    async def app_error_handler(request, exc):
        ...

    # file: app/routes/users.py
    from fastapi import APIRouter, Depends, HTTPException, status

    from app.exceptions import NotFoundError
    from app.services.users import UserService

    router = APIRouter()


    @router.get("/users/{user_id}")
    async def get_user(user_id: int, service: UserService = Depends()):
        try:
            return await service.get_user(user_id)
        except NotFoundError as exc:
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=str(exc))
    ```

    ## Use instead
    ```python
    # file: app/exceptions.py
    class AppError(Exception):
        pass


    class NotFoundError(AppError):
        pass

    # file: app/main.py
    from fastapi import FastAPI

    from app.exceptions import AppError

    app = FastAPI()


    @app.exception_handler(AppError)
    async def app_error_handler(request, exc):
        ...

    # file: app/routes/users.py
    from fastapi import APIRouter, Depends

    from app.services.users import UserService

    router = APIRouter()


    @router.get("/users/{user_id}")
    async def get_user(user_id: int, service: UserService = Depends()):
        return await service.get_user(user_id)
    ```

    ## Details
    The `except` clause is reported when its body only raises an `HTTPException` (or a
    project subclass of it), possibly after logging calls (`logger.warning(...)`), and
    every class it catches is a domain exception (a project class deriving from a
    builtin exception, no `HTTPException`) with a registered handler for the class or a
    project or third-party base of it. Handlers count wherever the project registers
    them (`@app.exception_handler(X)`, `app.add_exception_handler(X, h)` in an app
    factory, `FastAPI(exception_handlers={X: h})`).

    A handler for a builtin class (`Exception`) does not make the translation
    redundant: such catch-all handlers usually answer 500, and the route's own status
    code is then what the client needs. A clause that does more than log and raise
    (rolls back, returns a response, raises something else) is quiet.
    """

    needs: ClassVar[frozenset[Need]] = frozenset({Need.ROUTES})
    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC304",
        name="redundant-error-translation",
        message="{caught} caught only to raise `{http}`; the exception handler for "
        "{handlers} already translates it",
        layers=frozenset({Layer.ROUTES}),
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                _ERRORS: _ERRORS_SOURCE,
                _MAIN: _MAIN_SOURCE,
                _ROUTE: _ROUTE_HEAD + "@router.get('/users/{user_id}')\n"
                "async def read(user_id: int):\n"
                "    try:\n"
                "        return await get_user(user_id)\n"
                "    except NotFoundError as exc:  # error: 5\n"
                "        logger.warning('missing user %s', user_id)\n"
                "        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc\n",
            },
            note="a decorator on the app; logging before the raise",
        ),
        Invalid(
            {
                "app/errors/base.py": "class DomainError(Exception):\n    pass\n",
                "app/errors/users.py": "from .base import DomainError\n\n\n"
                "class UserError(DomainError):\n    pass\n\n\n"
                "class EmailTaken(UserError):\n    pass\n",
                "app/core/app.py": "from fastapi import FastAPI\n\n"
                "from app.errors import base as errors\n\n\n"
                "def create_app() -> FastAPI:\n"
                "    app = FastAPI()\n"
                "    app.add_exception_handler(errors.DomainError, on_domain_error)\n"
                "    return app\n",
                "app/api/v1/users.py": "import fastapi\n\n"
                "from app.errors.users import EmailTaken as Taken\n\n"
                "router = fastapi.APIRouter()\n\n\n"
                "@router.post('/users')\n"
                "def create(data):\n"
                "    try:\n"
                "        return register(data)\n"
                "    except (Taken,):  # error\n"
                "        raise fastapi.HTTPException(409)\n",
            },
            note="add_exception_handler in an app factory, a base three modules up, aliases",
        ),
        Invalid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/core/http.py": "from fastapi import HTTPException\n\n\n"
                "class Conflict(HTTPException):\n"
                "    def __init__(self, detail):\n"
                "        super().__init__(409, detail)\n",
                "app/main.py": "from fastapi import FastAPI\n\n"
                "from .exceptions import ConflictError, NotFoundError\n\n"
                "app = FastAPI(exception_handlers={NotFoundError: nf, ConflictError: cf})\n",
                _ROUTE: "from fastapi import APIRouter\n\n"
                "from app.core.http import Conflict\n"
                "from app.exceptions import ConflictError, NotFoundError\n\n"
                "router = APIRouter()\n\n\n"
                "@router.put('/users/{user_id}')\n"
                "async def update(user_id: int, data):\n"
                "    async def run():\n"
                "        try:\n"
                "            return await save(user_id, data)\n"
                "        except (  # error\n"
                "            NotFoundError,\n"
                "            ConflictError,\n"
                "        ):\n"
                "            raise Conflict('no')\n\n"
                "    return await run()\n",
            },
            note="exception_handlers={...}, a project HTTPException subclass, a nested "
            "function, a tuple of covered classes",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/main.py": "from fastapi import FastAPI\n\n"
                "from app.exceptions import ConflictError\n\n"
                "app = FastAPI()\n"
                "app.add_exception_handler(ConflictError, on_conflict)\n",
                _ROUTE: _ROUTE_HEAD + "@router.get('/users/{user_id}')\n"
                "async def read(user_id: int):\n"
                "    try:\n"
                "        return await get_user(user_id)\n"
                "    except NotFoundError:\n"
                "        raise HTTPException(404)\n",
            },
            note="the handler is for a sibling class: the route's translation is needed",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                _MAIN: _MAIN_SOURCE,
                _ROUTE: _ROUTE_HEAD + "@router.post('/users')\n"
                "async def create(data, session):\n"
                "    try:\n"
                "        return await create_user(data)\n"
                "    except ConflictError:\n"
                "        await session.rollback()\n"
                "        raise HTTPException(409)\n"
                "    except (NotFoundError, KeyError):\n"
                "        raise HTTPException(404)\n"
                "    except NotFoundError:\n"
                "        return None\n"
                "    except NotFoundError as exc:\n"
                "        raise RuntimeError('x') from exc\n",
            },
            note="more than logging before the raise; a tuple with an uncovered builtin; "
            "no HTTPException raised",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/main.py": "from fastapi import FastAPI\n\n"
                "app = FastAPI()\n\n\n"
                "@app.exception_handler(Exception)\n"
                "async def crash(request, exc):\n"
                "    ...\n",
                _ROUTE: _ROUTE_HEAD + "@router.get('/users/{user_id}')\n"
                "async def read(user_id: int):\n"
                "    try:\n"
                "        return await get_user(user_id)\n"
                "    except NotFoundError:\n"
                "        raise HTTPException(404)\n",
            },
            note="a catch-all handler for Exception answers 500; the translation matters",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                _MAIN: _MAIN_SOURCE,
                _ROUTE: _ROUTE_HEAD + "def helper(user_id):\n"
                "    try:\n"
                "        return get_user(user_id)\n"
                "    except NotFoundError:\n"
                "        raise HTTPException(404)\n",
                "app/dependencies/users.py": "from fastapi import HTTPException\n\n"
                "from app.exceptions import NotFoundError\n\n\n"
                "def current_user(user_id: int):\n"
                "    try:\n"
                "        return get_user(user_id)\n"
                "    except NotFoundError:\n"
                "        raise HTTPException(401)\n",
            },
            note="not in a route handler: a helper function, a dependency",
        ),
        Valid(
            {
                _MAIN: "from fastapi import FastAPI\n\n"
                "from app.core.http import GatewayError\n\n"
                "app = FastAPI()\n"
                "app.add_exception_handler(ValueError, bad_value)\n"
                "app.add_exception_handler(GatewayError, bad_gateway)\n",
                "app/core/http.py": "from fastapi import HTTPException\n\n\n"
                "class GatewayError(HTTPException):\n    pass\n",
                _ROUTE: "from fastapi import APIRouter, HTTPException\n"
                "from pydantic import ValidationError\n\n"
                "from app.core.http import GatewayError\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/items')\n"
                "async def items(raw: str):\n"
                "    try:\n"
                "        return parse(raw)\n"
                "    except ValueError:\n"
                "        raise HTTPException(422)\n"
                "    except ValidationError:\n"
                "        raise HTTPException(422)\n"
                "    except GatewayError:\n"
                "        raise HTTPException(502)\n",
            },
            note="builtin, third-party and HTTPException classes are no domain exceptions",
        ),
    )

    def __init__(self) -> None:
        self._found: list[_Translation] = []

    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: RuleContext) -> None:
        functions = ctx.functions()
        if not functions or node.type is None:
            return
        http = _only_raises_http_exception(node.body, ctx)
        if http is None:
            return
        kinds = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        caught: list[str] = []
        handlers: list[str] = []
        for kind in kinds:
            name = exception_name(kind, ctx)
            if name is None or not is_domain_exception(name, ctx.index):
                return
            handler = covering_handler(name, ctx.index, builtin=False)
            if handler is None:
                return
            caught.append(name)
            handlers.append(handler)
        self._found.append(
            _Translation(node, tuple(functions), tuple(caught), tuple(handlers), http)
        )

    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        for found in self._found:
            if ctx.routes.innermost(found.functions) is None:
                continue
            assert found.node.type is not None
            start = ctx.lines.span(found.node)[0]
            end = ctx.lines.span(found.node.type)[1]
            ctx.report_span(
                self,
                start,
                end,
                caught=names(list(found.caught)),
                http=found.http,
                handlers=names(list(found.handlers)),
            )


def _only_raises_http_exception(body: list[ast.stmt], ctx: RuleContext) -> str | None:
    """The HTTPException class a clause raises when raising it is all the clause does,
    besides logging calls; None otherwise."""
    *before, last = body
    if not isinstance(last, ast.Raise) or last.exc is None:
        return None
    if not all(_is_logging(stmt) for stmt in before):
        return None
    found = http_exception_use(last.exc if isinstance(last.exc, ast.Call) else last, ctx)
    return found[1] if found is not None else None


def _is_logging(stmt: ast.stmt) -> bool:
    """`logger.warning(...)`, `log.exception(...)`, `logging.error(...)`,
    `self.logger.info(...)`."""
    if not isinstance(stmt, ast.Expr):
        return False
    value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in LOG_METHODS
    )
