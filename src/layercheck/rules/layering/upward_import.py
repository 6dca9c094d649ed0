from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.layering._helpers import imported_layers

_DOMAIN_ORDER = (
    'layer-order = ["routes : dependencies", "services", "domain", "repositories", "models"]\n'
    '[tool.layercheck.layers]\ndomain = ["app/domain/**"]'
)
_SERVICE = "app/services/user_service.py"
_SERVICE_SOURCE = "class UserService:\n    pass\n"


class UpwardImport(Rule):
    """## What it does
    Checks for a module that imports a module of a higher layer.

    ## Why is this bad?
    Layers work only when dependencies point one way: routes -> dependencies -> services
    -> repositories -> models, with schemas, core and exceptions usable by all. An upward
    import makes the lower layer depend on the one that should depend on it: a
    repository that imports a service can no longer be used without the business layer,
    a service that imports a route drags FastAPI into workers and CLIs, and sooner or
    later the two modules import each other and the cycle fails at import time.

    ## Example
    ```python
    # file: app/services/user_service.py
    class UserService:
        async def get_user(self, user_id: int): ...

    # file: app/repositories/user_repo.py
    from app.services.user_service import UserService


    class UserRepository:
        def __init__(self, session, service: UserService):
            self._session = session
            self._service = service
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
    ```

    ## Details
    Upward imports are: a repository importing a service, a dependency or a route; a
    service importing a dependency or a route; a model importing a repository, a
    service, a dependency or a route; a shared module (schemas, core, exceptions)
    importing a route, a dependency, a service or a repository. Any layer may import the
    shared ones and models. A route importing a repository is
    `route-imports-repository`'s finding, not this rule's.

    Each import statement is reported once, naming every higher module it brings in.
    Imports are resolved as for `route-imports-repository` (re-exports, relative
    imports, imports inside functions), and imports under `if TYPE_CHECKING:` count
    only with `include-type-checking-imports = true`. Migrations, tests and files
    without a layer are not checked, and neither are the imports that `allow-imports`
    lists (`"app.repositories.* -> app.services.user_service"`).

    `layer-order` replaces the stack, highest first (`a : b` is one level whose layers
    may import each other, `shared` is schemas, core and exceptions), and adds layers of
    the project's own: with `layer-order = ["routes : dependencies", "services",
    "domain", "repositories", "models"]` and `domain = ["app/domain/**"]` in
    `[tool.layercheck.layers]`, a domain module may import repositories and models, and
    nothing above it. The default is the stack above, routes and dependencies one level.
    without a layer are not checked.

    ## Leaves to
    A route that imports a repository: LC101 reports it, not this rule (skipping the
    services layer is not importing upward).
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC102",
        name="upward-import",
        message="{targets} imported from the lower {layer} layer",
        checks="the layers of `layer-order` below its top level, and shared layers "
        "(by default core, exceptions, models, repositories, schemas, services)",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                "app/services/billing.py": "def charge():\n    pass\n",
                "app/domain/pricing.py": "from app.services.billing import charge  # error\n",
                "app/repositories/prices.py": "from app.domain import pricing  # error\n",
            },
            config=_DOMAIN_ORDER,
            note="a `domain` layer of the project's own, below services",
        ),
        Invalid(
            {
                "app/api/routes/users.py": "from fastapi import APIRouter\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users')\n"
                "def list_users():\n"
                "    pass\n",
                "app/api/deps.py": "from app.api.routes.users import router  # error\n",
            },
            config='layer-order = ["routes", "dependencies", "services", "repositories", '
            '"models", "shared"]',
            note="dependencies below routes, and shared layers at the bottom, when the order "
            "says so",
        ),
        Valid(
            {
                "app/repositories/prices.py": "X = 1\n",
                "app/domain/pricing.py": "from app.repositories import prices\n",
                "app/services/billing.py": "from app.domain import pricing\n",
                "app/routes/billing.py": "from app.domain.pricing import X\n",
            },
            config=_DOMAIN_ORDER,
            note="downward imports through a configured layer",
        ),
        Valid(
            {
                "app/api/routes/users.py": "from fastapi import APIRouter\n\n"
                "router = APIRouter()\n\n\n"
                "@router.get('/users')\n"
                "def list_users():\n"
                "    pass\n",
                "app/api/deps.py": "from app.api.routes.users import router\n",
            },
            note="in the built-in order, routes and dependencies are one level",
        ),
        Valid(
            {
                "app/feedback/service/enums.py": "import enum\n\nclass Rating(enum.Enum):\n"
                "    GOOD = 1\n",
                "app/feedback/service/models.py": "from .enums import Rating\n",
            },
            note="a models file inside a package named `service` importing its sibling: "
            "the folder that gives `enums.py` its layer also holds the importer",
        ),
        Invalid(
            {
                _SERVICE: _SERVICE_SOURCE,
                "app/repositories/user_repo.py": (
                    "from app.services.user_service import (  # error\n    UserService,\n)\n"
                ),
            },
            note="repository -> service, multi-line",
        ),
        Invalid(
            {
                "app/api/deps.py": "def get_current_user():\n    pass\n",
                _SERVICE: "from app.api.deps import get_current_user  # error: 1\n",
            },
            note="service -> dependencies (app/api/deps.py is dependencies, not routes)",
        ),
        Invalid(
            {
                "app/repositories/user_repo.py": "class UserRepository:\n    pass\n",
                "app/models/user.py": "from ..repositories import user_repo  # error\n",
            },
            note="model -> repository, relative import",
        ),
        Invalid(
            {
                "app/crud.py": "def create_user(session, user_create):\n    pass\n",
                "app/core/db.py": "from app import crud  # error\n\n"
                "def init_db(session):\n"
                "    crud.create_user(session, None)\n",
            },
            note="full-stack-fastapi-template's core/db.py: shared -> repository",
        ),
        Invalid(
            {
                "app/routes/users.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
                "app/schemas/user.py": "import app.routes.users  # error\n"
                "import app.routes.users as user_routes  # error\n",
            },
            note="shared -> route, `import pkg.mod` and an alias",
        ),
        Invalid(
            {
                _SERVICE: _SERVICE_SOURCE,
                "app/exceptions.py": "class NotFoundError(Exception):\n"
                "    def hint(self):\n"
                "        from app.services import user_service  # error: 9\n\n"
                "        return user_service\n",
            },
            note="a function-level import",
        ),
        Invalid(
            {
                _SERVICE: _SERVICE_SOURCE,
                "app/repositories/user_repo.py": "import typing\n\n"
                "if typing.TYPE_CHECKING:\n"
                "    from app.services.user_service import UserService  # error\n",
            },
            config="include-type-checking-imports = true",
            note="TYPE_CHECKING imports count when configured to",
        ),
        Valid(
            {
                _SERVICE: _SERVICE_SOURCE,
                "app/repositories/user_repo.py": "from typing import TYPE_CHECKING\n\n"
                "if TYPE_CHECKING:\n"
                "    from app.services.user_service import UserService\n",
            },
            note="TYPE_CHECKING imports do not count by default",
        ),
        Valid(
            {
                "app/repositories/user_repo.py": "class UserRepository:\n    pass\n",
                "app/models/user.py": "class User:\n    pass\n",
                "app/schemas/user.py": "from app.models.user import User\n",
                "app/core/config.py": "settings = None\n",
                _SERVICE: "from ..repositories.user_repo import UserRepository\n"
                "from app.schemas.user import User\n"
                "from app.core.config import settings\n"
                "from . import user_service\n",
            },
            note="downward and shared imports, and the same layer",
        ),
        Valid(
            {
                "app/crud.py": "def get_user(session, user_id):\n    pass\n",
                "app/api/routes/users.py": "from app import crud\n",
            },
            note="route -> repository is route-imports-repository's, not an upward import",
        ),
        Valid(
            {
                _SERVICE: _SERVICE_SOURCE,
                "app/repositories/user_repo.py": "from app.services.user_service import "
                "UserService\n",
            },
            config='allow-imports = ["app.repositories.* -> app.services.user_service"]',
            note="an import that `allow-imports` accepts",
        ),
        Valid(
            {
                "app/services/notifications.py": "def notify():\n    pass\n",
                "alembic/versions/0001_add_users.py": "from app.services import notifications\n"
                "revision = '0001'\ndown_revision = None\n",
                "tests/repositories/test_users.py": "from app.services import notifications\n",
                "app/scripts/seed.py": "from app.services import notifications\n",
            },
            note="migrations, tests and files with no layer are not checked",
        ),
        Valid(
            {
                "app/db.py": "from sqlalchemy.orm import DeclarativeBase\n\n"
                "class Base(DeclarativeBase):\n    pass\n",
                "app/core/billing/service.py": "def charge():\n    pass\n",
                "app/core/billing/runtime.py": "from app.core.billing.service import charge\n",
                "migrations/env.py": "from alembic import context\n",
                "migrations/versions/0001_init.py": "revision = '0001'\ndown_revision = None\n",
                "migrations/core/backfill.py": "from app.core.billing.service import charge\n",
            },
            note="a `core/` holding services is a domain root, not the shared core; a `core/` "
            "beside Alembic's `env.py` belongs to the migrations",
        ),
        Valid(
            {
                "app/github_repository/client.py": "class GitHubClient:\n    pass\n",
                "app/models/project.py": "from app.github_repository.client import GitHubClient\n",
                _SERVICE: "from sentry_sdk.api import capture_exception\n"
                "from app.github_repository import client as routes\n",
            },
            note="lookalikes: the folder `github_repository/`, third-party `sentry_sdk.api`",
        ),
    )

    def visit_Import(self, node: ast.Import, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def visit_ImportFrom(self, node: ast.ImportFrom, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def _check(self, node: ast.Import | ast.ImportFrom, ctx: RuleContext) -> None:
        layer = ctx.layer
        if layer is None:
            return
        # The built-in order (`layer-order`'s default) forbids what rules.md lists.
        forbidden = ctx.settings.layer_order.forbidden(layer)
        if not forbidden:
            return
        targets = [
            f"`{module}` ({target.value} layer)"
            for module, target in imported_layers(node, ctx)
            if target in forbidden
        ]
        if targets:
            ctx.report(self, node, targets=", ".join(targets), layer=layer.value)
