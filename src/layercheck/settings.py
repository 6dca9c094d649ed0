"""Resolved settings for one configuration folder: config file values + CLI overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Final

from layercheck.config import ConfigError, RawConfig
from layercheck.globs import Glob
from layercheck.layers import Layer, LayerMap
from layercheck.selection import Catalog, RuleSelection, SelectorError, resolve_layers

DEFAULT_EXCLUDE: Final = (
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
)


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
    no_cache: bool = False
    cache_dir: Path | None = None
    """`--cache-dir`, absolute; it replaces the config's `cache-dir`."""


@dataclass(frozen=True)
class Settings:
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
    catalog: Catalog = field(default_factory=lambda: Catalog((), frozenset()))
    force_exclude: bool = False
    cache: bool = True
    """False with `--no-cache`: the facts cache is neither read nor written."""

    @cached_property
    def active_codes(self) -> frozenset[str]:
        return resolve_layers(self.catalog, self.selections, preview=self.preview)

    @cached_property
    def layer_map(self) -> LayerMap:
        return LayerMap(self.layers)

    def relative(self, path: Path) -> PurePosixPath | None:
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
        return any(glob.matches(relative, ancestors=ancestors) for glob in self.exclude)

    def ignored_codes(self, path: Path) -> tuple[str, ...]:
        relative = self.relative(path)
        found: list[str] = []
        for glob, codes in self.per_file_ignores:
            if (relative is not None and glob.matches(relative)) or glob.matches(
                PurePosixPath(path.name)
            ):
                found.extend(codes)
        return tuple(found)

    def describe(self) -> list[tuple[str, object]]:
        selectors: list[tuple[str, object]] = []
        for number, selection in enumerate(self.selections):
            source = "" if number == 0 else "command-line "
            if number == 0 or selection.select is not None:
                selectors.append((f"{source}select", list(selection.select or ("LC",))))
            if number == 0 or selection.extend_select:
                selectors.append((f"{source}extend-select", list(selection.extend_select)))
            if number == 0 or selection.ignore:
                selectors.append((f"{source}ignore", list(selection.ignore)))
        return [
            ("config", str(self.config_path) if self.config_path else None),
            ("root", str(self.root)),
            *selectors,
            ("preview", self.preview),
            ("active", sorted(self.active_codes)),
            ("exclude", [g.pattern for g in self.exclude]),
            ("per-file-ignores", {g.pattern: list(c) for g, c in self.per_file_ignores}),
            ("target-version", f"py3{self.target_version[1]}"),
            ("src", [str(p) for p in self.src]),
            ("cache-dir", str(self.cache_dir)),
            ("include-type-checking-imports", self.include_type_checking_imports),
            ("detect-routes", self.detect_routes),
            ("layers", {k.value: [g.pattern for g in v] for k, v in self.layers.items()}),
        ]


def _strings(values: Mapping[str, object], key: str) -> tuple[str, ...] | None:
    value = values.get(key)
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return None


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


def build_settings(raw: RawConfig, root: Path, overrides: Overrides, catalog: Catalog) -> Settings:
    values = raw.values
    where = raw.path
    prefix = "tool.layercheck." if where is not None and where.name == "pyproject.toml" else ""

    def codes(key: str) -> tuple[str, ...] | None:
        found = _strings(values, key)
        return None if found is None else _check_codes(catalog, found, where, prefix + key)

    from_file = RuleSelection(
        select=codes("select"),
        extend_select=codes("extend-select") or (),
        ignore=codes("ignore") or (),
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

    exclude = overrides.exclude or _strings(values, "exclude") or DEFAULT_EXCLUDE
    exclude = (*exclude, *(_strings(values, "extend-exclude") or ()), *overrides.extend_exclude)

    per_file: list[tuple[Glob, tuple[str, ...]]] = []
    table = values.get("per-file-ignores")
    if isinstance(table, dict):
        for pattern, listed in table.items():
            checked = _check_codes(
                catalog, tuple(listed), where, f"{prefix}per-file-ignores.{pattern}"
            )
            per_file.append((Glob(pattern), checked))

    target = overrides.target_version or str(values.get("target-version", "py310"))
    preview = values.get("preview") is True
    if overrides.preview is not None:
        preview = overrides.preview
    src = tuple(root / item for item in (_strings(values, "src") or (".", "src")))
    cache_dir = overrides.cache_dir or root / str(values.get("cache-dir", ".layercheck_cache"))
    return Settings(
        root=root,
        config_path=where,
        selections=(from_file, from_command_line),
        preview=preview,
        exclude=tuple(Glob(pattern) for pattern in exclude),
        per_file_ignores=tuple(per_file),
        target_version=(3, int(target[3:])),
        src=tuple(p.resolve() for p in src),
        cache_dir=cache_dir,
        include_type_checking_imports=values.get("include-type-checking-imports") is True,
        detect_routes=values.get("detect-routes", True) is not False,
        layers={layer: tuple(Glob(p) for p in globs) for layer, globs in raw.layers.items()},
        catalog=catalog,
        force_exclude=overrides.force_exclude,
        cache=not overrides.no_cache,
    )
