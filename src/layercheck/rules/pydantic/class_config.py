from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck import edits
from layercheck.model import Edit, Fix
from layercheck.pydantic_models import is_settings_class
from layercheck.rules._base import (
    Example,
    FixAvailability,
    Invalid,
    Rule,
    RuleContext,
    RuleMeta,
    Valid,
)
from layercheck.rules.pydantic._helpers import model_class, name_span

RENAMED_KEYS: Final = {
    "orm_mode": "from_attributes",
    "allow_population_by_field_name": "populate_by_name",
    "schema_extra": "json_schema_extra",
    "anystr_strip_whitespace": "str_strip_whitespace",
    "anystr_lower": "str_to_lower",
    "anystr_upper": "str_to_upper",
    "validate_all": "validate_default",
    "max_anystr_length": "str_max_length",
    "min_anystr_length": "str_min_length",
}
SAME_KEYS: Final = frozenset(
    {
        "title",
        "frozen",
        "validate_assignment",
        "arbitrary_types_allowed",
        "use_enum_values",
        "from_attributes",
        "populate_by_name",
        "json_schema_extra",
        "str_strip_whitespace",
        "str_to_lower",
        "str_to_upper",
        "str_max_length",
        "str_min_length",
        "validate_default",
        "protected_namespaces",
        "revalidate_instances",
        "allow_inf_nan",
    }
)
SETTINGS_KEYS: Final = frozenset(
    {"env_prefix", "env_file", "env_file_encoding", "env_nested_delimiter", "case_sensitive"}
)
_EXTRA_VALUES: Final = frozenset({"allow", "forbid", "ignore"})


def _v2_pair(key: str, value: ast.expr, settings: bool, ctx: RuleContext) -> str | None:
    """`key=value` in v2 spelling; None when the key has no v2 equivalent here."""
    source = edits.text(ctx, value)
    if key == "allow_mutation":
        if isinstance(value, ast.Constant) and isinstance(value.value, bool):
            return f"frozen={not value.value}"
        return None
    if key == "extra":
        if isinstance(value, ast.Constant) and value.value in _EXTRA_VALUES:
            return f"extra={source}"
        return None
    if key in RENAMED_KEYS:
        return f"{RENAMED_KEYS[key]}={source}"
    if key in SAME_KEYS or (settings and key in SETTINGS_KEYS):
        return f"{key}={source}"
    return None


class ClassConfig(Rule):
    """## What it does
    Checks for a v1 `class Config:` inside a Pydantic model.

    ## Why is this bad?
    Pydantic 2 reads a nested `Config` class only through a deprecated shim, and several
    of its keys were renamed: `orm_mode` is `from_attributes`,
    `allow_population_by_field_name` is `populate_by_name`, `schema_extra` is
    `json_schema_extra`. A v1 key that Pydantic 2 no longer knows is ignored with at most
    a warning, so a model can silently lose the behaviour it was configured for. Pydantic
    2 configures a model with `model_config = ConfigDict(...)` (`SettingsConfigDict` for
    settings), which type checkers can verify.

    ## Example
    ```python
    from pydantic import BaseModel


    class UserResponse(BaseModel):
        id: int
        email: str

        class Config:
            orm_mode = True
    ```

    ## Use instead
    ```python
    from pydantic import BaseModel, ConfigDict


    class UserResponse(BaseModel):
        model_config = ConfigDict(from_attributes=True)

        id: int
        email: str
    ```

    ## Fix safety
    The fix replaces the class with `model_config = ConfigDict(...)`
    (`SettingsConfigDict(...)` in a settings class), renaming the v1 keys (`orm_mode` ->
    `from_attributes`, `allow_population_by_field_name` -> `populate_by_name`,
    `schema_extra` -> `json_schema_extra`, `anystr_strip_whitespace` ->
    `str_strip_whitespace`, `validate_all` -> `validate_default`, `allow_mutation=False`
    -> `frozen=True`, `max_anystr_length` -> `str_max_length`, `min_anystr_length` ->
    `str_min_length`) and adding the import. It is safe, and offered only when every key
    of the class maps to a v2 key (`extra` only as a string), the class holds nothing
    but plain assignments (no comment, docstring, base or method), and the model has no
    `model_config` yet. Keys with no v2 equivalent (`fields`, `json_loads`,
    `underscore_attrs_are_private`, `smart_union`, `copy_on_model_validation`, ...) leave
    the class to be rewritten by hand.

    ## Details
    Only a class directly in the body of a Pydantic model (a project class deriving from
    `BaseModel`, `BaseSettings` or `SQLModel`, across modules) is reported; a `Config`
    class elsewhere, and models built on `pydantic.v1`, are left alone.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC603",
        assumes=("pydantic", 2),
        name="class-config",
        message="`class Config` in `{model}` is Pydantic v1 configuration; "
        "use `model_config = {factory}(...)`",
        fix=FixAvailability.SOMETIMES,
        fix_title="Use `model_config = ConfigDict(...)`",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                "app/schemas/base.py": "from pydantic import BaseModel as PydanticModel\n\n\n"
                "class Schema(PydanticModel):\n"
                "    pass\n",
                "app/schemas/user.py": "from .base import Schema\n\n\n"
                "class UserRead(Schema):\n"
                "    id: int\n\n"
                "    class Config:  # error: 11\n"
                "        orm_mode = True\n"
                "        allow_population_by_field_name = True\n",
            },
            fixed={
                "app/schemas/user.py": "from pydantic import ConfigDict\n"
                "\n"
                "from .base import Schema\n"
                "\n"
                "\n"
                "class UserRead(Schema):\n"
                "    id: int\n"
                "\n"
                "    model_config = ConfigDict(from_attributes=True,"
                " populate_by_name=True)  # error: 11\n",
            },
            note="a project base class in another module, imported relatively",
        ),
        Invalid(
            "from pydantic import BaseSettings\n\n\n"
            "class Settings(BaseSettings):\n"
            "    database_url: str\n\n"
            "    class Config:  # error\n"
            "        env_file = '.env'\n\n\n"
            "def build():\n"
            "    import sqlmodel\n\n"
            "    class Hero(sqlmodel.SQLModel):\n"
            "        name: str\n\n"
            "        class Config:  # error\n"
            "            validate_assignment = True\n\n"
            "    return Hero\n",
            fixed=(
                "from pydantic import BaseSettings, ConfigDict\n"
                "from pydantic_settings import SettingsConfigDict\n"
                "\n"
                "\n"
                "class Settings(BaseSettings):\n"
                "    database_url: str\n"
                "\n"
                "    model_config = SettingsConfigDict(env_file='.env')  # error\n"
                "\n"
                "\n"
                "def build():\n"
                "    import sqlmodel\n"
                "\n"
                "    class Hero(sqlmodel.SQLModel):\n"
                "        name: str\n"
                "\n"
                "        model_config = ConfigDict(validate_assignment=True)  # error\n"
                "\n"
                "    return Hero\n"
            ),
            note="v1 settings; a model defined inside a function",
        ),
        Invalid(
            "from pydantic import BaseModel\n\n\n"
            "class Event(BaseModel):\n"
            "    kind: str\n\n"
            "    class Config:  # error\n"
            "        underscore_attrs_are_private = True\n",
            path="app/schemas/event.py",
            note="a key with no Pydantic 2 equivalent: no fix",
            no_fix=True,
        ),
        Valid(
            "from pydantic import BaseModel, ConfigDict\n\n\n"
            "class UserRead(BaseModel):\n"
            "    model_config = ConfigDict(from_attributes=True)\n\n"
            "    id: int\n",
        ),
        Valid(
            "from pydantic.v1 import BaseModel\n\n\n"
            "class Legacy(BaseModel):\n"
            "    class Config:\n"
            "        orm_mode = True\n",
            note="a model built on `pydantic.v1` keeps its v1 configuration",
        ),
        Valid(
            "import factory\n\n\n"
            "class UserFactory(factory.Factory):\n"
            "    class Config:\n"
            "        model = dict\n\n\n"
            "class Settings:\n"
            "    class Config:\n"
            "        env_file = '.env'\n",
            note="`class Config` in classes that are not Pydantic models",
        ),
    )

    def visit_ClassDef(self, node: ast.ClassDef, ctx: RuleContext) -> None:
        configs = [m for m in node.body if isinstance(m, ast.ClassDef) and m.name == "Config"]
        if not configs:
            return
        model = model_class(node, ctx)
        if model is None or model.v1_compat:
            return
        settings = is_settings_class(model.qualified, ctx.index) or any(
            "BaseSettings" in (ctx.qualified(base) or "") for base in node.bases
        )
        factory = "SettingsConfigDict" if settings else "ConfigDict"
        has_config = any(
            isinstance(target, ast.Name) and target.id == "model_config"
            for member in node.body
            if isinstance(member, ast.Assign | ast.AnnAssign)
            for target in (member.targets if isinstance(member, ast.Assign) else [member.target])
        )
        for config in configs:
            start, end = name_span(config, ctx)
            fix = None
            if len(configs) == 1 and not has_config:
                fix = self._fix(config, factory, settings, ctx)
            ctx.report_span_with_fix(self, start, end, fix, model=model.name, factory=factory)

    def _fix(
        self, config: ast.ClassDef, factory: str, settings: bool, ctx: RuleContext
    ) -> Fix | None:
        if config.bases or config.keywords or config.decorator_list:
            return None
        if config.end_lineno is None or any(edits.has_comment(ctx, m) for m in config.body):
            return None
        header = ctx.lines.line(config.lineno)
        comment = header[header.index("#") :] if "#" in header else ""
        if comment and ("'" in comment or '"' in comment):
            return None  # a `#` that may sit in a string of the header: not worth guessing
        between = [
            ctx.lines.line(row)
            for row in range(config.lineno + 1, config.end_lineno + 1)
            if ctx.lines.line(row).lstrip().startswith("#")
        ]
        if between:
            return None
        pairs: list[str] = []
        for stmt in config.body:
            if isinstance(stmt, ast.Pass):
                continue
            if not (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                return None
            pair = _v2_pair(stmt.targets[0].id, stmt.value, settings, ctx)
            if pair is None:
                return None
            pairs.append(pair)
        module = "pydantic_settings" if settings else "pydantic"
        added = edits.ensure_import(ctx, module, factory)
        if added is None:
            return None
        start = edits.start_of(ctx, config)
        end = edits.end_of(ctx, config)
        indent = " " * (start.column - 1)
        tail = f"  {comment}" if comment else ""
        one_line = f"model_config = {factory}({', '.join(pairs)}){tail}"
        if len(indent) + len(one_line) > 88 or any("\n" in pair for pair in pairs):
            inner = "".join(f"{indent}    {pair},\n" for pair in pairs)
            one_line = f"model_config = {factory}({tail}\n{inner}{indent})"
        return edits.safe(self.meta.fix_title or "", Edit(start, end, one_line), *added)
