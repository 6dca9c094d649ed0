"""The tree cache: a project's file list and each file's record (module, path layer),
kept with what the walk that found them rested on, so that a run over one file of an
unchanged project stats the project's folders instead of listing them and matching
every path against the excludes and ignore files.

The walk's outcome is a function of the entries of each folder it listed, the ignore
files it read, and the settings that govern each folder it saw. A folder's mtime
changes whenever an entry is added, removed or renamed in it (a new file, a deleted
one, a renamed folder, a new `.gitignore` or config file); an ignore file's content is
known by its (mtime, size); the settings are resolved again for every folder (config
files are read afresh by every run) and compared by key. When all of these are as
recorded, the walk would find the same files with the same records.

A folder or ignore file modified within the filesystem's timestamp granularity of the
walk is recorded without an mtime, so the next run walks again (as the facts cache does
with racily clean files). Like the other caches: JSON, never pickle; a file that is
damaged, edited (it carries a checksum), of another version or root is ignored and
rewritten; writes go to a temporary file renamed over the old.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Final

from layercheck.cache import NO_MTIME, RACY_NS, VERSION, prepare_directory
from layercheck.config.files import find_git_root
from layercheck.config.settings import Settings
from layercheck.config.workspace import Workspace
from layercheck.discovery import SourceFile, WalkLog
from layercheck.envelope import seal, unseal, write_atomic
from layercheck.envelope import sha256_hex as _sha256
from layercheck.layers import Layer

_LAYERS: Final = {layer.value: layer for layer in Layer}
SettingsKey = Callable[[Settings], str]
Stat = list[int] | None
"""[mtime_ns, size] of a file (mtime NO_MTIME when it may still change unseen), None
when there is none."""


def cache_file(directory: Path, root: Path) -> Path:
    tag = hashlib.sha256(str(root).encode()).hexdigest()[:12]
    return directory / f"tree-{VERSION}-{tag}.json"


def _stat_of(status: os.stat_result | None, now: int) -> Stat:
    if status is None:
        return None
    mtime = status.st_mtime_ns
    return [NO_MTIME if abs(now - mtime) < RACY_NS else mtime, status.st_size]


def _current(path: str) -> Stat:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return [status.st_mtime_ns, status.st_size]


def _init_chain(root: Path) -> list[str]:
    """The `__init__.py` files of the folders above the root: a module name built from
    the chain of packages above a file may reach past the root."""
    return [str(folder / "__init__.py") for folder in root.parents]


def _foreign(folder: str) -> list[str] | None:
    """The entries of the cache folder that are not the caches' own files (those change
    on every run that writes one, and are no Python files), sorted; None when it cannot
    be listed."""
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    return sorted(name for name in names if not _own(name))


def _own(name: str) -> bool:
    if name in ("CACHEDIR.TAG", ".gitignore"):
        return True
    if name.startswith(".") and name.endswith(".tmp"):
        return True  # write_atomic's temporary files
    return name.endswith(".json") and name.split("-", 1)[0] in _CACHE_FILES


_CACHE_FILES: Final = frozenset(
    {
        "facts",
        "records",
        "findings",
        "reads",
        "tree",
        "flake8",
        "libraries",
        "roots",
        "index",
        "warm",
    }
)
"""The prefixes of the caches' files. One missing (the index state's, the warm record's)
made a stranger of a file every run that wrote one changed, and the next run that was not
warm walked the whole project again (the first run on one file after a full run)."""


def _key(settings: Settings, key: SettingsKey) -> str:
    return f"{key(settings)}:{settings.respect_gitignore}:{settings.force_exclude}"


class TreeCache:
    """The files a walk of one project root found, as last recorded."""

    def __init__(self, directory: Path, root: Path) -> None:
        self.directory = directory
        self.root = root
        self.path = cache_file(directory, root)

    def files(
        self, workspace: Workspace, key: SettingsKey, known: Mapping[str, SourceFile]
    ) -> list[SourceFile] | None:
        """The files of the last walk, in its order (the records of `known` for their
        files), when nothing it rested on changed; else None."""
        payload = self._payload()
        if payload is None:
            return None
        try:
            return _restore(payload, self.root, workspace, key, known)
        except (ValueError, TypeError, KeyError, IndexError, OSError):
            return None

    def rested_on(self) -> tuple[list[str], list[str]] | None:
        """The folders the last walk listed and the ignore and `__init__.py` files it
        read, as recorded (the flake8 plugin's warm findings rest on them too)."""
        payload = self._payload()
        if payload is None:
            return None
        folders, stats = payload.get("folders"), payload.get("stats")
        if not isinstance(folders, dict) or not isinstance(stats, dict):
            return None
        return [str(name) for name in folders], [str(name) for name in stats]

    def _payload(self) -> dict[str, object] | None:
        try:
            opened = unseal(self.path.read_bytes(), "sha256", _sha256)
            if opened is None:
                return None
            header, text = opened
            if header.get("layercheck") != VERSION or header.get("root") != str(self.root):
                return None
            payload = json.loads(text)
        except (OSError, ValueError, RecursionError):
            return None
        return payload if isinstance(payload, dict) else None

    def record(
        self, files: Iterable[SourceFile], log: WalkLog, key: SettingsKey, workspace: Workspace
    ) -> None:
        """Keep what a walk of the root found and what it rested on (OSError when the
        file cannot be written). A walk that warned rested on more (a symlink's target,
        a folder's permissions): it is not kept, and the walk before it is forgotten."""
        if log.notes:
            self.path.unlink(missing_ok=True)
            return
        now = time.time_ns()
        folders: dict[str, int] = {}
        # The cache folder inside the project changes with every run that writes a
        # cache: it is known by its other entries instead.
        own: dict[str, list[str] | None] = {}
        for folder, status in log.listed:
            if folder == Path(os.path.abspath(self.directory)):
                own[str(folder)] = _foreign(str(folder))
                continue
            stat = _stat_of(status, now)
            folders[str(folder)] = NO_MTIME if stat is None else stat[0]
        settled: dict[str, str] = {}
        for folder in [*(listed for listed, _ in log.listed), *log.settled]:
            settled.setdefault(str(folder), _key(workspace.settings_for(folder), key))
        stats = {str(file): _stat_of(status, now) for file, status in log.ignore_files}
        for name in _init_chain(self.root):
            stats.setdefault(name, _stat_of(_status(name), now))
        git = find_git_root(self.root)
        records = [
            [
                file.name,
                file.module,
                file.is_package,
                None if file.path_layer is None else file.path_layer.value,
                file.layer_folder,
                file.is_test,
                file.layer_given,
                file.outer_layers,
            ]
            for file in files
        ]
        payload = {
            "git": None if git is None else str(git),
            "folders": folders,
            "own": own,
            "settings": settled,
            "stats": stats,
            "files": records,
        }
        text = json.dumps(payload, separators=(",", ":"))
        header = {"layercheck": VERSION, "root": str(self.root)}
        prepare_directory(self.directory)
        whole = seal(header, text, "sha256", _sha256)
        write_atomic(self.path, whole)


def _status(name: str) -> os.stat_result | None:
    try:
        return os.stat(name)
    except OSError:
        return None


def _restore(
    payload: Mapping[str, object],
    root: Path,
    workspace: Workspace,
    key: SettingsKey,
    known: Mapping[str, SourceFile],
) -> list[SourceFile] | None:
    git = payload["git"]
    found_git = find_git_root(root)
    if git != (None if found_git is None else str(found_git)):
        return None
    folders = payload["folders"]
    stats = payload["stats"]
    settled = payload["settings"]
    if not (isinstance(folders, dict) and isinstance(stats, dict) and isinstance(settled, dict)):
        return None
    for name, mtime in folders.items():
        if type(mtime) is not int or mtime == NO_MTIME:
            return None
        try:
            if os.stat(name).st_mtime_ns != mtime:
                return None
        except OSError:
            return None
    own = payload["own"]
    if not isinstance(own, dict):
        return None
    for name, names in own.items():
        if names is None or names != _foreign(name):
            return None
    for name, stat in stats.items():
        if stat != _current(name) or (stat is not None and stat[0] == NO_MTIME):
            return None
    by_folder: dict[str, Settings] = {}
    for name, recorded in settled.items():
        settings = workspace.settings_for(Path(name))
        if _key(settings, key) != recorded:
            return None
        by_folder[name] = settings
    records = payload["files"]
    if not isinstance(records, list):
        return None
    # By name: a Path hashes by its parts, which a warm run over a large tree need not
    # compute for every file.
    made = known
    files: list[SourceFile] = []
    append = files.append
    folder_name = ""
    folder: Settings | None = None
    for name, module, is_package, layer, layer_folder, is_test, given, outer in records:
        if made:
            found = made.get(name)
            if found is not None:
                append(found)
                continue
        # The records come folder by folder: one lookup for each.
        parent = name[: name.rfind(os.sep)] or os.sep
        if parent != folder_name or folder is None:
            folder_name, folder = parent, by_folder[parent]
        append(
            SourceFile(
                name,
                folder,
                module,
                is_package,
                None if layer is None else _LAYERS[layer],
                layer_folder,
                is_test,
                given,
                tuple((word, layer_word) for word, layer_word in outer) if outer else (),
            )
        )
    return files
