"""Where configuration lives (the nearest config file, the project's root) and reading a
file as a TOML document."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Final

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from layercheck.config.errors import ConfigError

CONFIG_NAMES: Final = (".layercheck.toml", "layercheck.toml", "pyproject.toml")
PROJECT_MARKERS: Final = ("pyproject.toml", "setup.py", "setup.cfg")
SETTINGS_FILES: Final = frozenset(
    {*CONFIG_NAMES, *PROJECT_MARKERS, ".gitignore", ".ignore", "uv.lock", "poetry.lock", "pdm.lock"}
)
"""Files whose change can change the settings of a long-lived process (`--watch`, the
language server): config files, packaging files (project roots, module names), ignore
files, lock files (the declared library versions); `*requirements*.txt` too."""


def settings_file(path: Path) -> bool:
    return settings_file_name(path.name)


def settings_file_name(name: str) -> bool:
    """`settings_file` of a file so named: for a folder's listing, not a `Path` each."""
    return name in SETTINGS_FILES or ("requirements" in name and name.endswith(".txt"))


def load_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, None, f"invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 (byte {exc.object[exc.start]:#04x} at offset {exc.start})"
        raise ConfigError(path, None, f"invalid TOML: {reason}") from None
    except RecursionError:
        raise ConfigError(path, None, "invalid TOML: nested too deeply to read") from None
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read: {exc.strerror or exc}") from None


def table_at(document: Mapping[str, object], *keys: str) -> dict[str, object] | None:
    """The table at a dotted path (`tool`, `ruff`), or None when it is absent or no table."""
    current: object = document
    for key in keys:
        if not isinstance(current, dict):
            return None
        current = current.get(key)
    return current if isinstance(current, dict) else None


def has_key(document: Mapping[str, object], *keys: str) -> bool:
    *outer, last = keys
    table = table_at(document, *outer) if outer else document
    return table is not None and last in table


@lru_cache(maxsize=1024)
def _pyproject_tables(path: Path) -> tuple[bool, bool]:
    """(has [tool.layercheck], has [tool.ruff]); bad TOML is reported, not skipped."""
    document = load_toml(path)
    return has_key(document, "tool", "layercheck"), has_key(document, "tool", "ruff")


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


@lru_cache(maxsize=4096)
def find_project_marker(folder: Path) -> Path | None:
    """The nearest folder holding a Python packaging file, at or above `folder`. A folder
    with an `__init__.py` is a package, not a project: its `setup.py` is a module (an
    app's `core/setup.py` that wires the app together)."""
    for candidate in (folder, *folder.parents):
        if (candidate / "__init__.py").is_file():
            continue
        if any((candidate / name).is_file() for name in PROJECT_MARKERS):
            return candidate
    return None


@lru_cache(maxsize=4096)
def find_git_root(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def forget() -> None:
    """Drop what was found of config, packaging and git files (they changed on disk)."""
    for cached in (_pyproject_tables, find_config, find_project_marker, find_git_root):
        cached.cache_clear()


def parse_inline(text: str) -> dict[str, object]:
    """`--config KEY=VALUE`: one TOML `key = value` line, as ruff's `--config` takes it;
    raises ValueError with the reason."""
    try:
        return dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not a TOML `KEY = VALUE` ({exc})") from None
