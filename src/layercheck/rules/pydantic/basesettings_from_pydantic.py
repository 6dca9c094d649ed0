from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.pydantic._helpers import in_import_fallback

V1_SETTINGS_MODULES: Final = frozenset({"pydantic", "pydantic.env_settings"})


class BasesettingsFromPydantic(Rule):
    """## What it does
    Checks for `BaseSettings` imported from `pydantic`.

    ## Why is this bad?
    Pydantic 2 moved settings management to the separate `pydantic-settings` package.
    `from pydantic import BaseSettings` raises `PydanticImportError` at import time under
    Pydantic 2, so the application does not start; on Pydantic 1 it pins the project to a
    version that no longer gets fixes.

    ## Example
    ```python
    from pydantic import BaseSettings


    class Settings(BaseSettings):
        database_url: str
    ```

    ## Use instead
    ```python
    from pydantic_settings import BaseSettings


    class Settings(BaseSettings):
        database_url: str
    ```

    ## Fix (not yet available)
    The fix will import `BaseSettings` from `pydantic_settings` instead (splitting the
    import statement when it imports other names from `pydantic`). It is safe as an
    edit; the project must also depend on `pydantic-settings`, and a nested
    `class Config` becomes `model_config = SettingsConfigDict(...)` (LC603).

    ## Details
    `from pydantic import BaseSettings` and `from pydantic.env_settings import
    BaseSettings` (any alias) are reported at the imported name, and `pydantic.BaseSettings`
    used through `import pydantic` at the attribute. An import inside a `try:` that
    catches `ImportError` (or in its handler) is a shim for both major versions and is
    left alone.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC612",
        assumes=("pydantic", 2),
        name="basesettings-from-pydantic",
        message="`BaseSettings` imported from `{module}`; import it from `pydantic_settings`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from pydantic import AnyUrl, BaseSettings as Base  # error: 30\n\n\n"
            "class Settings(Base):\n"
            "    url: AnyUrl\n",
            note="an alias, among other imported names",
        ),
        Invalid(
            "import pydantic\n"
            "from pydantic.env_settings import (\n"
            "    BaseSettings,  # error\n"
            ")\n\n\n"
            "class Settings(pydantic.BaseSettings):  # error: 16\n"
            "    debug: bool = False\n",
            note="`pydantic.env_settings`; `pydantic.BaseSettings` through the module",
        ),
        Valid(
            "from pydantic import BaseModel\n"
            "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n\n"
            "class Settings(BaseSettings):\n"
            "    model_config = SettingsConfigDict(env_file='.env')\n",
        ),
        Valid(
            "try:\n"
            "    from pydantic_settings import BaseSettings\n"
            "except ImportError:\n"
            "    from pydantic import BaseSettings\n",
            note="a shim for both major versions",
        ),
        Valid(
            "from pydantic.v1 import BaseSettings\n"
            "from app.config import BaseSettings as AppSettings\n",
            note="`pydantic.v1` (the bundled v1 API); a project class of the same name",
        ),
    )

    def visit_ImportFrom(self, node: ast.ImportFrom, ctx: RuleContext) -> None:
        if node.level or node.module not in V1_SETTINGS_MODULES:
            return
        for alias in node.names:
            if alias.name == "BaseSettings" and not in_import_fallback(ctx):
                ctx.report(self, alias, module=node.module)

    def visit_Attribute(self, node: ast.Attribute, ctx: RuleContext) -> None:
        if node.attr != "BaseSettings" or not isinstance(node.value, ast.Name):
            return
        module = ctx.names.qualified(node.value)
        if module in V1_SETTINGS_MODULES and not in_import_fallback(ctx):
            ctx.report(self, node, module=module)
