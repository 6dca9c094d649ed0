"""Resolved settings for one configuration folder: config file values + CLI overrides."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Final

from layercheck.config.allowed_imports import (
    NO_ALLOWED_IMPORTS,
    AllowedImport,
    AllowedImportError,
    AllowedImports,
)
from layercheck.config.errors import ConfigError
from layercheck.config.globs import Glob, GlobError, any_match
from layercheck.config.libraries import Declared, declared_versions
from layercheck.config.loading import PYPROJECT_PREFIX, RawConfig
from layercheck.config.options import (
    ALLOW_IMPORTS,
    BANNED_IMPORTS,
    BASELINE,
    CACHE_DIR,
    CLOSED_LAYERS,
    DETECT_ROUTES,
    EXCLUDE,
    EXTEND_EXCLUDE,
    EXTEND_SELECT,
    FIX,
    IGNORE,
    INCLUDE_TYPE_CHECKING_IMPORTS,
    LAYER_ORDER,
    LAYERS,
    MESSAGES,
    OPTIONS,
    PER_FILE_IGNORES,
    PREVIEW,
    RESPECT_GITIGNORE,
    SELECT,
    SRC,
    TARGET_VERSION,
    TIMESTAMP_COLUMNS,
    UNSAFE_FIXES,
    UPGRADING,
)
from layercheck.config.selection import Catalog, RuleSelection, SelectorError, resolve_layers
from layercheck.layer_order import LayerOrder, LayerOrderError
from layercheck.layers import BUILTIN_LAYERS, SUPPORT_DIRS, TEST_DIRS, Layer, LayerMap

_ORDERED: Final = tuple(layer.value for layer in BUILTIN_LAYERS if layer is not Layer.MIGRATIONS)
"""The built-in layers `layer-order` may name."""
DEFAULT_ORDER: Final = LayerOrder.parse(LAYER_ORDER.default, (), _ORDERED)


@dataclass(frozen=True, slots=True)
class Overrides:
    """What the command line says; None means "not given"."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    preview: bool | None = None
    target_version: str | None = None
    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    force_exclude: bool = False
    respect_gitignore: bool | None = None
    no_cache: bool = False
    cache_dir: Path | None = None
    """`--cache-dir`, absolute; it replaces the config's `cache-dir`."""
    # -- adopting layercheck on an existing codebase (issue 16) --
    ignore_noqa: bool = False
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """`--per-file-ignores PATTERN:CODES`, on top of the config's."""
    values: tuple[tuple[str, object], ...] = ()
    """`--config KEY=VALUE`: validated keys that replace the config file's."""


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one folder: a field for each `Option.setting` of the
    rows in `config.options`, where they come from (root, config_path), and what only the
    command line sets (force_exclude, cache)."""

    root: Path
    """The folder relative paths are taken from: the config file's folder or the project's."""
    config_path: Path | None
    selections: tuple[RuleSelection, ...]
    """The config file's selectors, then the command line's (ruff's order of priority)."""
    preview: bool
    exclude: tuple[Glob, ...]
    per_file_ignores: tuple[tuple[Glob, tuple[str, ...]], ...]
    target_version: tuple[int, int]
    src: tuple[Path, ...]
    cache_dir: Path
    include_type_checking_imports: bool
    detect_routes: bool
    layers: Mapping[Layer, tuple[Glob, ...]] = field(default_factory=dict)
    derive_src: bool = False
    """`src` is not set: a folder below the root that holds a packaging file is an import
    root too (see `module_name`)."""
    respect_gitignore: bool = True
    """Skip what `.gitignore`, `.ignore` and `.git/info/exclude` ignore (discovery)."""
    catalog: Catalog = field(default_factory=lambda: Catalog((), frozenset()))
    force_exclude: bool = False
    cache: bool = True
    """False with `--no-cache`: the facts cache is neither read nor written."""
    fix: bool = False
    unsafe_fixes: bool = False
    baseline: Path | None = None
    """The `baseline` key: findings recorded there are not reported."""
    upgrading: tuple[str, ...] = ()
    libraries: Mapping[str, Declared] = field(default_factory=dict)
    timestamp_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Extra column names per timestamp kind (`created`, `updated`) for LC405."""
    """What the project declares of the libraries the rules assume a major of."""

    def excludes_major(self, library: str, major: int) -> Declared | None:
        """The declaration that rules out `major` of `library` (None when allowed, not
        declared, or listed in `upgrading`): rules that assume it stay quiet."""
        found = self.libraries.get(library)
        if found is None or major in found.majors or library in self.upgrading:
            return None
        return found

    ignore_noqa: bool = False
    """`--ignore-noqa`: noqa comments silence nothing."""
    banned_imports: Mapping[Layer, tuple[str, ...]] = field(default_factory=dict)
    """The `banned-imports` table (LC206)."""
    messages: tuple[tuple[str, str], ...] = ()
    """The `messages` table, (code or prefix, text), the most specific first."""
    allow_imports: AllowedImports = NO_ALLOWED_IMPORTS
    layer_order: LayerOrder = DEFAULT_ORDER
    """`layer-order`, with `closed-layers` in it: what LC101 and LC102 judge imports by."""
    closed_layers: tuple[str, ...] = ()
    """`closed-layers` as written (`layer_order.closed` holds the layers)."""
    """The `allow-imports` list: import edges the layer rules accept (LC004 keeps it honest)."""

    def message_for(self, code: str) -> str | None:
        for prefix, text in self.messages:
            if code.startswith(prefix):
                return text
        return None

    @cached_property
    def active_codes(self) -> frozenset[str]:
        return resolve_layers(self.catalog, self.selections, preview=self.preview)

    @cached_property
    def layer_map(self) -> LayerMap:
        return LayerMap(self.layers)

    @cached_property
    def _root_prefix(self) -> str | None:
        """`root` as text ending in `/`, for `relative`; None where comparing text would
        not do what `relative_to` does (a root of no parts, `//`, another separator)."""
        text = str(self.root)
        if os.sep != "/" or not self.root.parts or text.startswith("//"):
            return None
        return text if text == "/" else f"{text}/"

    def relative(self, path: Path) -> PurePosixPath | None:
        """`path` below `root`, None outside it: `relative_to` on the paths' text, which
        both hold normalised (asked for every file found and checked; `relative_to`
        compares lists of parts, several times slower)."""
        prefix = self._root_prefix
        if prefix is not None:
            text = str(path)
            if text.startswith("//"):
                pass  # a root of its own: left to `relative_to`
            elif text.startswith(prefix):
                return PurePosixPath(text[len(prefix) :])
            else:
                return PurePosixPath(".") if f"{text}/" == prefix else None
        try:
            return PurePosixPath(path.relative_to(self.root).as_posix())
        except ValueError:
            return None

    def is_excluded(self, path: Path, *, ancestors: bool = True) -> bool:
        """True when an exclude pattern matches the path or, with `ancestors`, a folder
        above it. A folder walk passes `ancestors=False`: the folders above an entry were
        let through already or were given explicitly, and ruff checks the inside of an
        excluded folder that is passed on the command line."""
        # Outside the root only the name can match.
        relative = self.relative(path) or PurePosixPath(path.name)
        return any_match(self.exclude, relative, ancestors=ancestors)

    def ignored_codes(self, path: Path) -> tuple[str, ...]:
        if not self.per_file_ignores:
            return ()  # asked for every file checked: no path made relative for nothing
        relative = self.relative(path)
        found: list[str] = []
        for glob, codes in self.per_file_ignores:
            if (relative is not None and glob.matches(relative)) or glob.matches(
                PurePosixPath(path.name)
            ):
                found.extend(codes)
        return tuple(found)

    def findings_inputs(self) -> dict[str, object]:
        """What shapes findings besides the keys `describe` shows: the command line's
        `--ignore-noqa`, and the library versions the project declares (a lock file that
        moves to Pydantic 2 turns its rules on), and with `allow-imports` the config file's
        bytes. The findings cache's key."""
        inputs: dict[str, object] = {
            "settings": self.describe(),
            "ignore_noqa": self.ignore_noqa,
            "libraries": {
                name: [sorted(found.majors), found.source]
                for name, found in sorted(self.libraries.items())
            },
        }
        if self.allow_imports and self.config_path is not None:
            # LC004 reports in the config file: where its entries and noqa comments are.
            try:
                inputs["config"] = hashlib.sha256(self.config_path.read_bytes()).hexdigest()
            except OSError:
                inputs["config"] = None
        return inputs

    def describe(self) -> list[tuple[str, object]]:
        """What --show-settings prints: where the settings come from, then each key's
        resolved value in the order of the rows, the rules that run after what decides
        them."""
        shown: list[tuple[str, object]] = [
            ("config", str(self.config_path) if self.config_path else None),
            ("root", str(self.root)),
        ]
        done: set[str] = set()
        for option in OPTIONS:
            if option.setting in done:
                continue
            done.add(option.setting)
            if option.setting == "selections":
                shown.extend(self._selectors())
            else:
                shown.append((option.name, option.kind.show(getattr(self, option.setting))))
            if option is PREVIEW:
                shown.append(("active", sorted(self.active_codes)))
        return shown

    def _selectors(self) -> list[tuple[str, object]]:
        shown: list[tuple[str, object]] = []
        for number, selection in enumerate(self.selections):
            source = "" if number == 0 else "command-line "
            if number == 0 or selection.select is not None:
                shown.append((f"{source}{SELECT.name}", list(selection.select or SELECT.default)))
            if number == 0 or selection.extend_select:
                shown.append((f"{source}{EXTEND_SELECT.name}", list(selection.extend_select)))
            if number == 0 or selection.ignore:
                shown.append((f"{source}{IGNORE.name}", list(selection.ignore)))
        return shown

    def facts_inputs(self) -> dict[str, object]:
        """Everything here that shapes a file's facts besides its path and bytes (the
        root, and the rows that say `shapes_facts`), as JSON: the facts cache's key."""
        shape: dict[str, object] = {"root": str(self.root)}
        for option in OPTIONS:
            if option.shapes_facts:
                shape[option.name] = option.kind.show(getattr(self, option.setting))
        return shape


def _check_codes(
    catalog: Catalog, codes: tuple[str, ...], where: Path | None, key: str
) -> tuple[str, ...]:
    checked: list[str] = []
    for code in codes:
        try:
            checked.append(catalog.check(code))
        except SelectorError as exc:
            raise ConfigError(where, key, str(exc)) from None
    return tuple(checked)


def _glob(pattern: str, where: Path | None, key: str) -> Glob:
    try:
        return Glob(pattern)
    except GlobError as exc:
        raise ConfigError(where, key, f"bad glob {pattern!r}: {exc}") from None


def _allowed_imports(entries: Sequence[str], where: Path | None, key: str) -> AllowedImports:
    parsed: list[AllowedImport] = []
    for entry in entries:
        try:
            parsed.append(AllowedImport.parse(entry))
        except AllowedImportError as exc:
            raise ConfigError(where, key, f"bad entry {entry!r}: {exc}") from None
    return AllowedImports(tuple(parsed))


def _layer_order(
    values: Mapping[str, object],
    names: Sequence[str],
    where: Path | None,
    prefix: str,
    given: Collection[str],
) -> LayerOrder:
    """The configured stack; `names` are the layers the `layers` table gives globs, `given`
    the keys the command line sets (`--config KEY=VALUE`)."""
    known = [*_ORDERED, *(name for name in names if name not in _ORDERED)]
    order = LAYER_ORDER.value(values)

    def fail(key: str, exc: LayerOrderError) -> ConfigError:
        if key in given:
            return ConfigError(None, f"--config {key}", str(exc))
        return ConfigError(where, prefix + key, str(exc))

    try:
        LayerOrder.parse(order, (), known)
    except LayerOrderError as exc:
        raise fail(LAYER_ORDER.name, exc) from None
    try:
        return LayerOrder.parse(order, CLOSED_LAYERS.value(values), known)
    except LayerOrderError as exc:
        raise fail(CLOSED_LAYERS.name, exc) from None


def build_settings(raw: RawConfig, root: Path, overrides: Overrides, catalog: Catalog) -> Settings:
    values = {**raw.values, **dict(overrides.values)}
    where = raw.path
    prefix = PYPROJECT_PREFIX if where is not None and where.name == "pyproject.toml" else ""

    def codes(found: tuple[str, ...], key: str) -> tuple[str, ...]:
        return _check_codes(catalog, found, where, prefix + key)

    select = SELECT.given(values)
    from_file = RuleSelection(
        select=None if select is None else codes(tuple(select), SELECT.name),
        extend_select=codes(tuple(EXTEND_SELECT.value(values)), EXTEND_SELECT.name),
        ignore=codes(tuple(IGNORE.value(values)), IGNORE.name),
    )
    # A second source, as in ruff: a command-line `--select` starts over, discarding the
    # file's select, extend-select and ignore; `--extend-select`/`--ignore` adjust them.
    from_command_line = RuleSelection(
        select=None
        if overrides.select is None
        else _check_codes(catalog, overrides.select, None, "--select"),
        extend_select=_check_codes(catalog, overrides.extend_select, None, "--extend-select"),
        ignore=_check_codes(catalog, overrides.ignore, None, "--ignore"),
    )

    # An empty `exclude` or `src` list keeps the default, as an unset one does.
    excludes: list[Glob] = []
    if overrides.exclude:
        excludes.extend(_glob(p, None, "--exclude") for p in overrides.exclude)
    elif EXCLUDE.value(values):
        excludes.extend(_glob(p, where, prefix + EXCLUDE.name) for p in EXCLUDE.value(values))
    else:
        excludes.extend(Glob(p) for p in EXCLUDE.default)
    extend = EXTEND_EXCLUDE.value(values)
    excludes.extend(_glob(p, where, prefix + EXTEND_EXCLUDE.name) for p in extend)
    excludes.extend(_glob(p, None, "--extend-exclude") for p in overrides.extend_exclude)

    per_file: list[tuple[Glob, tuple[str, ...]]] = []
    for pattern, listed in PER_FILE_IGNORES.value(values).items():
        checked = codes(tuple(listed), f"{PER_FILE_IGNORES.name}.{pattern}")
        per_file.append((_glob(pattern, where, prefix + PER_FILE_IGNORES.name), checked))
    for pattern, listed in overrides.per_file_ignores:
        checked = _check_codes(catalog, listed, None, "--per-file-ignores")
        per_file.append((_glob(pattern, None, "--per-file-ignores"), checked))

    target = overrides.target_version or TARGET_VERSION.value(values)
    preview = PREVIEW.value(values)
    if overrides.preview is not None:
        preview = overrides.preview
    src = tuple(root / item for item in (SRC.value(values) or SRC.default))
    cache_dir = overrides.cache_dir or root / CACHE_DIR.value(values)
    respect_gitignore = RESPECT_GITIGNORE.value(values)
    if overrides.respect_gitignore is not None:
        respect_gitignore = overrides.respect_gitignore
    return Settings(
        root=root,
        config_path=where,
        selections=(from_file, from_command_line),
        preview=preview,
        exclude=tuple(excludes),
        per_file_ignores=tuple(per_file),
        target_version=(3, int(target[3:])),
        src=tuple(p.resolve() for p in src),
        derive_src=not SRC.given(values),
        cache_dir=cache_dir,
        include_type_checking_imports=INCLUDE_TYPE_CHECKING_IMPORTS.value(values),
        detect_routes=DETECT_ROUTES.value(values),
        layers={
            Layer(name): tuple(_glob(p, where, f"{prefix}{LAYERS.name}.{name}") for p in globs)
            for name, globs in LAYERS.value(values).items()
        },
        respect_gitignore=respect_gitignore,
        catalog=catalog,
        force_exclude=overrides.force_exclude,
        cache=not overrides.no_cache,
        fix=FIX.value(values),
        unsafe_fixes=UNSAFE_FIXES.value(values),
        baseline=root / BASELINE.value(values) if BASELINE.value(values) else None,
        upgrading=tuple(UPGRADING.value(values)),
        libraries=declared_versions(
            root, TEST_DIRS | SUPPORT_DIRS, None if overrides.no_cache else cache_dir
        ),
        timestamp_columns={
            kind: tuple(names) for kind, names in TIMESTAMP_COLUMNS.value(values).items()
        },
        ignore_noqa=overrides.ignore_noqa,
        banned_imports={
            Layer(name): tuple(packages) for name, packages in BANNED_IMPORTS.value(values).items()
        },
        layer_order=_layer_order(
            values, list(LAYERS.value(values)), where, prefix, dict(overrides.values)
        ),
        closed_layers=tuple(CLOSED_LAYERS.value(values)),
        allow_imports=_allowed_imports(
            ALLOW_IMPORTS.value(values),
            None if ALLOW_IMPORTS.name in dict(overrides.values) else where,
            ("--config " if ALLOW_IMPORTS.name in dict(overrides.values) else prefix)
            + ALLOW_IMPORTS.name,
        ),
        messages=tuple(
            sorted(
                zip(
                    codes(tuple(MESSAGES.value(values)), MESSAGES.name),
                    MESSAGES.value(values).values(),
                    strict=True,
                ),
                key=lambda pair: -len(pair[0]),
            )
        ),
    )
