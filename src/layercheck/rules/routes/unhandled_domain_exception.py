from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.http._helpers import exception_ancestors, is_domain_exception, short_name
from layercheck.rules.routes._exceptions import (
    SUPPRESS,
    caught_somewhere,
    covering_handler,
    exception_name,
    project_exceptions,
)

_ERRORS = "app/exceptions.py"
_ERRORS_SOURCE = (
    "class AppError(Exception):\n    pass\n\n\n"
    "class NotFoundError(AppError):\n    pass\n\n\n"
    "class ConflictError(AppError):\n    pass\n"
)
_SERVICE = "app/services/users.py"
_RAISES_NOT_FOUND = (
    "from app.exceptions import NotFoundError\n\n\n"
    "async def get_user(repo, user_id):\n"
    "    user = await repo.get(user_id)\n"
    "    if user is None:\n"
    "        raise NotFoundError(user_id)\n"
    "    return user\n"
)


class UnhandledDomainException(Rule):
    """## What it does
    Checks for a domain exception raised in a service that no registered exception
    handler covers and no route or dependency catches.

    ## Why is this bad?
    Services raise domain exceptions (`NotFoundError`, `ConflictError`) and let the HTTP
    layer decide the status code, through one global exception handler per exception
    family. An exception that nothing translates reaches the ASGI server as an unhandled
    error: the client gets a bare 500 for what is really a 404 or a 409, and the logs
    show a traceback for a normal business outcome.

    ## Example
    ```python
    # file: app/exceptions.py
    class AppError(Exception):
        pass


    class PaymentDeclinedError(Exception):
        pass

    # file: app/main.py
    from fastapi import FastAPI

    from app.exceptions import AppError

    app = FastAPI()


    @app.exception_handler(AppError)
    async def app_error_handler(request, exc):
        ...

    # file: app/services/payments.py
    from app.exceptions import PaymentDeclinedError


    async def charge(gateway, order):
        if not await gateway.charge(order.total):
            raise PaymentDeclinedError(order.id)
    ```

    ## Use instead
    ```python
    # file: app/exceptions.py
    class AppError(Exception):
        pass


    class PaymentDeclinedError(AppError):
        pass

    # file: app/main.py
    from fastapi import FastAPI

    from app.exceptions import AppError

    app = FastAPI()


    @app.exception_handler(AppError)
    async def app_error_handler(request, exc):
        ...

    # file: app/services/payments.py
    from app.exceptions import PaymentDeclinedError


    async def charge(gateway, order):
        if not await gateway.charge(order.total):
            raise PaymentDeclinedError(order.id)
    ```

    ## Details
    A domain exception is a class of the project that derives, through project classes
    in any module, from a builtin exception, and is no `HTTPException`. Builtin
    exceptions (`ValueError`, `KeyError`) and third-party classes are not domain
    exceptions: raising them from a service is quiet.

    Handlers count wherever the project registers them: `@app.exception_handler(X)`,
    `app.add_exception_handler(X, handler)` (also inside an app factory such as
    `create_app()`), and `FastAPI(exception_handlers={X: handler})`. A handler for `X`
    or any base of `X` covers it, and so does a handler for `Exception`. When a
    registration names a class the rule cannot see (`for exc, handler in HANDLERS:`),
    the rule stays quiet for the whole project.

    The raise is also quiet when a route or dependency module, or a module of no layer
    (a task runner, a middleware, the application's setup), catches `X` or a base of
    it, `except Exception` included (the rule does not follow which route calls which
    service); when any other module (a service calling a helper, a middleware) names
    `X` or a project base of it in an `except` clause; when a `try` or
    `contextlib.suppress()` in the same function catches it; and for a bare `raise` or
    `raise exc` of a caught variable.

    ## Leaves to
    An `HTTPException` subclass raised in a service: LC201 (it is no domain exception).
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC305",
        name="unhandled-domain-exception",
        message="`{name}` has no exception handler and nothing catches it; it becomes a 500",
        layers=frozenset({Layer.SERVICES}),
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/main.py": "from fastapi import FastAPI\n\n"
                "from app.exceptions import NotFoundError\n\n"
                "HANDLERS = {NotFoundError: on_not_found}\n\n\n"
                "def create_app() -> FastAPI:\n"
                "    return FastAPI(exception_handlers=HANDLERS)\n",
                _SERVICE: "from app.exceptions import NotFoundError\n\n\n"
                "def get(user):\n    if user is None:\n        raise NotFoundError()\n",
            },
            note="a module-level handler table handed to a factory's `return FastAPI(...)`",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/main.py": "from fastapi import FastAPI\n\n"
                "from app.exceptions import NotFoundError\n\n"
                "app = FastAPI()\n"
                "app.exception_handler(NotFoundError)(on_not_found)\n",
                _SERVICE: "from app.exceptions import NotFoundError\n\n\n"
                "def get(user):\n    if user is None:\n        raise NotFoundError()\n",
            },
            note="the decorator applied by hand: `app.exception_handler(E)(handler)`",
        ),
        Invalid(
            {
                _ERRORS: _ERRORS_SOURCE,
                _SERVICE: "from app.exceptions import NotFoundError\n\n\n"
                "async def get_user(repo, user_id):\n"
                "    user = await repo.get(user_id)\n"
                "    if user is None:\n"
                "        raise NotFoundError(user_id)  # error: 15\n"
                "    return user\n",
            },
            note="no handler is registered anywhere",
        ),
        Invalid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/main.py": "from fastapi import FastAPI\n\n"
                "from app import exceptions\n\n\n"
                "def create_app() -> FastAPI:\n"
                "    app = FastAPI()\n"
                "    app.add_exception_handler(exceptions.ConflictError, on_conflict)\n"
                "    return app\n",
                _SERVICE: "from .. import exceptions as errors\n\n\n"
                "class UserService:\n"
                "    async def get(self, user_id):\n"
                "        raise errors.NotFoundError  # error\n\n"
                "    async def create(self, data):\n"
                "        raise errors.ConflictError(data.email)\n",
            },
            note="a handler for a sibling class does not cover; relative import, alias, "
            "a class raised without a call",
        ),
        Invalid(
            {
                "app/errors/base.py": "class DomainError(LookupError):\n    pass\n",
                "app/errors/users.py": "from app.errors.base import DomainError\n\n\n"
                "class UserError(DomainError):\n    pass\n",
                "app/errors/__init__.py": "from .users import UserError\n",
                "app/services/users.py": "from app.errors import UserError\n\n\n"
                "class NotFound(UserError):\n    pass\n\n\n"
                "def get(user_id):\n"
                "    try:\n"
                "        raise NotFound(user_id)  # error\n"
                "    except KeyError:\n"
                "        pass\n",
                "app/api/routes/users.py": "from fastapi import APIRouter\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users/{user_id}')\n"
                "def read(user_id: int):\n"
                "    try:\n"
                "        return get(user_id)\n"
                "    except ValueError:\n"
                "        return None\n",
            },
            note="a hierarchy over three modules and a re-export; catching a sibling of a "
            "builtin base (KeyError, ValueError) does not cover it",
        ),
        Invalid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/main.py": "from fastapi import FastAPI\n\n"
                "from app.exceptions import ConflictError\n\n"
                "app = FastAPI(exception_handlers={ConflictError: on_conflict, 404: gone})\n",
                "app/services/user_service.py": "from app.exceptions import NotFoundError\n\n\n"
                "def get(user_id):\n"
                "    try:\n"
                "        user = load(user_id)\n"
                "    except LookupError:\n"
                "        raise NotFoundError(user_id)  # error\n",
            },
            note="`exception_handlers={...}` for another class and a status code; a raise "
            "in an except clause is not protected by that try",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/main.py": "from fastapi import FastAPI\n\n"
                "from app.exceptions import AppError\n\n\n"
                "def create_app() -> FastAPI:\n"
                "    application = FastAPI()\n"
                "    application.add_exception_handler(AppError, handler)\n"
                "    return application\n",
                _SERVICE: _RAISES_NOT_FOUND,
            },
            note="a handler for the base class, registered in an app factory",
        ),
        Valid(
            {
                "app/core/errors/base.py": "class AppError(Exception):\n    pass\n",
                "app/core/errors/__init__.py": "from .base import AppError as BaseError\n",
                _ERRORS: "from app.core.errors import BaseError\n\n\n"
                "class NotFoundError(BaseError):\n    pass\n",
                "app/core/handlers.py": "from fastapi import FastAPI\n\n"
                "from .errors import BaseError\n\n"
                "app = FastAPI(exception_handlers={BaseError: on_app_error})\n",
                _SERVICE: _RAISES_NOT_FOUND,
            },
            note="the handler is for a base defined in another module, through an alias "
            "and a relative import",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/core/handlers.py": "from fastapi import FastAPI\n\n"
                "from app import exceptions as errors\n\n\n"
                "def register_handlers(api: FastAPI) -> None:\n"
                "    @api.exception_handler(errors.NotFoundError)\n"
                "    async def not_found(request, exc):\n"
                "        ...\n",
                _SERVICE: _RAISES_NOT_FOUND,
            },
            note="a decorator on an app passed to a registration function",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/routes/users.py": "from fastapi import APIRouter, HTTPException\n\n"
                "from app.exceptions import AppError\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users/{user_id}')\n"
                "async def read(user_id: int):\n"
                "    try:\n"
                "        return await get_user(user_id)\n"
                "    except AppError as exc:\n"
                "        raise HTTPException(status_code=400, detail=str(exc))\n",
                _SERVICE: _RAISES_NOT_FOUND,
            },
            note="a route catches a base of the exception",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/dependencies/users.py": "from app.exceptions import NotFoundError\n\n\n"
                "async def current_user(user_id: int):\n"
                "    try:\n"
                "        return await get_user(user_id)\n"
                "    except (KeyError, NotFoundError):\n"
                "        return None\n",
                _SERVICE: _RAISES_NOT_FOUND,
            },
            note="a dependency catches it",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/main.py": "from fastapi import FastAPI\n\n"
                "app = FastAPI()\n\n\n"
                "@app.exception_handler(Exception)\n"
                "async def everything(request, exc):\n"
                "    ...\n",
                _SERVICE: _RAISES_NOT_FOUND,
            },
            note="a handler for Exception covers every exception",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/main.py": "from fastapi import FastAPI\n\n"
                "from app.handlers import HANDLERS\n\n"
                "app = FastAPI()\n"
                "for exc_class, handler in HANDLERS.items():\n"
                "    app.add_exception_handler(exc_class, handler)\n",
                _SERVICE: _RAISES_NOT_FOUND,
            },
            note="a registration whose class cannot be named: stay quiet",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                _SERVICE: "import contextlib\n\n"
                "from fastapi import HTTPException\n\n"
                "from app.exceptions import ConflictError, NotFoundError\n\n\n"
                "class Gone(HTTPException):\n    pass\n\n\n"
                "def get(user_id):\n"
                "    if user_id < 0:\n"
                "        raise ValueError(user_id)\n"
                "    try:\n"
                "        raise NotFoundError(user_id)\n"
                "    except NotFoundError as exc:\n"
                "        raise\n"
                "    except Exception as exc:\n"
                "        raise exc\n"
                "    with contextlib.suppress(ConflictError):\n"
                "        raise ConflictError(user_id)\n"
                "    raise Gone(status_code=410)\n",
            },
            note="builtin exceptions, re-raises, a try or suppress() in the same function, "
            "an HTTPException subclass (LC201's)",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/services/lookup.py": _RAISES_NOT_FOUND,
                "app/services/profiles.py": "from app import exceptions\n"
                "from app.services.lookup import get_user\n\n\n"
                "async def profile(repo, user_id):\n"
                "    try:\n"
                "        return await get_user(repo, user_id)\n"
                "    except exceptions.AppError:\n"
                "        return None\n",
                "app/middleware.py": "from app.exceptions import ConflictError\n\n\n"
                "async def errors(request, call_next):\n"
                "    try:\n"
                "        return await call_next(request)\n"
                "    except ConflictError as exc:\n"
                "        return to_response(exc)\n",
                "app/services/signup.py": "from app.exceptions import ConflictError\n\n\n"
                "def signup(email):\n"
                "    raise ConflictError(email)\n",
            },
            note="a service that calls the helper catches a base; a middleware catches it",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/tasks/runner.py": "from app.services.signup import signup\n\n\n"
                "def run(email):\n"
                "    try:\n"
                "        signup(email)\n"
                "    except Exception:\n"
                "        return None\n",
                "app/services/signup.py": "from app.exceptions import ConflictError\n\n\n"
                "def signup(email):\n"
                "    raise ConflictError(email)\n",
            },
            note="a task runner of no layer catches everything",
        ),
        Valid(
            {
                _ERRORS: _ERRORS_SOURCE,
                "app/repositories/users.py": _RAISES_NOT_FOUND,
                "tests/services/test_users.py": _RAISES_NOT_FOUND,
            },
            note="raised outside the service layer",
        ),
        Valid(
            {
                _SERVICE: "class NotFoundError:\n    pass\n\n\n"
                "class Missing(KeyringError):\n    pass\n\n\n"
                "def get(user_id):\n"
                "    raise NotFoundError(user_id)\n"
                "    raise Missing(user_id)\n",
            },
            note="a class not shown to be an exception (no base, an unknown base)",
        ),
    )

    def visit_Raise(self, node: ast.Raise, ctx: RuleContext) -> None:
        exc = node.exc
        target = exc.func if isinstance(exc, ast.Call) else exc
        if not isinstance(target, ast.Name | ast.Attribute):
            return  # a bare `raise`, or something the facts cannot name
        name = ctx.qualified(target)
        index = ctx.index
        if name is None or not is_domain_exception(name, index):
            return
        if project_exceptions(index).unknown_handler:
            return
        if covering_handler(name, index) is not None or caught_somewhere(name, index):
            return
        if _caught_in_function(name, ctx):
            return
        ctx.report(self, target, name=short_name(name))


def _caught_in_function(name: str, ctx: RuleContext) -> bool:
    """A `try` (or `contextlib.suppress`) in the same function around the raise catches
    the exception or a base of it; an `except` the rule cannot name counts too."""
    ancestors = exception_ancestors(name, ctx.index)
    chain = ctx.ancestors
    for depth in range(len(chain) - 2, -1, -1):
        node, child = chain[depth], chain[depth + 1]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            return False
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            if any(stmt is child for stmt in getattr(node, "body", ())):
                for handler in getattr(node, "handlers", ()):
                    if _catches(handler.type, ancestors, ctx):
                        return True
        elif isinstance(node, ast.With | ast.AsyncWith) and any(s is child for s in node.body):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and ctx.qualified(call.func) in SUPPRESS
                    and any(_catches(arg, ancestors, ctx) for arg in call.args)
                ):
                    return True
    return False


def _catches(kind: ast.expr | None, ancestors: list[str], ctx: RuleContext) -> bool:
    if kind is None:
        return True  # a bare `except:`
    kinds = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    for item in kinds:
        found = exception_name(item, ctx)
        if found is None or found in ancestors:
            return True
    return False
