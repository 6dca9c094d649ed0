"""Paths to Python files: recursion, excludes, explicit paths, symlink loops."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from layercheck.config.workspace import Workspace

PY_SUFFIXES = (".py",)


class MissingPathError(Exception):
    pass


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _absolute(path: Path, cwd: Path) -> Path:
    return Path(os.path.normpath(path if path.is_absolute() else cwd / path))


def discover(
    paths: Iterable[Path],
    workspace: Workspace,
    *,
    warn: Callable[[str], None] | None = None,
) -> Discovery:
    """Files to check, in a stable order. An explicit file is checked even when excluded
    (ruff's behaviour) unless `--force-exclude` is on."""
    result = Discovery()
    seen: set[Path] = set()
    paths = list(paths)
    workspace.add_anchors(_absolute(given, workspace.cwd) for given in paths)

    def note(message: str) -> None:
        result.warnings.append(message)
        if warn is not None:
            warn(message)

    for given in paths:
        path = _absolute(given, workspace.cwd)
        try:
            info = path.stat()
        except OSError as exc:
            if path.is_symlink():
                note(f"{given}: symlink cannot be followed ({exc.strerror}), skipped")
                continue
            raise MissingPathError(f"{given}: no such file or folder") from None
        settings = workspace.settings_for(path)
        if not os.path.isdir(path):
            if settings.force_exclude and settings.is_excluded(path):
                continue
            if path not in seen:
                seen.add(path)
                result.files.append(path)
            continue
        if settings.force_exclude and settings.is_excluded(path):
            continue
        _walk(path, workspace, result, seen, {(info.st_dev, info.st_ino)}, note)
    return result


def _walk(
    folder: Path,
    workspace: Workspace,
    result: Discovery,
    seen: set[Path],
    visiting: set[tuple[int, int]],
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
            _walk(path, workspace, result, seen, visiting | {key}, note)
        elif entry.name.endswith(PY_SUFFIXES) and path not in seen:
            seen.add(path)
            result.files.append(path)
