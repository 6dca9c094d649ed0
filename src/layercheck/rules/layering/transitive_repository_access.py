from __future__ import annotations

import ast
import dataclasses
from typing import ClassVar, Final

from layercheck.graph import Chain, import_graph, render
from layercheck.layers import Layer
from layercheck.model import ChainLink
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Status, Valid
from layercheck.rules.layering._helpers import import_facts

TARGET: Final = frozenset({Layer.REPOSITORIES})
BLOCKING: Final = frozenset({Layer.SERVICES, Layer.ROUTES, Layer.REPOSITORIES})
"""Chains end at the first repository, never pass through a service (the intended
path), and never through another route module (its own import is reported there)."""

_REPOSITORY = "app/repositories/user.py"
_REPOSITORY_SOURCE = (
    "from sqlalchemy.orm import Session\n\n\n"
    "class UserRepository:\n"
    "    def __init__(self, session: Session) -> None:\n"
    "        self.session = session\n"
)
_HELPERS = "app/utils/helpers.py"
_HELPERS_SOURCE = "from app.repositories.user import UserRepository\n"


class TransitiveRepositoryAccess(Rule):
    """## What it does
    Checks for a route module that reaches the repository layer through a chain of two
    or more imports that does not pass through the service layer.

    ## Why is this bad?
    Routes call services, and services call repositories. A helper module between a
    route and a repository hides the shortcut from a review of the route's own imports,
    yet the route still depends on the data-access layer and skips the business rules
    that live in the service. The chain shows where the layering breaks.

    ## Example
    ```python
    # file: app/repositories/user.py
    from sqlalchemy.orm import Session


    class UserRepository:
        def __init__(self, session: Session) -> None:
            self.session = session

    # file: app/utils/helpers.py
    from app.repositories.user import UserRepository


    def load_user(session, user_id):
        return UserRepository(session).get(user_id)

    # file: app/routes/users.py
    from app.utils.helpers import load_user
    ```

    ## Use instead
    ```python
    # file: app/repositories/user.py
    from sqlalchemy.orm import Session


    class UserRepository:
        def __init__(self, session: Session) -> None:
            self.session = session

    # file: app/services/users.py
    from app.repositories.user import UserRepository


    def load_user(session, user_id):
        return UserRepository(session).get(user_id)

    # file: app/routes/users.py
    from app.services.users import load_user
    ```

    ## Details
    The repository reached must show data access (it imports SQLAlchemy or sqlmodel, a
    module of the models layer, or a repository that does): a `repository.py` that
    manages git repositories is no repository layer to reach.

    Each import statement of a route module is reported once, with the shortest chain
    from the route to a repository module, import-linter style:
    `app.routes.users -> app.utils.helpers -> app.repositories.user`. A direct import of
    a repository is `route-imports-repository`. Chains that pass through a service
    module are the intended path and are quiet; chains through another route module are
    reported at that module. The whole project's import graph counts, including files
    not named on the command line, and import cycles are followed safely. Imports under
    `if TYPE_CHECKING:` count only with `include-type-checking-imports = true`. The
    imports that `allow-imports` lists are left out of the graph, as import-linter's
    `ignore_imports` are: no chain passes through one. A layer of `closed-layers` is a
    gate like the service layer: a chain through it is quiet (`route-imports-repository`
    reports a route that skips it).
    `if TYPE_CHECKING:` count only with `include-type-checking-imports = true`.

    ## Leaves to
    A route that imports a repository module itself: LC101.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC104",
        name="transitive-repository-access",
        message="route reaches the repository layer without a service: {chain}",
        layers=frozenset({Layer.ROUTES}),
        status=Status.PREVIEW,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/domain/users.py": "from app.repositories.user import UserRepository\n",
                "app/routes/users.py": "from app.domain import users\n",
            },
            config='layer-order = ["routes", "domain", "repositories", "models"]\n'
            'closed-layers = ["domain"]\n'
            '[tool.layercheck.layers]\ndomain = ["app/domain/**"]',
            note="a chain through a closed layer of the project's own",
        ),
        Invalid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/domain/users.py": "from app.repositories.user import UserRepository\n",
                "app/routes/users.py": "from app.domain import users  # error\n",
            },
            config='layer-order = ["routes", "domain", "repositories", "models"]\n'
            '[tool.layercheck.layers]\ndomain = ["app/domain/**"]',
            note="the same layer, not closed",
        ),
        Valid(
            {
                "app/registry/repository.py": "import subprocess\n\n\n"
                "class Repository:\n"
                "    def clone(self, url: str) -> None:\n"
                "        subprocess.run(['git', 'clone', url], check=True)\n",
                "app/registry/actions.py": "from app.registry.repository import Repository\n",
                "app/routes/registry.py": "from app.registry import actions\n",
            },
            note="a `repository.py` that manages git repositories shows no data access",
        ),
        Invalid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                _HELPERS: _HELPERS_SOURCE,
                "app/routes/users.py": "from app.utils.helpers import load_user  # error: 1\n",
            },
            note="route -> utils -> repository",
        ),
        Invalid(
            {
                "app/crud/users.py": _REPOSITORY_SOURCE,
                "app/core/lookup.py": "from ..crud import users\n",
                "app/core/cache.py": "import app.core.lookup\n",
                "app/core/__init__.py": "",
                "app/api/routes/users.py": "from ..deps import current_user  # error\n"
                "from app.core import cache  # error\n\n\n"
                "def read():\n"
                "    from app.core import lookup as lk  # error\n",
                "app/api/deps.py": "from app.crud import users\n",
            },
            note="through a dependency module; a chain of three links; relative imports, "
            "`import pkg.mod`, an alias, a function-level import",
        ),
        Invalid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/utils/a.py": "from app.utils import b\nfrom app.repositories import user\n",
                "app/utils/b.py": "from app.utils import a\n",
                "app/routes/users.py": "from app.utils import b  # error\n",
            },
            note="an import cycle on the way",
        ),
        Invalid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                _HELPERS: "from typing import TYPE_CHECKING\n\n"
                "if TYPE_CHECKING:\n"
                "    from app.repositories.user import UserRepository\n",
                "app/routes/users.py": "from app.utils import helpers  # error\n",
            },
            config="include-type-checking-imports = true",
            note="TYPE_CHECKING imports count when configured to",
        ),
        Valid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/services/users.py": "from app.repositories.user import UserRepository\n",
                "app/utils/helpers.py": "from app.services import users\n",
                "app/routes/users.py": "from app.services.users import UserService\n"
                "from app.utils.helpers import load_user\n",
            },
            note="every chain passes through a service",
        ),
        Valid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                "app/routes/users.py": "from app.repositories.user import UserRepository\n",
            },
            note="a direct import is route-imports-repository's",
        ),
        Valid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                _HELPERS: _HELPERS_SOURCE,
                "app/utils/cache.py": "from app.utils import helpers\n",
                "app/routes/users.py": "from app.utils.helpers import load_user\n",
                "app/routes/items.py": "from app.utils import cache\n",
            },
            config='allow-imports = ["app.routes.users -> app.utils.helpers", '
            '"app.utils.cache -> app.utils.helpers"]',
            note="`allow-imports` takes its edges out of the graph, as import-linter's "
            "`ignore_imports` does: the import itself, or a link of the chain",
        ),
        Valid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                _HELPERS: "from typing import TYPE_CHECKING\n\n"
                "if TYPE_CHECKING:\n"
                "    from app.repositories.user import UserRepository\n",
                "app/routes/users.py": "from app.utils.helpers import load_user\n",
            },
            note="TYPE_CHECKING imports do not count by default",
        ),
        Valid(
            {
                _REPOSITORY: _REPOSITORY_SOURCE,
                _HELPERS: _HELPERS_SOURCE,
                "app/routes/users.py": "from app.repositories.user import UserRepository\n",
                "app/routes/__init__.py": "from app.routes import users\n",
                "app/api.py": "from app.routes import users\n",
                "app/main.py": "from app.utils import helpers\n",
                "app/workers/jobs.py": "from app.utils import helpers\n",
            },
            note="a chain through another route module is reported there; modules that "
            "are no routes",
        ),
    )

    def visit_Import(self, node: ast.Import, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def visit_ImportFrom(self, node: ast.ImportFrom, ctx: RuleContext) -> None:
        self._check(node, ctx)

    def _check(self, node: ast.Import | ast.ImportFrom, ctx: RuleContext) -> None:
        type_checking = ctx.settings.include_type_checking_imports
        if not type_checking and ctx.under_type_checking():
            return
        allowed = ctx.settings.allow_imports
        graph = import_graph(ctx.index, type_checking=type_checking, allowed=allowed)
        targets = frozenset(m for m in graph.in_layers(TARGET) if ctx.index.shows_data_access(m))
        avoid = graph.in_layers(BLOCKING | ctx.settings.layer_order.closed)
        best: tuple[str, Chain] | None = None
        for fact in import_facts(node, ctx):
            module = ctx.index.import_module(fact)
            if module is None or module == ctx.module or module in avoid:
                continue
            if allowed.allows(ctx.module, module, fact.target):
                continue
            chain = graph.nearest_chain(importer=module, targets=targets, avoid=avoid)
            if chain is not None and (best is None or len(chain) < len(best[1])):
                best = module, chain
        if best is None:
            return
        module, chain = best
        links = (ChainLink(importer=ctx.module, imported=module, line=node.lineno), *chain)
        ctx.report(self, node, chain=render(links))
        ctx.findings[-1] = dataclasses.replace(ctx.findings[-1], chain=links)
