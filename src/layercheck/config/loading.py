"""A configuration file's table, validated against the option rows, with the fallbacks of
a `pyproject.toml` filled in: the file's `RawConfig`."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from layercheck.config.errors import ConfigError
from layercheck.config.files import has_key, load_toml, table_at
from layercheck.config.options import BY_NAME, OPTIONS, TARGET_VERSION, Fallback, Option

PYPROJECT_PREFIX: Final = "tool.layercheck."


@dataclass(frozen=True, slots=True)
class RawConfig:
    """The validated values of one configuration file, by key (absent keys are absent)."""

    path: Path | None
    values: Mapping[str, object] = field(default_factory=dict)


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def validate(path: Path | None, table: Mapping[str, object], prefix: str) -> RawConfig:
    """Every key known, every value of its row's type, every table key allowed."""
    values: dict[str, object] = {}
    for key, value in table.items():
        option = BY_NAME.get(key)
        if option is None:
            raise ConfigError(
                path, f"{prefix}{key}", "unknown key" + _suggest(key, sorted(BY_NAME))
            )
        kind = option.kind
        if not kind.check(value):
            raise ConfigError(path, f"{prefix}{key}", f"expected {kind.expected}, got {value!r}")
        if kind.keys is not None:
            allowed = list(kind.keys)
            more = table.get(kind.more_keys) if kind.more_keys is not None else None
            if isinstance(more, list):
                allowed.extend(
                    name.strip()
                    for entry in more
                    if isinstance(entry, str)
                    for name in entry.split(":")
                )
            for name in value:
                if name not in allowed:
                    raise ConfigError(
                        path,
                        f"{prefix}{key}.{name}",
                        f"unknown {kind.key_noun}" + _suggest(name, allowed),
                    )
        values[key] = value
    return RawConfig(path, values)


# The lower bound of `requires-python`: `>=3.11`, `~=3.11`, `==3.11.*`, `>3.10, <4`, and
# Poetry's `^3.9`.
_REQUIRES_RE: Final = re.compile(r"(?:>=?|~=|===?|\^)\s*3\.(\d+)")


def _clamped(minor: int) -> str:
    return f"py3{max(7, min(14, minor))}"


def _target_from_requires(requires: object) -> str | None:
    if not isinstance(requires, str):
        return None
    match = _REQUIRES_RE.search(requires)
    if match is None:
        return None
    return _clamped(int(match.group(1)))


def _from_ruff(document: Mapping[str, object], option: Option[Any]) -> object | None:
    """ruff's own values are ruff's business: take what we understand, skip the rest."""
    value = (table_at(document, "tool", "ruff") or {}).get(option.name)
    if value is not None and option is TARGET_VERSION:
        match = re.fullmatch(r"py3(\d+)", str(value))
        value = None if match is None else _clamped(int(match.group(1)))
    return value if value is not None and option.kind.check(value) else None


def _from_requires_python(document: Mapping[str, object], option: Option[Any]) -> object | None:
    return _target_from_requires(
        (table_at(document, "project") or {}).get("requires-python")
    ) or _target_from_requires(
        (table_at(document, "tool", "poetry", "dependencies") or {}).get("python")
    )


_FALLBACKS: Final[
    Mapping[Fallback, Callable[[Mapping[str, object], Option[Any]], object | None]]
] = {
    Fallback.RUFF: _from_ruff,
    Fallback.REQUIRES_PYTHON: _from_requires_python,
}


@lru_cache(maxsize=256)
def read_config(path: Path) -> RawConfig:
    """Read a config file; a `pyproject.toml` without [tool.layercheck] gives the
    defaults, less what the fallbacks find ([tool.ruff], requires-python)."""
    document = load_toml(path)
    if path.name != "pyproject.toml":
        return validate(path, document, "")
    table = table_at(document, "tool", "layercheck")
    if table is None and has_key(document, "tool", "layercheck"):
        raise ConfigError(path, "tool.layercheck", "expected a table")
    values = dict(validate(path, table or {}, PYPROJECT_PREFIX).values)
    for option in OPTIONS:
        for fallback in option.fallbacks:
            if option.name in values:
                break
            found = _FALLBACKS[fallback](document, option)
            if found is not None:
                values[option.name] = found
    return RawConfig(path, values)
