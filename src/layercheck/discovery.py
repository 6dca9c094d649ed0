"""Paths to Python files: recursion, excludes, explicit paths, symlink loops. Each file
comes back as one record with what its path and configuration say of it (its settings,
module name and path layer), looked up once for the whole run."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from layercheck.config.settings import Settings
from layercheck.config.workspace import Workspace, module_name
from layercheck.layers import Layer, path_layer

PY_SUFFIXES = (".py",)


class MissingPathError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to check or to index, and what its path says of it under its settings."""

    path: Path
    settings: Settings
    """The configuration that governs the file (the nearest config file's)."""
    module: str
    is_package: bool
    path_layer: Layer | None
    """The layer its path gives (a module's content may still give one: see the index)."""
    layer_folder: str | None
    """The folder whose name gave `path_layer` (None when the file's own name did)."""
    is_test: bool


def source_file(path: Path, settings: Settings) -> SourceFile:
    """The record of the file at `path` (absolute), governed by `settings`."""
    module, is_package = module_name(path, settings)
    layer, is_test, folder = path_layer(
        path, relative=settings.relative(path), root=settings.root, layer_map=settings.layer_map
    )
    return SourceFile(path, settings, module, is_package, layer, folder, is_test)


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _absolute(path: Path, cwd: Path) -> Path:
    return Path(os.path.normpath(path if path.is_absolute() else cwd / path))


def discover(
    paths: Iterable[Path],
    workspace: Workspace,
    *,
    warn: Callable[[str], None] | None = None,
    known: Iterable[SourceFile] = (),
) -> Discovery:
    """Files to check, in a stable order. An explicit file is checked even when excluded
    (ruff's behaviour) unless `--force-exclude` is on. `known`: records this run made
    already, handed back for their files rather than made again."""
    result = Discovery()
    seen: set[Path] = set()
    made = {file.path: file for file in known}
    paths = list(paths)
    workspace.add_anchors(_absolute(given, workspace.cwd) for given in paths)

    def note(message: str) -> None:
        result.warnings.append(message)
        if warn is not None:
            warn(message)

    def add(path: Path, settings: Settings) -> None:
        if path not in seen:
            seen.add(path)
            record = made.get(path)
            result.files.append(record if record is not None else source_file(path, settings))

    for given in paths:
        path = _absolute(given, workspace.cwd)
        try:
            info: os.stat_result | None = path.stat()
        except OSError:
            if not path.is_symlink():
                raise MissingPathError(f"{given}: no such file or folder") from None
            # A broken or looping symlink named explicitly is a file that cannot be read:
            # LC002 says why, and the other paths are still checked.
            info = None
        settings = workspace.settings_for(path)
        if info is None or not os.path.isdir(path):
            if settings.force_exclude and settings.is_excluded(path):
                continue
            add(path, settings)
            continue
        if settings.force_exclude and settings.is_excluded(path):
            continue
        assert info is not None
        _walk(path, workspace, {(info.st_dev, info.st_ino)}, add, note)
    return result


def _walk(
    folder: Path,
    workspace: Workspace,
    visiting: set[tuple[int, int]],
    add: Callable[[Path, Settings], None],
    note: Callable[[str], None],
) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        note(f"{folder}: cannot list folder ({exc.strerror}), skipped")
        return
    for entry in entries:
        path = folder / entry.name
        try:
            is_dir = entry.is_dir()
            is_file = entry.is_file()
        except OSError:
            is_dir = is_file = False
        if not is_dir and not is_file:
            if entry.is_symlink() and entry.name.endswith(PY_SUFFIXES):
                note(f"{path}: broken or looping symlink, skipped")
            continue
        settings = workspace.settings_for(path if is_dir else folder)
        if settings.is_excluded(path, ancestors=False):
            continue
        if is_dir:
            try:
                info = entry.stat()
            except OSError as exc:
                note(f"{path}: cannot follow ({exc.strerror}), skipped")
                continue
            key = (info.st_dev, info.st_ino)
            if key in visiting:
                note(f"{path}: symlink loop, skipped")
                continue
            _walk(path, workspace, visiting | {key}, add, note)
        elif entry.name.endswith(PY_SUFFIXES):
            add(path, settings)


def stdin_file(name: Path, workspace: Workspace) -> SourceFile | None:
    """The file that source read from stdin stands for (`--stdin-filename`); None when
    that name is excluded with `--force-exclude` (as in ruff, excludes apply to the
    stdin file name only then)."""
    path = _absolute(name, workspace.cwd)
    workspace.add_anchors([path])
    settings = workspace.settings_for(path.parent)
    if settings.force_exclude and settings.is_excluded(path):
        return None
    return source_file(path, settings)
