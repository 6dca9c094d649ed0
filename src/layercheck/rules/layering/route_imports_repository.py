from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.layering._helpers import imported_layers, quoted

_ADVICE = "call a service instead"
_REPOSITORY = "app/repositories/user_repo.py"
_REPOSITORY_SOURCE = (
    "class UserRepository:\n    pass\n\n\ndef get_user(session, user_id):\n    pass\n"
)


class RouteImportsRepository(Rule):
    """## What it does
    Checks for a route module that imports a module of the repository layer.

    ## Why is this bad?
    Routes handle HTTP: parse the request, call a service, shape the response. A route
    that reaches a repository directly skips the business rules that live in the service
    (uniqueness checks, permissions, password hashing), and those rules end up copied
    into handlers or forgotten. It also makes the repository's interface part of the
    HTTP layer, so the data access cannot change without touching every route.

    ## Example
    ```python
    # file: app/repositories/user_repo.py
    class UserRepository:
        def __init__(self, session):
            self._session = session

    # file: app/routes/users.py
    from fastapi import APIRouter

    from app.repositories.user_repo import UserRepository

    router = APIRouter()


    @router.get("/users/{user_id}")
    async def get_user(user_id: int, session):
        return await UserRepository(session).get_by_id(user_id)
    ```

    ## Use instead
    ```python
    # file: app/repositories/user_repo.py
    class UserRepository:
        def __init__(self, session):
            self._session = session

    # file: app/services/user_service.py
    from app.repositories.user_repo import UserRepository


    class UserService:
        def __init__(self, session):
            self.repo = UserRepository(session)

    # file: app/routes/users.py
    from fastapi import APIRouter

    from app.services.user_service import UserService

    router = APIRouter()


    @router.get("/users/{user_id}")
    async def get_user(user_id: int, session):
        return await UserService(session).get_user(user_id)
    ```

    ## Details
    Each import statement that brings in a repository module is reported once, at the
    statement; the uses of the imported names are not reported again. Package re-exports
    are followed (`from app.repositories import UserRepository` is the module that
    defines it), and so are relative imports, `import pkg.mod`, aliases and imports
    inside functions. Only the project's own modules have a layer. Imports under
    `if TYPE_CHECKING:` count only with `include-type-checking-imports = true`. A route
    that reaches a repository through other modules is `transitive-repository-access`.
    The imports that `allow-imports` lists (`"app.api.health -> app.repositories.ping"`)
    are not reported; `unused-allowed-import` reports an entry that no longer matches.

    With `closed-layers`, an import that skips a closed layer of `layer-order` is reported
    too, in any layer: with `closed-layers = ["services"]`, a dependency that imports a
    repository ("go through the closed services layer"). import-linter and tach call such
    a layer closed.

    ## Leaves to
    A route that reaches a repository through other modules: LC104 (preview) reports the
    chain at the route's import.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC101",
        name="route-imports-repository",
        message="{modules} imported in {place}; {advice}",
        checks="routes (with `closed-layers`, every layer of `layer-order`)",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/api/deps.py": "from app.repositories.user_repo import UserRepository  "
                "# error\n",
            },
            config='closed-layers = ["services"]',
            note="a closed services layer: dependencies may not skip it either",
        ),
        Invalid(
            {
                "app/repositories/prices.py": "X = 1\n",
                "app/domain/pricing.py": "from app.repositories import prices\n",
                "app/services/billing.py": "from app.repositories.prices import X  # error\n"
                "from app.domain import pricing\n",
            },
            config='layer-order = ["routes", "services", "domain", "repositories", "models"]\n'
            'closed-layers = ["domain"]\n'
            '[tool.layercheck.layers]\ndomain = ["app/domain/**"]',
            note="a closed layer of the project's own",
        ),
        Valid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/services/user_service.py": "from app.repositories import user_repo\n",
                "app/api/deps.py": "from app.services import user_service\n",
            },
            config='closed-layers = ["services"]',
            note="through the closed layer, one level at a time",
        ),
        Invalid(
            {
                "app/repositories/__init__.py": "from .user_repo import UserRepository\n",
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/routes/users.py": "from app.repositories import UserRepository  # error: 1\n",
            },
            note="a package re-export",
        ),
        Invalid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/routes/users.py": "from app.repositories.user_repo import (  # error\n"
                "    UserRepository,\n"
                "    get_user,\n"
                ")\n",
            },
            note="a multi-line import of two names is one finding",
        ),
        Invalid(
            {
                "app/crud/user.py": "def get_user(session, user_id):\n    pass\n",
                "app/routes/users.py": "from ..crud import user  # error\n",
            },
            note="relative import",
        ),
        Invalid(
            {
                "app/crud.py": "def create_item(session, item):\n    pass\n",
                "app/api/routes/items.py": "from app import crud  # error\n"
                "import app.crud  # error\n"
                "import app.crud as item_ops  # error\n\n"
                "def create_item(session, item):\n"
                "    return crud.create_item(session, item)\n",
            },
            note="full-stack-fastapi-template: `from app import crud`, `import pkg.mod`, alias",
        ),
        Invalid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/routes/users.py": "import fastapi as f\n\nrouter = f.APIRouter()\n\n\n"
                "@router.get('/users')\n"
                "def list_users(session):\n"
                "    from app.repositories.user_repo import UserRepository  # error: 5\n\n"
                "    return UserRepository(session)\n",
            },
            note="a function-level import; `import fastapi as f`",
        ),
        Invalid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/routes/users.py": "from typing import TYPE_CHECKING\n\n"
                "if TYPE_CHECKING:\n"
                "    from app.repositories.user_repo import UserRepository  # error\n",
            },
            config="include-type-checking-imports = true",
            note="TYPE_CHECKING imports count when configured to",
        ),
        Invalid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/controller_user_self_service.py": "from fastapi import APIRouter\n"
                "from app.repositories import user_repo  # error\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/me')\n"
                "def me():\n"
                "    pass\n",
            },
            note="a module that registers path operations is a route module by content",
        ),
        Valid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/routes/users.py": "from typing import TYPE_CHECKING\n\n"
                "if TYPE_CHECKING:\n"
                "    from app.repositories.user_repo import UserRepository\n",
            },
            note="TYPE_CHECKING imports do not count by default",
        ),
        Valid(
            {
                "app/services/user_service.py": "class UserService:\n    pass\n",
                "app/routes/users.py": "from app.services.user_service import UserService\n"
                "from app.services import user_service as crud\n",
            },
            note="routes import services, even under a repository-like alias",
        ),
        Valid(
            {
                "app/crud.py": "def get_user(session, user_id):\n    pass\n",
                "app/api/deps.py": "from app import crud\n",
            },
            note="app/api/deps.py is the dependencies layer, not routes",
        ),
        Valid(
            {
                "app/github_repository/client.py": "class GitHubClient:\n    pass\n",
                "app/routes/projects.py": "from app.github_repository.client import GitHubClient\n"
                "from github.Repository import Repository\n"
                "from sentry_sdk.api import capture_exception\n",
            },
            note="a folder `github_repository/` is no repository; third-party modules have none",
        ),
        Valid(
            {
                "app/routes/users/crud.py": "from fastapi import APIRouter\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users')\n"
                "def list_users():\n"
                "    pass\n",
                "app/routes/users/__init__.py": "from .crud import router\n",
            },
            note="mealie's routes/users/crud.py registers path operations: a route module",
        ),
        Valid(
            {
                "app/crud.py": "def get_user(session, user_id):\n    pass\n",
                "tests/api/routes/test_users.py": "from app import crud\n",
            },
            note="tests have no layer",
        ),
        Valid(
            {
                "app/repositories/ping.py": "def ping(session):\n    pass\n",
                "app/repositories/__init__.py": "from .ping import ping\n",
                "app/api/health.py": "from app.repositories.ping import ping\n"
                "from app.repositories import ping as check\n",
                "app/legacy/api/orders.py": "from app.repositories import ping\n",
            },
            config='allow-imports = ["app.api.health -> app.repositories.ping", '
            '"app.legacy.** -> *"]',
            note="imports that `allow-imports` accepts",
        ),
        Valid(
            {
                "app/routes/users.py": "from fastapi import APIRouter\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users')\n"
                "def list_users(crud, user_repo):\n"
                "    return crud.list(user_repo)\n",
            },
            note="local names that merely look like repositories",
        ),
    )

    def visit_Import(self, node: ast.Import, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def visit_ImportFrom(self, node: ast.ImportFrom, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def _check(self, node: ast.Import | ast.ImportFrom, ctx: RuleContext) -> None:
        layer, order = ctx.layer, ctx.settings.layer_order
        if layer is None or (layer is not Layer.ROUTES and not order.closed):
            return
        found = imported_layers(node, ctx)
        if layer is Layer.ROUTES:
            modules = [module for module, target in found if target is Layer.REPOSITORIES]
            if modules:
                named = f"{quoted(modules)} (repositories layer)"
                ctx.report(self, node, modules=named, place="a route", advice=_ADVICE)
                return
        skips = [(module, target, order.skipped(layer, target)) for module, target in found]
        shortcuts = [(module, target, closed) for module, target, closed in skips if closed]
        if not shortcuts:
            return
        named = ", ".join(f"`{module}` ({target.value} layer)" for module, target, _ in shortcuts)
        closed = shortcuts[0][2]
        assert closed is not None
        ctx.report(
            self,
            node,
            modules=named,
            place=f"the {layer.value} layer",
            advice=f"go through the closed {closed.value} layer",
        )
