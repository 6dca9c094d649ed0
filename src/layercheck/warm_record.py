"""The warm record: each file's findings, kept with everything they rest on in a form that
a few stats can check, so that a run on an unchanged project (the flake8 plugin's, or
the command line's) neither builds settings nor imports the engine.

The findings cache answers only after the project's settings are built for each folder
and the file list is checked against the tree cache, which costs more than checking one
file. This file is derived from those caches (warm_write.py, when they held for the
whole project) and holds while all of these are as recorded:

- the stat of every file of the project (the findings cache's own condition);
- the mtime of every folder the walk listed, and the stats of the ignore files and
  `__init__.py` chain it read (the tree cache's conditions: the same files found);
- the stat of every file whose change can change the settings (config, packaging, lock,
  requirements files: `settings_file`) in those folders, and the presence of such files,
  of `.git` and of `__init__.py` in the folders above the root (the same settings);
- the folder layercheck runs from, the stat of each of its modules, and the Python
  version (the same rules: two development installs of one version hold other code,
  and the modules of the one that wrote the record still stat as recorded when the
  other reads it);
- the working folder (settings and the paths printed are resolved from it).

A value recorded within the filesystem's timestamp granularity of the write could
change unseen: the file is then not written at all, unless the only such values are
the stats of a few of the project's files (an editor saved one and ran layercheck at
once), whose sha256 is kept beside their stat and checked on every load. Like the
other caches: JSON, one file per project root, a checksum over its payload, written to
a temporary file renamed over the old; a damaged or foreign file is ignored. This
module imports nothing but the standard library, so that a warm start stays as cheap
as the lookup.

A finding is kept as a list of plain values (`Encoded`, see `encode`): the flake8
plugin reads its row, column, code and message; the command line prints the concise
format from them and rebuilds the finding for the others. The project's files are kept
as three columns (names from the root, mtimes, sizes), stated from the root's folder: at
100,000 files a map of absolute names to pairs was a third of the file and of its load.
"""

from __future__ import annotations

import os
import sys
import time
import zlib

from layercheck import __version__
from layercheck.envelope import SealedWriter, json_string, loads, unseal, value_at

TYPE_CHECKING = False
"""`typing.TYPE_CHECKING`, which type checkers take for true: a warm start imports
neither `typing` nor `pathlib` (each costs about what loading a 2,000-file project's
record does); `lookup`, `record_file` and `write` import `pathlib` when called."""
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from pathlib import Path
    from typing import Any, Final

FOLDER_NAME: Final = ".layercheck_cache"
"""The default cache folder: the only one the warm path looks in, as it knows no
settings; a project with another `cache-dir` takes the ordinary path."""
FORMAT: Final = 5
"""Changes when the payload changes shape (2: whole findings, not flake8's lines; 3: the
hashes of files recorded a moment after they changed; 4: the project's files as columns,
named from the root, each file's findings in the order they are printed; 5: the folder
of the code that wrote it)."""
_RACY_NS: Final = 2_000_000_000
_SEPARATORS: Final = (",", ":")
_NO_MTIME: Final = -1
"""The mtime of a stat that cannot tell (findings_cache.file_stat; cache.NO_MTIME, not
imported: this module imports nothing of layercheck's that a warm start does not need)."""
HASHED_AT_MOST: Final = 64
"""Files recorded a moment after they changed, hashed at each load: more (a checkout of
a branch) and no record is written."""
_ABOVE_ROOT: Final = (
    ".layercheck.toml",
    "layercheck.toml",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "__init__.py",
    ".git",
)
"""What above the project root changes its settings, module names or root: config and
packaging files, lock files, the `__init__.py` chain, a git root."""

if TYPE_CHECKING:
    Encoded = list[Any]
    """[code, message, start row, start column, end row, end column, noqa row, fix, chain]
    with fix None or [applicability, message, [[start row, start column, end row, end
    column, content], ...]] and chain [[importer, imported, line], ...]: a finding of the
    file it is kept under, columns 1-based as the findings' own."""
    Compact = list[Any]
    """An `Encoded` finding as the record keeps it: its code, message, fix message and
    edit contents replaced by their numbers in the record's table of strings (a thousand
    messages repeat over 150,000 findings; as numbers they are a fraction of the file to
    read); a fix as [applicability, message, then five values an edit]; no chain as
    null."""
    Stat = list[int] | None


_DIR_FD: Final = os.stat in os.supports_dir_fd


def checksum(data: bytes) -> str:
    # zlib rather than hashlib: it finds a damaged file as well, and costs a warm start
    # nothing to import (hashlib loads OpenSSL).
    return f"{zlib.crc32(data):08x}-{len(data)}"


def record_file(root: Path) -> Path:
    from pathlib import Path

    return Path(record_name(str(root)))


def record_name(root: str) -> str:
    """`record_file` of a root given by its name."""
    tag = checksum(root.encode())
    return os.path.join(root, FOLDER_NAME, f"warm-{__version__}-{tag}.json")


def _stat(path: str) -> Stat:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return [status.st_mtime_ns, status.st_size]


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


_PACKAGE: Final = os.path.dirname(os.path.abspath(__file__))
"""The folder of this install's code: a record written by another install (a development
install of the same version, from another checkout) is not this code's."""


def _code_files() -> tuple[dict[str, Stat], dict[str, int | None]]:
    """Every module of layercheck and every folder holding one: a changed rule (a
    development install) must not find the findings of its former self."""
    from pathlib import Path

    package = Path(_PACKAGE)
    modules = sorted(str(path) for path in package.rglob("*.py"))
    folders = sorted({os.path.dirname(name) for name in modules})
    return {name: _stat(name) for name in modules}, {name: _mtime(name) for name in folders}


class Warm:
    """One project's warm findings, loaded and checked once per process."""

    def __init__(
        self,
        root: str,
        found: str,
        strings: list[str],
        files: list[str],
        unlisted: frozenset[str],
        command: bool,
        folders: frozenset[str],
    ) -> None:
        self.root = root
        self._found_text = found
        """The JSON text of `found`, read whole only when asked for: most runs ask for
        one file's findings (an editor, pre-commit, flake8 on each file), and decoding
        every file's was most of the load of a large project's record (10,000 files:
        23 of 28 ms)."""
        self._found: dict[str, list[Compact]] | None = None
        self.strings = strings
        self._files = files
        self._names: frozenset[str] | None = None
        self._unlisted = unlisted
        self.command = command
        """The command line may print from it: it holds every file of the project, and
        nothing else the command line prints (warnings, fixes, a baseline) rests on
        what it does not hold."""
        self.folders = folders
        """The folders the walk listed."""

    @property
    def found(self) -> dict[str, list[Compact]]:
        """The findings of each file that has any, by absolute name, in the order they
        are printed, their strings in `strings` (see `resolved`). ValueError when they
        are not as recorded."""
        if self._found is None:
            found = loads(self._found_text)
            if not isinstance(found, dict):
                raise ValueError("no findings")
            if not all(isinstance(items, list) for items in found.values()):
                raise ValueError("no findings")
            self._found = found
        return self._found

    def held(self, path: str) -> list[Compact] | None:
        """`found.get(path)`, reading only that file's entry. ValueError when it is not
        as recorded."""
        if self._found is not None:
            return self._found.get(path)
        text = self._found_text
        # A key is the name's JSON literal after "{" or ",": no JSON string holds an
        # unescaped quote, so the literal followed by ":" is a key wherever it is found.
        key = json_string(path) + ":"
        at = text.find(key)
        while at > 0 and text[at - 1] not in "{,":
            at = text.find(key, at + 1)
        if at <= 0:
            return None
        items, end = value_at(text, at + len(key))
        if not isinstance(items, list) or text[end : end + 1] not in (",", "}"):
            raise ValueError("no findings")
        return items

    def findings(self, path: str) -> list[Encoded] | None:
        """The file's findings; None for a file this project did not hold, or whose
        findings are not as recorded."""
        try:
            items = self.held(path)
        except (ValueError, RecursionError):
            return None
        if items is not None:
            found: list[Encoded] = []
            for item in items:
                kept = resolved(item, self.strings)
                if kept is None:
                    return None
                found.append(kept)
            return found
        if path in self._unlisted:
            return None
        if self._names is None:
            # Only a file named alone asks: a set of every file's name is built then.
            self._names = frozenset(self._files)
        return [] if _from_root(self.root, path) in self._names else None


def _from_root(root: str, name: str) -> str:
    """`name` as the files column keeps it: relative to the root when under it."""
    prefix = root if root.endswith(os.sep) else root + os.sep
    return name[len(prefix) :] if name.startswith(prefix) else name


_LOADED: dict[str, Warm | None] = {}
"""By record file: flake8 calls the plugin once per file."""


def lookup(folder: Path, named: Sequence[str] = ()) -> tuple[Warm | None, Path | None]:
    """The warm findings that hold for the project `folder` belongs to (None when there
    are none), and where they are kept (None when no project at or above `folder` keeps
    any). `named`: files the caller asks about, tried first (`_changed_since`)."""
    from pathlib import Path

    warm, where = lookup_folder(str(folder), named)
    return warm, None if where is None else Path(where)


def lookup_folder(folder: str, named: Sequence[str] = ()) -> tuple[Warm | None, str | None]:
    """`lookup` of a folder given by its absolute, normalised name, with the record's
    name: the command line's warm path never imports `pathlib`."""
    above = folder
    while True:
        where = record_name(above)
        if where in _LOADED:
            return _LOADED[where], where
        if os.path.isfile(where):
            if named and _changed_since(where, named):
                return None, where
            warm = _load(where, above)
            _LOADED[where] = warm
            return warm, where
        parent = os.path.dirname(above)
        if parent == above:
            return None, None
        above = parent


def _changed_since(where: str, named: Sequence[str]) -> bool:
    """Whether a file of `named` was modified after the record was written (an editor's
    save, then a run on that file): the record, whose check states every file up to
    that one, is then not even read. Its stat was recorded before the record's mtime,
    so an mtime between that and now is another; an mtime past now (a file dated
    ahead) or from the same tick is left to the full check, as is a file with no stat.
    A copy that keeps mtimes (the project with its cache) keeps both."""
    try:
        written = os.stat(where).st_mtime_ns
    except OSError:
        return False
    now = time.time_ns()
    for name in named:
        try:
            if written < os.stat(name).st_mtime_ns <= now:
                return True
        except OSError:
            continue
    return False


def forget() -> None:
    """Drop what this process loaded (a new file was just written)."""
    _LOADED.clear()


def _load(where: str, root: str) -> Warm | None:
    try:
        with open(where, "rb") as handle:
            raw = handle.read()
        opened = unseal(raw, "checksum", sealed)
        if opened is None:
            return None
        header, text = opened
        if header.get("root") != root or header.get("format") != FORMAT:
            return None
        # Everything but the findings is read now; their text is kept (`Warm.found`).
        # It ends where the next key starts: no JSON string holds an unescaped quote,
        # and no file's absolute name is "unlisted".
        cut = text.find(_FOUND_KEY)
        end = text.find(_AFTER_FOUND, cut)
        if cut < 0 or end < 0:
            return None
        payload = loads(text[:cut] + text[end + 1 :])
        if not isinstance(payload, dict) or not _holds(payload, root):
            return None
        found = text[cut + len(_FOUND_KEY) - 1 : end + 1].decode("ascii")
        unlisted = payload["unlisted"]
        strings = payload["strings"]
        if not (isinstance(unlisted, list) and isinstance(strings, list)):
            return None
        if not all(type(text) is str for text in strings):
            return None
        command = payload["command"] is True
        walked = frozenset(map(str, payload["walked"]))
        files = payload["files"]
        unheld = frozenset(map(str, unlisted))
        return Warm(root, found, strings, files, unheld, command, walked)
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return None


_FOUND_KEY: Final = b',"found":{'
_AFTER_FOUND: Final = b'},"unlisted":'
"""Where the findings end, as `write` writes them."""


def well_formed(item: object) -> bool:
    """The fields every reader uses have their types (the checksum rules out the rest):
    a `Compact` finding's code and message are numbers of the table of strings."""
    return (
        type(item) is list
        and len(item) == 9
        and type(item[0]) is int
        and type(item[1]) is int
        and type(item[2]) is int
        and type(item[3]) is int
        and type(item[4]) is int
        and type(item[5]) is int
    )


def resolved(item: object, strings: list[str]) -> Encoded | None:
    """The `Compact` finding as `Encoded`; None when it is not well formed."""
    if not well_formed(item):
        return None
    assert isinstance(item, list)
    try:
        fix, chain = item[7], item[8]
        if fix is not None:
            applicability, fix_message, *flat = fix
            if len(flat) % 5:
                return None
            edits = [[*flat[at : at + 4], strings[flat[at + 4]]] for at in range(0, len(flat), 5)]
            fix = [applicability, strings[fix_message], edits]
        # The positions and noqa row (2 to 6) are kept as they are.
        return [strings[item[0]], strings[item[1]], *item[2:7], fix, chain or []]
    except (ValueError, TypeError, IndexError):
        return None


def _compact(item: Encoded, table: dict[str, int]) -> Compact:
    """`item` with its strings replaced by their numbers in `table` (added as met), its
    fix's edits flat in it and no chain an empty list: fewer objects to read back."""

    def at(text: str) -> int:
        return table.setdefault(text, len(table))

    fix = item[7]
    if fix is not None:
        applicability, fix_message, edits = fix
        flat = [value for edit in edits for value in (*edit[:4], at(edit[4]))]
        fix = [applicability, at(fix_message), *flat]
    return [at(item[0]), at(item[1]), *item[2:7], fix, item[8] or None]


def _holds(payload: Mapping[str, object], root: str) -> bool:
    if (
        payload.get("python") != sys.version
        or payload.get("layercheck") != __version__
        or payload.get("code") != _PACKAGE
        or payload.get("cwd") != os.getcwd()
    ):
        return False
    folders = payload["folders"]
    stats = payload["stats"]
    present = payload["present"]
    if not (isinstance(folders, dict) and isinstance(stats, dict) and isinstance(present, dict)):
        return False
    for name, mtime in folders.items():
        if _mtime(name) != mtime:
            return False
    for name, stat in stats.items():
        if _stat(name) != stat:
            return False
    if not _files_hold(root, payload["files"], payload["mtimes"], payload["sizes"]):
        return False
    if not all(os.path.lexists(name) == there for name, there in present.items()):
        return False
    hashed = payload.get("hashed", {})
    return isinstance(hashed, dict) and all(_sha256(name) == sha for name, sha in hashed.items())


def _files_hold(root: str, names: object, mtimes: object, sizes: object) -> bool:
    """Each file of the project has the mtime and size recorded (an mtime of None: the
    file was not there)."""
    if not (isinstance(names, list) and isinstance(mtimes, list) and isinstance(sizes, list)):
        return False
    if not len(names) == len(mtimes) == len(sizes):
        return False
    fd = None
    if _DIR_FD:
        # Stated from the root's folder: a name from the root is shorter to resolve.
        try:
            fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return False
    stat = os.stat
    try:
        for name, mtime, size in zip(names, mtimes, sizes, strict=True):
            try:
                status = stat(name, dir_fd=fd) if fd is not None else stat(os.path.join(root, name))
            except OSError:
                if mtime is not None:
                    return False
                continue
            if status.st_mtime_ns != mtime or status.st_size != size:
                return False
    finally:
        if fd is not None:
            os.close(fd)
    return True


def _sha256(path: str) -> str | None:
    # Imported here: hashlib loads OpenSSL, which a record with no hash never needs.
    import hashlib

    try:
        with open(path, "rb") as opened:
            return hashlib.sha256(opened.read()).hexdigest()
    except OSError:
        return None


def write(
    root: Path,
    cwd: str,
    before: Mapping[str, Stat],
    listed: Callable[[str], list[Encoded] | None],
    walk_folders: Iterable[str],
    walk_stats: Iterable[str],
    command: Callable[[], bool],
    hashed: Mapping[str, str] | None = None,
) -> bool:
    """Keep the findings of the files the findings cache holds for the project at `root`
    (`listed`: a file's, by its name in `before`; None when it holds none for the file):
    `before` is the stat of each of its files taken before the findings cache was asked,
    `walk_folders` the folders its walk listed, `walk_stats` the ignore and `__init__.py`
    files it read; `command`, asked only when every file is held: see `Warm.command`;
    `hashed`: the sha256 of the bytes the findings of a file whose stat could not tell
    rest on (`before` has no mtime for it). False, and nothing written, when no file is
    held, or when any of it was modified too recently to be trusted (but for at most
    `HASHED_AT_MOST` files of `hashed` whose bytes are still those). A file changed
    after `before` was taken is written with its former stat: the record never holds.
    OSError when the file cannot be written."""
    now = time.time_ns()
    folders: dict[str, int | None] = {}
    cache_folder = str(root / FOLDER_NAME)
    # The cache folder holds no module, so its ignore file (which any run that writes a
    # cache may have just made) changes no list of files.
    inside = cache_folder + os.sep
    stats: dict[str, Stat] = {
        name: _stat(name) for name in walk_stats if not name.startswith(inside)
    }
    present: dict[str, bool] = {}
    for folder in sorted(set(walk_folders)):
        if folder == cache_folder:
            continue  # every run that writes a cache changes it; discovery skips it
        folders[folder] = _mtime(folder)
        requirements = os.path.join(folder, "requirements")
        if os.path.isdir(requirements):
            folders[requirements] = _mtime(requirements)
            stats.update(_settings_stats(requirements))
        stats.update(_settings_stats(folder))
    for above in root.parents:
        for name in _ABOVE_ROOT:
            present[str(above / name)] = os.path.lexists(above / name)
        found = _settings_stats(str(above))
        if found:
            # A config folder above the root: a new requirements file there counts too.
            folders[str(above)] = _mtime(str(above))
            stats.update(found)
    code, code_folders = _code_files()
    stats.update(code)
    folders.update(code_folders)
    kept = _hashed_now(before, hashed or {})
    if kept is None:
        return False
    now_stats, hashes = kept
    before = {**before, **now_stats}
    for name in before:
        stats.pop(name, None)  # a project's file is kept in the columns only
    recorded = [stat[0] for name, stat in stats.items() if stat is not None]
    recorded.extend(
        stat[0] for name, stat in before.items() if stat is not None and name not in hashes
    )
    recorded.extend(mtime for mtime in folders.values() if mtime is not None)
    if any(abs(now - mtime) < _RACY_NS for mtime in recorded):
        return False
    # A file of the project changed since `before` was taken is not stated again: its
    # stat was no racy one, so its mtime now is another, and the record never holds.
    names = sorted(before)
    stated = [before[name] for name in names]
    head: dict[str, object] = {
        "python": sys.version,
        "layercheck": __version__,
        "code": _PACKAGE,
        "cwd": cwd,
        "folders": folders,
        "stats": stats,
        "present": present,
        "walked": sorted(set(walk_folders)),
        "files": [_from_root(str(root), name) for name in names],
        "mtimes": [None if stat is None else stat[0] for stat in stated],
        "sizes": [0 if stat is None else stat[1] for stat in stated],
        "hashed": hashes,
    }
    del stated
    import json

    from layercheck.cache import prepare_directory

    where = record_file(root)
    prepare_directory(where.parent)
    # Written as each file's findings are asked for: at 100,000 files, every file's
    # findings held at once, then the payload's text and its bytes, were the largest
    # thing a run held, at its very end.
    writer = SealedWriter(where, {"root": str(root), "format": FORMAT}, "checksum", _Crc())
    try:
        for at, (key, value) in enumerate(head.items()):
            # Each value whole, by json's C encoder: the columns in pieces were a fifth
            # of the write (at 100,000 files, a column's text is some 6 MB).
            text = json.dumps(value, separators=_SEPARATORS)
            writer.write(("," if at else "{") + json.dumps(key) + ":" + text)
        del head, text
        table: dict[str, int] = {}
        unlisted: list[str] = []
        writer.write(',"found":{')
        first = True
        for name in names:
            items = listed(name)
            if items is None:
                unlisted.append(name)
            elif items:
                compact = [_compact(item, table) for item in sorted(items, key=_printed)]
                text = json.dumps(compact, separators=_SEPARATORS)
                writer.write(("" if first else ",") + json.dumps(name) + ":" + text)
                first = False
        if len(unlisted) == len(names):
            return False
        may_print = not unlisted and command()
        writer.write('},"unlisted":' + json.dumps(unlisted, separators=_SEPARATORS))
        writer.write(',"strings":' + json.dumps(list(table), separators=_SEPARATORS))
        writer.write(',"command":' + json.dumps(may_print) + "}")
        writer.close()
    finally:
        writer.abandon()
    forget()
    return True


class _Crc:
    """The record's checksum (`sealed`) taken as its bytes are written."""

    def __init__(self) -> None:
        self._crc = 0
        self._size = 0

    def update(self, data: bytes, /) -> None:
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)

    def hexdigest(self) -> str:
        # The size at a fixed width: the value is written over a placeholder.
        return f"{self._crc:08x}-{self._size:015d}"


def sealed(data: bytes) -> str:
    """The checksum of the record's payload."""
    running = _Crc()
    running.update(data)
    return running.hexdigest()


def _printed(item: Encoded) -> tuple[Any, ...]:
    """A file's findings are printed by position, then code (`Finding.sort_key`)."""
    return (item[2], item[3], item[0])


def _hashed_now(
    before: Mapping[str, Stat], hashed: Mapping[str, str]
) -> tuple[dict[str, Stat], dict[str, str]] | None:
    """The stat and sha256 of each file of `before` whose stat could not tell, when its
    bytes are still the ones `hashed` names: a file changed since the findings cache
    hashed it has findings it does not hold. None when one is not, or when there are
    more than `HASHED_AT_MOST`."""
    unknown = [name for name, stat in before.items() if stat is not None and stat[0] == _NO_MTIME]
    if len(unknown) > HASHED_AT_MOST:
        return None
    stats: dict[str, Stat] = {}
    hashes: dict[str, str] = {}
    for name in unknown:
        stat = _stat(name)
        expected = hashed.get(name)
        if stat is None or expected is None or _sha256(name) != expected or _stat(name) != stat:
            return None
        stats[name], hashes[name] = stat, expected
    return stats, hashes


def _settings_stats(folder: str) -> dict[str, Stat]:
    """The stat of each file in `folder` whose change can change the settings."""
    from layercheck.config.files import settings_file_name

    try:
        entries = os.listdir(folder)
    except OSError:
        return {}
    found: dict[str, Stat] = {}
    for name in entries:
        if not settings_file_name(name):
            continue
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            found[path] = _stat(path)
    return found
