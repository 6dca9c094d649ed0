"""Settings per folder (nearest config file), project roots, module names."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from layercheck.config import files
from layercheck.config.errors import ConfigError
from layercheck.config.files import find_config, find_git_root, find_project_marker
from layercheck.config.loading import RawConfig, read_config
from layercheck.config.selection import Catalog
from layercheck.config.settings import Overrides, Settings, build_settings


def forget_files() -> None:
    """Drop what this process remembers of config and packaging files: a long-lived
    process (the language server) reads them again after one changes."""
    files.forget()
    read_config.cache_clear()


@dataclass
class Workspace:
    """Answers "which settings govern this file?" the way ruff does: the nearest config
    file above it, unless `--config` names one or `--isolated` ignores them all."""

    catalog: Catalog
    overrides: Overrides = field(default_factory=Overrides)
    config_file: Path | None = None
    isolated: bool = False
    cwd: Path = field(default_factory=Path.cwd)
    _by_config: dict[Path | None, Settings] = field(default_factory=dict)
    _by_folder: dict[Path, Settings] = field(default_factory=dict)
    _fallback_roots: dict[Path, Settings] = field(default_factory=dict)
    _anchors: list[Path] = field(default_factory=list)

    def add_anchors(self, paths: Iterable[Path]) -> None:
        """Explicit arguments: a project without config or git starts at the outermost."""
        for path in paths:
            folder = path if path.is_dir() else path.parent
            if folder not in self._anchors:
                self._anchors.append(folder)
        self._anchors.sort(key=lambda p: len(p.parts))

    def settings_for(self, path: Path) -> Settings:
        """Settings for a file or folder (absolute path)."""
        folder = path if path.is_dir() else path.parent
        cached = self._by_folder.get(folder)
        if cached is not None:
            return cached
        if self.config_file is not None:
            settings = self._from_config(self.config_file.resolve())
        elif self.isolated:
            settings = self._without_config(self.project_root(folder))
        else:
            found = find_config(folder)
            if found is not None:
                settings = self._from_config(found)
            else:
                settings = self._without_config(self.project_root(folder))
        self._by_folder[folder] = settings
        return settings

    def project_root(self, folder: Path) -> Path:
        """Where a project without a config file starts: the nearest folder with a
        `pyproject.toml`, `setup.py` or `setup.cfg`, else its git root, else the folder
        that holds the outermost package (`__init__.py` chain) above the file, else the
        outermost path given. Never the working folder: the same tree checked from
        anywhere gets the same layers and module names."""
        if not self.isolated:
            found = find_config(folder)
            if found is not None:
                return found.parent
        marked = find_project_marker(folder) or find_git_root(folder)
        if marked is not None:
            return marked
        package_root = _above_outermost_package(folder)
        if package_root is not None:
            return package_root
        for anchor in self._anchors:
            if anchor == folder or anchor in folder.parents:
                return anchor
        return folder

    def has_project_root(self, folder: Path) -> bool:
        """True when a config file, a packaging file or a git root marks where the
        project starts (then its other files feed the index too)."""
        if not self.isolated and find_config(folder) is not None:
            return True
        return find_project_marker(folder) is not None or find_git_root(folder) is not None

    def _from_config(self, path: Path) -> Settings:
        cached = self._by_config.get(path)
        if cached is None:
            raw = read_config(path)
            cached = build_settings(raw, path.parent, self.overrides, self.catalog)
            self._by_config[path] = cached
        return cached

    def _without_config(self, root: Path) -> Settings:
        cached = self._fallback_roots.get(root)
        if cached is None:
            raw = RawConfig(None)
            packaging = root / "pyproject.toml"
            if not self.isolated and packaging.is_file():
                # No [tool.layercheck] here, but its requires-python (or Poetry's python)
                # still tells the target version.
                # A packaging file we cannot read configures nothing of ours.
                with contextlib.suppress(ConfigError):
                    raw = RawConfig(None, read_config(packaging).values)
            cached = build_settings(raw, root, self.overrides, self.catalog)
            self._fallback_roots[root] = cached
        return cached


def _above_outermost_package(folder: Path) -> Path | None:
    """The parent of the outermost folder of the `__init__.py` chain holding `folder`, as
    type checkers find the root a package is imported from."""
    top: Path | None = None
    current = folder
    while (current / "__init__.py").is_file() and current.parent != current:
        top = current
        current = current.parent
    return None if top is None else top.parent


def module_name(path: Path, settings: Settings) -> tuple[str, bool]:
    """(dotted module name, is_package) from the deepest `src` root holding the file (when
    `src` is not set, a folder below the root with a packaging file counts as one);
    outside every root, from the chain of `__init__.py` folders above it."""
    is_package = path.name == "__init__.py"
    best: Path | None = None
    # A copy's parts: the file's own `Path` would keep the tuple (0.1 KiB a file, held
    # for the run and inherited by every worker).
    whole = PurePath(path).parts
    roots = settings.src
    if settings.derive_src:
        # A `server/pyproject.toml` under a config at the repository's top: the code in
        # `server/polar/` is installed from `server/` and imports itself as `polar.x`, as
        # type checkers and pip see it, not `server.polar.x`.
        marked = find_project_marker(path.parent)
        if marked is not None and settings.root in marked.parents:
            roots = (*roots, marked)
    for root in roots:
        depth = len(root.parts)
        # `root in path.parents` without building every parent (Windows paths compare
        # without case: there, the slow way).
        inside = depth < len(whole) and (
            whole[:depth] == root.parts or (os.name == "nt" and root in path.parents)
        )
        if inside and (best is None or depth > len(best.parts)):
            best = root
    if best is not None:
        parts = [*whole[len(best.parts) : -1], path.stem]
    else:
        parts = [path.stem]
        folder = path.parent
        while (folder / "__init__.py").is_file() and folder.parent != folder:
            parts.insert(0, folder.name)
            folder = folder.parent
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package
