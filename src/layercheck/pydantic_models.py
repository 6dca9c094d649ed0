"""Pydantic models, found through the project index, and their merged configuration."""

from __future__ import annotations

from typing import Final

from layercheck.index import ProjectIndex

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
        "pydantic.v1.BaseSettings",
    }
)
SETTINGS_BASES: Final = frozenset(
    {
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
        "pydantic.BaseSettings",
        "pydantic.v1.BaseSettings",
    }
)


def is_pydantic_model(qualified: str, index: ProjectIndex) -> bool:
    """A class deriving from `BaseModel` (or `BaseSettings`, `SQLModel`) across modules and
    aliases; the bases themselves are not models."""
    name = index.resolve(qualified)
    return name not in PYDANTIC_BASES and index.inherits(name, PYDANTIC_BASES)


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


def has_from_attributes(qualified: str, index: ProjectIndex) -> bool:
    """`from_attributes=True` in the merged config, or v1 `orm_mode = True`."""
    merged = config(qualified, index)
    return merged.get("from_attributes") == "True" or merged.get("Config.orm_mode") == "True"
