from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck import edits
from layercheck.model import Edit, Fix, Location
from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
)
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

    ## Fix safety
    The fix imports `BaseSettings` from `pydantic_settings` instead (splitting the import
    statement when it imports other names from `pydantic`; `pydantic.BaseSettings` becomes
    `BaseSettings`, imported). It is safe as an edit (none is offered when a comment sits
    inside the statement, or when `BaseSettings` names something else there); the
    project must also depend on `pydantic-settings`, and a nested
    `class Config` becomes `model_config = SettingsConfigDict(...)` (LC603).

    ## Details
    `from pydantic import BaseSettings` and `from pydantic.env_settings import
    BaseSettings` (any alias) are reported at the imported name, and `pydantic.BaseSettings`
    used through `import pydantic` at the attribute. An import inside a `try:` that
    catches `ImportError` (or in its handler) is a shim for both major versions and is
    left alone.

    ## Leaves to
    A settings class's `class Config`: LC603.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC612",
        assumes=("pydantic", 2),
        name="basesettings-from-pydantic",
        message="`BaseSettings` imported from `{module}`; import it from `pydantic_settings`",
        fix=FixAvailability.SOMETIMES,
        fix_title="Import `BaseSettings` from `pydantic_settings`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from pydantic import AnyUrl, BaseSettings as Base  # error: 30\n\n\n"
            "class Settings(Base):\n"
            "    url: AnyUrl\n",
            note="an alias, among other imported names",
            fixed="from pydantic import AnyUrl  # error: 30\n"
            "from pydantic_settings import BaseSettings as Base\n\n\n"
            "class Settings(Base):\n"
            "    url: AnyUrl\n",
        ),
        Invalid(
            "import pydantic\n"
            "from pydantic.env_settings import (\n"
            "    BaseSettings,  # error\n"
            ")\n\n\n"
            "class Settings(pydantic.BaseSettings):  # error: 16\n"
            "    debug: bool = False\n",
            note="`pydantic.env_settings`; `pydantic.BaseSettings` through the module",
            no_fix=True,
        ),
        Invalid(
            "from pydantic import BaseSettings  # error\n\n\n"
            "class Settings(BaseSettings):\n"
            "    debug: bool = False\n",
            note="the only name of its import statement",
            fixed="from pydantic_settings import BaseSettings  # error\n\n\n"
            "class Settings(BaseSettings):\n"
            "    debug: bool = False\n",
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
                fix = self._import_fix(node, alias, ctx)
                ctx.report_with_fix(self, alias, fix, module=node.module)

    def visit_Attribute(self, node: ast.Attribute, ctx: RuleContext) -> None:
        if node.attr != "BaseSettings" or not isinstance(node.value, ast.Name):
            return
        module = ctx.names.qualified(node.value)
        if module in V1_SETTINGS_MODULES and not in_import_fallback(ctx):
            fix = None
            added = edits.ensure_import(ctx, "pydantic_settings", "BaseSettings")
            if added is not None:
                title = self.meta.fix_title or ""
                fix = edits.safe(title, edits.replace(ctx, node, "BaseSettings"), *added)
            ctx.report_with_fix(self, node, fix, module=module)

    def _import_fix(self, node: ast.ImportFrom, alias: ast.alias, ctx: RuleContext) -> Fix | None:
        if edits.has_comment(ctx, node) or node.end_lineno is None:
            return None
        title = self.meta.fix_title or ""
        named = edits.text(ctx, alias)
        line = f"from pydantic_settings import {named}"
        if len(node.names) == 1:
            return edits.safe(title, edits.replace(ctx, node, line))
        number = node.names.index(alias)
        if number + 1 < len(node.names):
            cut = Edit(edits.start_of(ctx, alias), edits.start_of(ctx, node.names[number + 1]), "")
        else:
            cut = Edit(edits.end_of(ctx, node.names[number - 1]), edits.end_of(ctx, alias), "")
        indent = edits.indent_of(ctx, node.lineno)
        end = edits.end_of(ctx, node)
        rest = edits.text_between(ctx.lines, end, Location(end.row, 10**6)).strip()
        if rest and not rest.startswith("#"):
            return None  # `...; more` on the same line
        if rest:
            # After the comment that ends the line.
            end = Location(end.row, len(ctx.lines.line(end.row)) + 1)
        added = edits.insert(end, f"\n{indent}{line}")
        return edits.safe(title, cut, added)
