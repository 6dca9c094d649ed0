"""Find and read configuration files; validate every key; fall back to [tool.ruff]."""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from layercheck.layers import Layer

CONFIG_NAMES: Final = (".layercheck.toml", "layercheck.toml", "pyproject.toml")
# Older targets are accepted: layercheck parses with the Python it runs on (3.10+), but
# version-dependent rules (LC604's `X | None`) must know the project's real floor.
TARGET_VERSIONS: Final = (
    "py37",
    "py38",
    "py39",
    "py310",
    "py311",
    "py312",
    "py313",
    "py314",
)
RUFF_FALLBACK_KEYS: Final = ("exclude", "extend-exclude", "src", "target-version")


class ConfigError(Exception):
    def __init__(self, path: Path | None, key: str | None, reason: str) -> None:
        self.path, self.key, self.reason = path, key, reason
        where = str(path) if path is not None else "command line"
        super().__init__(f"{where}: {key}: {reason}" if key else f"{where}: {reason}")


@dataclass(frozen=True, slots=True)
class RawConfig:
    """Validated values of one configuration file (absent keys are absent)."""

    path: Path | None
    values: Mapping[str, object] = field(default_factory=dict)
    layers: Mapping[Layer, tuple[str, ...]] = field(default_factory=dict)

    @property
    def folder(self) -> Path | None:
        return self.path.parent if self.path is not None else None


def _str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _str_map_of_lists(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and _str_list(v) for k, v in value.items()
    )


_CHECKS: Final[Mapping[str, tuple[Callable[[object], bool], str]]] = {
    "select": (_str_list, "a list of rule codes"),
    "extend-select": (_str_list, "a list of rule codes"),
    "ignore": (_str_list, "a list of rule codes"),
    "preview": (lambda v: isinstance(v, bool), "true or false"),
    "exclude": (_str_list, "a list of glob patterns"),
    "extend-exclude": (_str_list, "a list of glob patterns"),
    "per-file-ignores": (_str_map_of_lists, "a table of glob -> list of rule codes"),
    "target-version": (lambda v: v in TARGET_VERSIONS, "one of " + ", ".join(TARGET_VERSIONS)),
    "src": (_str_list, "a list of folders"),
    "cache-dir": (lambda v: isinstance(v, str), "a folder path"),
    "include-type-checking-imports": (lambda v: isinstance(v, bool), "true or false"),
    "detect-routes": (lambda v: isinstance(v, bool), "true or false"),
    "layers": (_str_map_of_lists, "a table of layer -> list of glob patterns"),
}
KNOWN_KEYS: Final = frozenset(_CHECKS)


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _load_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, None, f"invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read: {exc.strerror or exc}") from None


def _table(document: Mapping[str, object], *keys: str) -> dict[str, object] | None:
    current: object = document
    for key in keys:
        if not isinstance(current, dict):
            return None
        current = current.get(key)
    return current if isinstance(current, dict) else None


# The lower bound of `requires-python`: `>=3.11`, `~=3.11`, `==3.11.*`, `>3.10, <4`, and
# Poetry's `^3.9`.
_REQUIRES_RE: Final = re.compile(r"(?:>=?|~=|===?|\^)\s*3\.(\d+)")


def _target_from_requires(requires: object) -> str | None:
    if not isinstance(requires, str):
        return None
    match = _REQUIRES_RE.search(requires)
    if match is None:
        return None
    return _clamped(int(match.group(1)))


def _clamped(minor: int) -> str:
    return f"py3{max(7, min(14, minor))}"


def validate(path: Path | None, table: Mapping[str, object], prefix: str) -> RawConfig:
    values: dict[str, object] = {}
    layers: dict[Layer, tuple[str, ...]] = {}
    for key, value in table.items():
        check = _CHECKS.get(key)
        if check is None:
            raise ConfigError(
                path, f"{prefix}{key}", "unknown key" + _suggest(key, sorted(KNOWN_KEYS))
            )
        predicate, expected = check
        if not predicate(value):
            raise ConfigError(path, f"{prefix}{key}", f"expected {expected}, got {value!r}")
        if key == "layers":
            assert isinstance(value, dict)
            names = [layer.value for layer in Layer]
            for name, globs in value.items():
                if name not in names:
                    raise ConfigError(
                        path, f"{prefix}layers.{name}", "unknown layer" + _suggest(name, names)
                    )
                layers[Layer(name)] = tuple(globs)
        else:
            values[key] = value
    return RawConfig(path, values, layers)


def _lenient_ruff_value(key: str, value: object) -> object | None:
    """ruff's own values are ruff's business: take what we understand, skip the rest."""
    if key == "target-version":
        match = re.fullmatch(r"py3(\d+)", str(value))
        if match is None:
            return None
        return _clamped(int(match.group(1)))
    return value if _str_list(value) else None


@lru_cache(maxsize=256)
def read_config(path: Path) -> RawConfig:
    """Read a config file; `pyproject.toml` without [tool.layercheck] gives defaults plus
    the [tool.ruff] fallbacks."""
    document = _load_toml(path)
    is_pyproject = path.name == "pyproject.toml"
    table = _table(document, "tool", "layercheck") if is_pyproject else document
    prefix = "tool.layercheck." if is_pyproject else ""
    if is_pyproject and table is None and _has_key(document, "tool", "layercheck"):
        raise ConfigError(path, "tool.layercheck", "expected a table")
    config = validate(path, table or {}, prefix)
    if not is_pyproject:
        return config
    values = dict(config.values)
    ruff = _table(document, "tool", "ruff") or {}
    for key in RUFF_FALLBACK_KEYS:
        if key not in values and key in ruff:
            value = _lenient_ruff_value(key, ruff[key])
            if value is not None:
                values[key] = value
    if "target-version" not in values:
        requires = _target_from_requires(
            (_table(document, "project") or {}).get("requires-python")
        ) or _target_from_requires(
            (_table(document, "tool", "poetry", "dependencies") or {}).get("python")
        )
        if requires is not None:
            values["target-version"] = requires
    return RawConfig(path, values, config.layers)


def _has_key(document: Mapping[str, object], *keys: str) -> bool:
    *outer, last = keys
    table = _table(document, *outer) if outer else document
    return table is not None and last in table


@lru_cache(maxsize=1024)
def _pyproject_tables(path: Path) -> tuple[bool, bool]:
    """(has [tool.layercheck], has [tool.ruff]); bad TOML is reported, not skipped."""
    document = _load_toml(path)
    return _has_key(document, "tool", "layercheck"), _has_key(document, "tool", "ruff")


@lru_cache(maxsize=4096)
def find_config(folder: Path) -> Path | None:
    """The nearest configuration file at or above `folder`.

    As ruff skips a `pyproject.toml` without `[tool.ruff]`, a `pyproject.toml` without
    `[tool.layercheck]` does not count: a packaging-only `pyproject.toml` in a sub-folder
    must not hide the project's configuration. Failing any, the nearest `pyproject.toml`
    with `[tool.ruff]` is used for its exclude / src / target-version fallbacks.
    """
    ruff_only: Path | None = None
    for candidate_folder in (folder, *folder.parents):
        for name in CONFIG_NAMES:
            candidate = candidate_folder / name
            if not candidate.is_file():
                continue
            if name != "pyproject.toml":
                return candidate
            has_layercheck, has_ruff = _pyproject_tables(candidate)
            if has_layercheck:
                return candidate
            if has_ruff and ruff_only is None:
                ruff_only = candidate
    return ruff_only


PROJECT_MARKERS: Final = ("pyproject.toml", "setup.py", "setup.cfg")


@lru_cache(maxsize=4096)
def find_project_marker(folder: Path) -> Path | None:
    """The nearest folder holding a Python packaging file, at or above `folder`."""
    for candidate in (folder, *folder.parents):
        if any((candidate / name).is_file() for name in PROJECT_MARKERS):
            return candidate
    return None


@lru_cache(maxsize=4096)
def find_git_root(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None
