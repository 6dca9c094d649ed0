"""Every configuration key, one typed row each: its TOML type, default, fallbacks and docs.

Validation (`loading`), the resolved `Settings`, `--show-settings`, the facts cache key and
the README's table of keys all read `OPTIONS`: a new key is one more row here, plus the
`Settings` field its value resolves into.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Generic, TypeGuard, TypeVar

from layercheck.choices import TARGET_VERSIONS
from layercheck.config.allowed_imports import AllowedImports
from layercheck.config.globs import Glob
from layercheck.config.libraries import LIBRARIES
from layercheck.layer_order import LayerOrder
from layercheck.layers import BUILTIN_LAYERS, Layer

T = TypeVar("T")


# -- what a TOML value must be ---------------------------------------------------------------


def _is_str_list(value: object) -> TypeGuard[Sequence[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_table_of_str_lists(value: object) -> TypeGuard[Mapping[str, Sequence[str]]]:
    return isinstance(value, dict) and all(
        isinstance(key, str) and _is_str_list(item) for key, item in value.items()
    )


def _is_table_of_str(value: object) -> TypeGuard[Mapping[str, str]]:
    return isinstance(value, dict) and all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    )


def _is_bool(value: object) -> TypeGuard[bool]:
    return isinstance(value, bool)


def _is_str(value: object) -> TypeGuard[str]:
    return isinstance(value, str)


def _is_target_version(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value in TARGET_VERSIONS


def _is_library_list(value: object) -> TypeGuard[Sequence[str]]:
    return _is_str_list(value) and all(item in LIBRARIES for item in value)


# -- how a resolved value (a `Settings` field) is shown, as JSON ------------------------------


def _as_is(value: object) -> object:
    return value


def _patterns(globs: Iterable[Glob]) -> object:
    return [glob.pattern for glob in globs]


def _paths(paths: Iterable[Path]) -> object:
    return [str(path) for path in paths]


def _path(path: Path) -> object:
    return str(path)


def _globs_by_layer_names(layers: Mapping[Layer, tuple[str, ...]]) -> object:
    return {layer.value: list(names) for layer, names in layers.items()}


def _messages(pairs: Iterable[tuple[str, str]]) -> object:
    return dict(pairs)


def _allowed(allowed: AllowedImports) -> object:
    return allowed.written


def _order(order: LayerOrder) -> object:
    return list(order.written)


def _optional_path(path: Path | None) -> object:
    return None if path is None else str(path)


def _version(version: tuple[int, int]) -> object:
    return f"py{version[0]}{version[1]}"


def _codes_by_glob(pairs: Iterable[tuple[Glob, tuple[str, ...]]]) -> object:
    return {glob.pattern: list(codes) for glob, codes in pairs}


def _globs_by_layer(layers: Mapping[Layer, tuple[Glob, ...]]) -> object:
    return {layer.value: [glob.pattern for glob in globs] for layer, globs in layers.items()}


@dataclass(frozen=True, slots=True)
class Kind(Generic[T]):
    """A key's type: the TOML values it takes, and how its resolved value is shown."""

    expected: str
    """What the value must be, in the README's words and in "expected ..., got ..." errors."""
    check: Callable[[object], TypeGuard[T]]
    show: Callable[[Any], object] = _as_is
    """The resolved value (the `Settings` field) as JSON: --show-settings, the cache key."""
    keys: tuple[str, ...] | None = None
    """The keys a table may have (None: any)."""
    key_noun: str = "key"
    """What a table's key names, for the "unknown ..." error."""
    more_keys: str | None = None
    """A key of the same table whose list names more keys a table may have (`layer-order`
    names the layers a configuration adds)."""


RULE_CODES: Final = Kind("a list of rule codes", _is_str_list)
GLOBS: Final = Kind("a list of glob patterns", _is_str_list, show=_patterns)
FOLDERS: Final = Kind("a list of folders", _is_str_list, show=_paths)
FOLDER: Final = Kind("a folder path", _is_str, show=_path)
BOOL: Final = Kind("true or false", _is_bool)
FILE: Final = Kind("a file path", _is_str, show=_optional_path)
PACKAGES_BY_LAYER: Final = Kind(
    "a table of layer -> list of package names",
    _is_table_of_str_lists,
    show=_globs_by_layer_names,
    keys=tuple(layer.value for layer in BUILTIN_LAYERS),
    key_noun="layer",
    more_keys="layer-order",
)
MESSAGES_BY_CODE: Final = Kind(
    "a table of rule code or prefix -> message", _is_table_of_str, show=_messages
)
TARGET: Final = Kind("one of " + ", ".join(TARGET_VERSIONS), _is_target_version, show=_version)
CODES_BY_GLOB: Final = Kind(
    "a table of glob -> list of rule codes", _is_table_of_str_lists, show=_codes_by_glob
)
GLOBS_BY_LAYER: Final = Kind(
    "a table of layer -> list of glob patterns",
    _is_table_of_str_lists,
    show=_globs_by_layer,
    keys=tuple(layer.value for layer in BUILTIN_LAYERS),
    key_noun="layer",
    more_keys="layer-order",
)


class Fallback(enum.Enum):
    """Where a `pyproject.toml` takes a key's value from when `[tool.layercheck]` does not
    set it (a `layercheck.toml` has no fallbacks)."""

    RUFF = "ruff"
    """The same key of `[tool.ruff]`, when layercheck accepts its value."""
    REQUIRES_PYTHON = "requires-python"
    """The lower bound of `[project] requires-python`, or of Poetry's `python` dependency."""

    @property
    def doc(self) -> str:
        return _FALLBACK_DOCS[self]


_FALLBACK_DOCS: Final = {
    Fallback.RUFF: "`[tool.ruff]`'s",
    Fallback.REQUIRES_PYTHON: "the lower bound of `requires-python` (or Poetry's `python`)",
}


@dataclass(frozen=True, slots=True)
class Option(Generic[T]):
    """One configuration key."""

    name: str
    """The key as written in TOML."""
    kind: Kind[T]
    default: T
    """The value when neither the file nor a fallback sets the key, as TOML would give it;
    paths are relative to the config file's folder."""
    setting: str
    """The `Settings` field the key resolves into. Keys that fold into one field
    (`exclude` and `extend-exclude`) are shown once, under the first."""
    doc: str
    """What the key sets: one line, for the README."""
    fallbacks: tuple[Fallback, ...] = ()
    """Tried in order when a `pyproject.toml` does not set the key."""
    shapes_facts: bool = False
    """The resolved value changes what is gathered from a file (its module name, its path
    layer): the facts cache keys its entries on it."""
    default_doc: str | None = None
    """The README's words for a default that its value does not say."""

    def given(self, values: Mapping[str, object]) -> T | None:
        """The validated value of the key in a file's values; None when it is not set."""
        found = values.get(self.name)
        return found if found is not None and self.kind.check(found) else None

    def value(self, values: Mapping[str, object]) -> T:
        """The key's value in a file's values, else its default."""
        found = self.given(values)
        return self.default if found is None else found


SELECT: Final = Option(
    "select",
    RULE_CODES,
    ("LC",),
    "selections",
    "Rules to run, by code or prefix (`LC2`, `LC201`, `ALL`); `LC` is every rule but the "
    "preview ones.",
)
EXTEND_SELECT: Final = Option(
    "extend-select",
    RULE_CODES,
    (),
    "selections",
    "Rules to run on top of `select`.",
)
IGNORE: Final = Option(
    "ignore",
    RULE_CODES,
    (),
    "selections",
    "Rules not to run; against `select`, the more specific selector wins.",
)
PREVIEW: Final = Option(
    "preview",
    BOOL,
    False,
    "preview",
    "Run preview rules too (a preview rule selected by its exact code runs anyway).",
)
EXCLUDE: Final = Option(
    "exclude",
    GLOBS,
    (
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".env",
        "env",
        "node_modules",
        "__pycache__",
        "build",
        "dist",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".eggs",
        "site-packages",
    ),
    "exclude",
    "Files and folders not to check; replaces the default list.",
    fallbacks=(Fallback.RUFF,),
)
EXTEND_EXCLUDE: Final = Option(
    "extend-exclude",
    GLOBS,
    (),
    "exclude",
    "Files and folders not to check, on top of `exclude`.",
    fallbacks=(Fallback.RUFF,),
)
PER_FILE_IGNORES: Final = Option(
    "per-file-ignores",
    CODES_BY_GLOB,
    {},
    "per_file_ignores",
    "Rules not to report in the files a glob matches.",
)
TARGET_VERSION: Final = Option(
    "target-version",
    TARGET,
    "py310",
    "target_version",
    "The oldest Python the project supports; version-dependent rules (LC604) follow it.",
    fallbacks=(Fallback.RUFF, Fallback.REQUIRES_PYTHON),
)
SRC: Final = Option(
    "src",
    FOLDERS,
    (".", "src"),
    "src",
    "The roots that module names are computed from. Unset, a folder below the root that "
    "holds a `pyproject.toml`, `setup.py` or `setup.cfg` is a root too (`server/polar/x.py` "
    "beside `server/pyproject.toml` is `polar.x`); when most of the project's imports of "
    "its own packages still name no module, a warning names the folder to put here.",
    fallbacks=(Fallback.RUFF,),
    shapes_facts=True,
)
CACHE_DIR: Final = Option(
    "cache-dir",
    FOLDER,
    ".layercheck_cache",
    "cache_dir",
    "Where the facts cache is kept (`--cache-dir` replaces it).",
)
INCLUDE_TYPE_CHECKING_IMPORTS: Final = Option(
    "include-type-checking-imports",
    BOOL,
    False,
    "include_type_checking_imports",
    "Count imports under `if TYPE_CHECKING:` in the layer-boundary rules (LC1).",
)
DETECT_ROUTES: Final = Option(
    "detect-routes",
    BOOL,
    True,
    "detect_routes",
    "Put any module that registers path operations in the routes layer.",
    shapes_facts=True,
)
RESPECT_GITIGNORE: Final = Option(
    "respect-gitignore",
    BOOL,
    True,
    "respect_gitignore",
    "Skip the files that `.gitignore`, `.ignore` and `.git/info/exclude` ignore "
    "(`--no-respect-gitignore` turns it off); paths named explicitly are still checked.",
)
# -- the project's own library versions (issue 15) -----------------------------------------
UPGRADING: Final = Option(
    "upgrading",
    Kind("a list of " + ", ".join(LIBRARIES), _is_library_list),
    (),
    "upgrading",
    "Libraries the project is moving to a new major of: the rules that assume a major "
    "its declared versions (lock files, dependencies, requirements*.txt) do not allow "
    "run anyway.",
)
TIMESTAMP_COLUMNS: Final = Option(
    "timestamp-columns",
    Kind(
        "a table of created/updated -> list of column names",
        _is_table_of_str_lists,
        keys=("created", "updated"),
        key_noun="timestamp kind",
    ),
    {},
    "timestamp_columns",
    "Column names that count as a model's creation or update timestamp (LC405), on top of "
    "the common spellings (`created_at`/`updated_at`, `created`/`updated`, `create_date`/"
    "`update_date`, `created_on`/`updated_on`, `inserted_at`, ...).",
)
LAYERS: Final = Option(
    "layers",
    GLOBS_BY_LAYER,
    {},
    "layers",
    "Globs that replace a layer's default folder and file names, or give a layer that "
    "`layer-order` adds its files.",
    shapes_facts=True,
    default_doc="the folder and file names of the table of layers above",
)
LAYER_ORDER: Final = Option(
    "layer-order",
    Kind("a list of layers, highest first", _is_str_list, show=_order),
    ("routes : dependencies", "services", "repositories", "models"),
    "layer_order",
    "The layers from the highest down (LC102: a layer imports only those below it); "
    "`a : b` is one level whose layers may import each other, `shared` is schemas, core "
    "and exceptions, and a name of your own is a layer that `layers` gives globs.",
)
CLOSED_LAYERS: Final = Option(
    "closed-layers",
    Kind("a list of layers", _is_str_list),
    (),
    "closed_layers",
    "Layers of `layer-order` that may not be skipped (LC101): a layer above one imports "
    "the layers below it only through it.",
)
# -- fixes --
FIX: Final = Option(
    "fix",
    BOOL,
    False,
    "fix",
    "Apply fixes as if `--fix` were given (`--no-fix` turns it off).",
)
UNSAFE_FIXES: Final = Option(
    "unsafe-fixes",
    BOOL,
    False,
    "unsafe_fixes",
    "Apply and show unsafe fixes too, as `--unsafe-fixes` does.",
)

# -- adopting layercheck on an existing codebase (issue 16) --
BASELINE: Final = Option(
    "baseline",
    FILE,
    "",
    "baseline",
    "A baseline file (`--write-baseline`): the findings it records are not reported "
    "(`--baseline` replaces it).",
    default_doc="none",
)
MESSAGES: Final = Option(
    "messages",
    MESSAGES_BY_CODE,
    {},
    "messages",
    "Text appended to the findings of a rule (or prefix): where the team wants it fixed.",
)
BANNED_IMPORTS: Final = Option(
    "banned-imports",
    PACKAGES_BY_LAYER,
    {},
    "banned_imports",
    "Packages a layer must not import (LC206), on top of `fastapi` and `starlette` in "
    "services, repositories and models.",
)
ALLOW_IMPORTS: Final = Option(
    "allow-imports",
    Kind("a list of `importer -> imported` module globs", _is_str_list, show=_allowed),
    (),
    "allow_imports",
    "Imports the layer rules accept (`app.api.health -> app.repositories.ping`, "
    "`app.legacy.* -> *`): LC101, LC102, LC104, LC206 and LC706 skip them, and LC004 "
    "reports an entry that matches no import of the project.",
)

OPTIONS: Final[tuple[Option[Any], ...]] = (
    SELECT,
    EXTEND_SELECT,
    IGNORE,
    PREVIEW,
    EXCLUDE,
    EXTEND_EXCLUDE,
    RESPECT_GITIGNORE,
    PER_FILE_IGNORES,
    TARGET_VERSION,
    SRC,
    CACHE_DIR,
    INCLUDE_TYPE_CHECKING_IMPORTS,
    DETECT_ROUTES,
    LAYERS,
    LAYER_ORDER,
    CLOSED_LAYERS,
    FIX,
    UNSAFE_FIXES,
    BASELINE,
    UPGRADING,
    TIMESTAMP_COLUMNS,
    MESSAGES,
    BANNED_IMPORTS,
    ALLOW_IMPORTS,
)
BY_NAME: Final[Mapping[str, Option[Any]]] = {option.name: option for option in OPTIONS}
