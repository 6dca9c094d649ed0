from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import ClassVar, Final

from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Status, Valid

_WEB: Final = ("fastapi", "starlette")
DEFAULT_BANS: Final[Mapping[Layer, tuple[str, ...]]] = {
    Layer.SERVICES: _WEB,
    Layer.REPOSITORIES: _WEB,
    Layer.MODELS: _WEB,
}
"""What the guide implies: below the HTTP layers, nothing of the web framework."""
_MAX_CHAIN: Final = 8

_SERVICE = "app/services/users.py"
_REPOSITORY = "app/repositories/users.py"


def _banned(module: str, packages: tuple[str, ...]) -> str | None:
    for package in packages:
        if module == package or module.startswith(package + "."):
            return package
    return None


class BannedImportInLayer(Rule):
    """## What it does
    Checks for an import of a package that is banned in the importing file's layer. By
    default the services, repositories and models layers may import nothing from
    `fastapi` or `starlette`; `[tool.layercheck.banned-imports]` adds packages per layer
    (`repositories = ["httpx"]`). A ban reached through `from project.module import *` is
    reported too, with the chain of modules in the message. An import that
    `allow-imports` accepts (`"app.services.users -> fastapi"`) is not reported.

    ## Why is this bad?
    The layers below the routes are meant to run without the web framework: from
    workers, CLIs and tests. One import of `fastapi` in a service ties it to HTTP, and the
    framework's types (`Request`, `HTTPException`, `BackgroundTasks`) follow it in. The
    packages a team keeps out of a layer (an HTTP client in repositories) are a
    convention that only a check keeps.

    ## Example
    ```python
    # file: app/services/users.py
    from fastapi import BackgroundTasks


    def welcome(tasks: BackgroundTasks) -> None: ...
    ```

    ## Use instead
    ```python
    # file: app/services/users.py
    from collections.abc import Callable


    def welcome(schedule: Callable[[str], None]) -> None: ...
    ```
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC206",
        name="banned-import-in-layer",
        message="`{package}` is banned in the {layer} layer{via}",
        status=Status.PREVIEW,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid({_SERVICE: "from fastapi import BackgroundTasks  # error: 1\n"}),
        Invalid({_REPOSITORY: "import starlette.requests  # error\n"}),
        Invalid(
            {_REPOSITORY: "import httpx  # error\n"},
            config='[tool.layercheck.banned-imports]\nrepositories = ["httpx"]',
        ),
        Invalid(
            {
                _SERVICE: "from app.core.web import *  # error\n",
                "app/core/web.py": "from app.core.http import *\n",
                "app/core/http.py": "from fastapi import Request\n",
            },
            note="reached through two star imports",
        ),
        Valid({"app/routes/users.py": "from fastapi import APIRouter\n"}),
        Valid({_SERVICE: "import fastapi_users_helpers\nimport httpx\n"}, note="other packages"),
        Valid(
            {_SERVICE: "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import fastapi\n"},
            note="a type-only import",
        ),
        Valid(
            {_SERVICE: "from app.core.web import *\n", "app/core/web.py": "import json\n"},
            note="a star import of a module that imports nothing banned",
        ),
        Valid(
            {
                _SERVICE: "from fastapi import BackgroundTasks\n",
                _REPOSITORY: "from app.core.web import *\n",
                "app/core/web.py": "from fastapi import Request\n",
            },
            config='allow-imports = ["app.services.users -> fastapi", "app.repositories.* -> '
            'app.core.web"]',
            note="imports that `allow-imports` accepts",
        ),
    )

    def visit_Import(self, node: ast.Import, ctx: RuleContext) -> None:
        packages = self._packages(ctx)
        if not packages:
            return
        for alias in node.names:
            package = _banned(alias.name, packages)
            if package is not None and not ctx.settings.allow_imports.allows(
                ctx.module, alias.name
            ):
                self._report(node, ctx, package, "")
                return

    def visit_ImportFrom(self, node: ast.ImportFrom, ctx: RuleContext) -> None:
        packages = self._packages(ctx)
        if not packages:
            return
        module = ctx.names.absolute(node.level, node.module)
        if module is None or ctx.settings.allow_imports.allows(ctx.module, module):
            return
        package = _banned(module, packages)
        if package is not None:
            self._report(node, ctx, package, "")
        elif any(alias.name == "*" for alias in node.names):
            chain = self._star_chain(module, packages, ctx)
            if chain is not None:
                via = " (through " + " -> ".join(f"`{name}`" for name in chain[:-1]) + ")"
                self._report(node, ctx, chain[-1], via)

    def _packages(self, ctx: RuleContext) -> tuple[str, ...]:
        if ctx.layer is None:
            return ()
        if ctx.under_type_checking() and not ctx.settings.include_type_checking_imports:
            return ()
        extra = ctx.settings.banned_imports.get(ctx.layer, ())
        return (*DEFAULT_BANS.get(ctx.layer, ()), *extra)

    def _star_chain(
        self, start: str, packages: tuple[str, ...], ctx: RuleContext
    ) -> list[str] | None:
        """[start, ..., module, banned package]: the modules star-imported one from the
        next, the last of which imports a banned package."""
        paths: dict[str, list[str]] = {start: [start]}
        queue = [start]
        while queue:
            module = queue.pop(0)
            facts = ctx.index.by_module.get(module)
            if facts is None or len(paths[module]) > _MAX_CHAIN:
                continue
            for fact in facts.imports:
                if fact.type_checking and not ctx.settings.include_type_checking_imports:
                    continue
                found = _banned(fact.from_module or fact.target, packages)
                if found is not None:
                    return [*paths[module], found]
                star = fact.from_module is not None and fact.target == fact.from_module
                if star and fact.target not in paths:
                    paths[fact.target] = [*paths[module], fact.target]
                    queue.append(fact.target)
        return None

    def _report(self, node: ast.stmt, ctx: RuleContext, package: str, via: str) -> None:
        assert ctx.layer is not None
        ctx.report(self, node, package=package, layer=ctx.layer.value, via=via)
