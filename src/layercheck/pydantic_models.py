"""Pydantic models, found through the project index, and their merged configuration."""

from __future__ import annotations

from typing import Final

from layercheck.facts import AttributeFact
from layercheck.index import ProjectIndex, derived

PYDANTIC_BASES: Final = frozenset(
    {
        "pydantic.BaseModel",
        "pydantic.main.BaseModel",
        "pydantic.RootModel",
        "pydantic.root_model.RootModel",
        "pydantic.BaseSettings",
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
        "sqlmodel.SQLModel",
        "sqlmodel.main.SQLModel",
        "pydantic.v1.BaseModel",
        "pydantic.v1.main.BaseModel",
        "pydantic.v1.BaseSettings",
        "pydantic.v1.env_settings.BaseSettings",
    }
)
SETTINGS_BASES: Final = frozenset(
    {
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
        "pydantic.BaseSettings",
        "pydantic.v1.BaseSettings",
        "pydantic.v1.env_settings.BaseSettings",
    }
)
V1_COMPAT_BASES: Final = frozenset(
    {
        "pydantic.v1.BaseModel",
        "pydantic.v1.main.BaseModel",
        "pydantic.v1.BaseSettings",
        "pydantic.v1.env_settings.BaseSettings",
    }
)
"""Pydantic 2's bundled v1 API: models built on it use the v1 API on purpose."""
SQLMODEL_BASES: Final = frozenset({"sqlmodel.SQLModel", "sqlmodel.main.SQLModel"})
CONFIG_FACTORIES: Final = frozenset(
    {
        "pydantic.ConfigDict",
        "pydantic.config.ConfigDict",
        "pydantic_settings.SettingsConfigDict",
        "pydantic_settings.main.SettingsConfigDict",
        "sqlmodel.main.SQLModelConfig",
    }
)
NEUTRAL_BASES: Final = frozenset(
    {
        "typing.Generic",
        "typing_extensions.Generic",
        "typing.Protocol",
        "typing_extensions.Protocol",
        "abc.ABC",
        "object",
        "builtins.object",
    }
)
"""Bases outside the project that add no Pydantic configuration."""


def is_pydantic_model(qualified: str, index: ProjectIndex) -> bool:
    """A class deriving from `BaseModel` (or `BaseSettings`, `SQLModel`) across modules and
    aliases; the bases themselves are not models."""
    return _pydantic_model(index, qualified)


@derived("pydantic-model")
def _pydantic_model(index: ProjectIndex, qualified: str) -> bool:
    name = index.resolve(qualified)
    return name not in PYDANTIC_BASES and index.inherits(name, PYDANTIC_BASES)


def is_v1_compat_model(qualified: str, index: ProjectIndex) -> bool:
    """A model built on `pydantic.v1` (Pydantic 2's bundled v1 API), kept on v1 on purpose."""
    return index.inherits(qualified, V1_COMPAT_BASES)


def is_v2_model(qualified: str, index: ProjectIndex) -> bool:
    """A Pydantic model that is not built on the bundled `pydantic.v1` API."""
    return is_pydantic_model(qualified, index) and not is_v1_compat_model(qualified, index)


def is_settings_class(qualified: str, index: ProjectIndex) -> bool:
    name = index.resolve(qualified)
    return name not in SETTINGS_BASES and index.inherits(name, SETTINGS_BASES)


def is_sqlmodel_table(qualified: str, index: ProjectIndex) -> bool:
    """`class Hero(SQLModel, table=True)`, or a subclass of one."""
    for ancestor in index.ancestors(qualified):
        facts = index.class_fact(ancestor)
        if facts is not None and ("table", "True") in facts.keywords:
            return True
    return False


def config(qualified: str, index: ProjectIndex) -> dict[str, str]:
    """`model_config` items (and v1 `class Config:` items as `Config.<key>`) of a model,
    inherited configs included; the nearest class wins. Values are literal reprs."""
    merged: dict[str, str] = {}
    for ancestor in index.ancestors(qualified):
        facts = index.class_fact(ancestor)
        if facts is None:
            continue
        for key, value in facts.config:
            merged.setdefault(key, value)
    return merged


def from_attributes(qualified: str, index: ProjectIndex) -> bool | None:
    """Whether a model validates from attributes (ORM objects): True for
    `from_attributes=True` in the merged config, a v1 `orm_mode = True`, or a `SQLModel`
    (whose base config sets it); False when every class in the chain is known and none
    sets it; None when the facts cannot tell (a base outside the project other than
    Pydantic's own, a config built from a variable, a non-literal value)."""
    ancestors = index.ancestors(qualified)
    if any(index.resolve(name) in SQLMODEL_BASES for name in ancestors):
        return True
    for ancestor in ancestors:
        facts = index.class_fact(ancestor)
        if facts is None:
            if ancestor not in PYDANTIC_BASES and ancestor not in NEUTRAL_BASES:
                return None
            continue
        declared = {a.name: a for a in facts.attributes}
        config_attribute = declared.get("model_config")
        if (
            config_attribute is not None
            and config_attribute.value not in CONFIG_FACTORIES
            and not any(not key.startswith("Config.") for key, _ in facts.config)
        ):
            return None  # `model_config = base_config | {...}`: unknown items
    merged = config(qualified, index)
    for key in ("from_attributes", "Config.orm_mode", "Config.from_attributes"):
        value = merged.get(key)
        if value == "True":
            return True
        if value is not None and value != "False":
            return None
    return False


def fields(qualified: str, index: ProjectIndex) -> dict[str, tuple[str, AttributeFact]]:
    """Class-body attributes of a model and of its project bases, nearest definition
    first, each with the class that declares it; `model_config`, private (`_x`) and
    dunder names are left out."""
    found: dict[str, tuple[str, AttributeFact]] = {}
    for ancestor in index.ancestors(qualified):
        facts = index.class_fact(ancestor)
        if facts is None:
            continue
        for attribute in facts.attributes:
            name = attribute.name
            if name == "model_config" or name.startswith("_"):
                continue
            if attribute.annotation in {"typing.ClassVar", "typing_extensions.ClassVar"}:
                continue
            found.setdefault(name, (ancestor, attribute))
    return found
