"""Paths to Python files: recursion, excludes, explicit paths, symlink loops. Each file
comes back as one record with what its path and configuration say of it (its settings,
module name and path layer), looked up once for the whole run."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

from layercheck.config.files import CONFIG_NAMES, find_git_root
from layercheck.config.settings import Settings
from layercheck.config.workspace import Workspace, module_name
from layercheck.layers import Layer, outer_words, path_layer

PY_SUFFIXES = (".py",)
# Read in each folder, in this order (a later file's rules win, as a deeper folder's do).
IGNORE_FILES = (".gitignore", ".ignore")


_Rules = tuple[tuple[re.Pattern[str], bool], ...]
"""Compiled ignore-file lines in order: (regex, True to ignore / False for `!`)."""


@dataclass
class WalkLog:
    """What a walk's outcome rests on besides the files it found, for the tree cache:
    each folder listed (with its stat taken before the listing), each folder whose
    settings were asked, and each ignore file read (its stat before reading, None when
    there is none); and the warnings it gave (a broken symlink, a loop, a folder that
    cannot be listed), which rest on more than these."""

    listed: list[tuple[Path, os.stat_result | None]] = field(default_factory=list)
    settled: list[Path] = field(default_factory=list)
    ignore_files: list[tuple[Path, os.stat_result | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _read_rules(*files: Path) -> _Rules:
    """The rules of these ignore files together, in order. A file that cannot be read
    ignores nothing; a line that is no pattern is skipped, as git skips it."""
    lines: list[str] = []
    for file in files:
        try:
            lines.extend(file.read_text(encoding="utf-8", errors="replace").splitlines())
        except OSError:
            continue
    rules: list[tuple[re.Pattern[str], bool]] = []
    for line in lines:
        try:
            regex, include = GitIgnoreSpecPattern.pattern_to_regex(line)
            if regex is not None and include is not None:
                rules.append((re.compile(regex), include))
        except (ValueError, re.error):
            continue
    return tuple(rules)


def _verdict(rules: _Rules, relative: str) -> bool | None:
    """The last rule that matches this very path (not a folder above it: a walk never
    enters an ignored folder, and a folder named explicitly is walked): True when it
    ignores the path, False when it re-includes it (`!`), None when none matches."""
    verdict = None
    for regex, include in rules:
        found = regex.match(relative)
        if found is not None and found.end() == len(relative):
            verdict = include
    return verdict


class Ignores:
    """What `.gitignore`, `.ignore` (in each folder from the top down) and
    `.git/info/exclude` ignore, as git and ruff read them. The top is the git root;
    outside a git repository, the project's root."""

    def __init__(self, log: WalkLog | None = None) -> None:
        self._log = log
        self._rules: dict[Path, _Rules] = {}
        self._chains: dict[tuple[Path, Path], list[tuple[Path, _Rules]]] = {}

    def _read(self, *files: Path) -> _Rules:
        if self._log is not None:
            self._log.ignore_files.extend((file, _stat(file)) for file in files)
        return _read_rules(*files)

    def _folder_rules(self, folder: Path) -> _Rules:
        if folder not in self._rules:
            self._rules[folder] = self._read(*(folder / name for name in IGNORE_FILES))
        return self._rules[folder]

    def _chain(self, folder: Path, root: Path) -> list[tuple[Path, _Rules]]:
        """(folder, its rules), lowest precedence first, for the entries of `folder`."""
        key = (folder, root)
        found = self._chains.get(key)
        if found is not None:
            return found
        git = find_git_root(folder)
        top = git if git is not None else root
        chain: list[tuple[Path, _Rules]] = []
        if top == folder or top in folder.parents:
            if git is not None:
                exclude = git / ".git" / "info" / "exclude"
                if exclude not in self._rules:
                    self._rules[exclude] = self._read(exclude)
                chain.append((git, self._rules[exclude]))
            between = [folder, *folder.parents]
            for step in reversed(between[: between.index(top) + 1]):
                chain.append((step, self._folder_rules(step)))
        chain = [(base, rules) for base, rules in chain if rules]
        self._chains[key] = chain
        return chain

    def ignored(self, path: Path, *, is_dir: bool, root: Path) -> bool:
        """True when the rules that apply in `path`'s folder ignore it (not its folders:
        a walk never enters an ignored folder)."""
        verdict: bool | None = None
        for base, rules in self._chain(path.parent, root):
            relative = path.relative_to(base).as_posix() + ("/" if is_dir else "")
            found = _verdict(rules, relative)
            if found is not None:
                verdict = found
        return bool(verdict)

    def ignored_or_inside(self, path: Path, *, root: Path) -> bool:
        """`path`, or a folder above it up to the top, is ignored (`--force-exclude`)."""
        steps = [path, *path.parents]
        for number, step in enumerate(steps):
            if step.parent == step:
                break
            if self.ignored(step, is_dir=number > 0 or step.is_dir(), root=root):
                return True
        return False


class MissingPathError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to check or to index, and what its path says of it under its settings."""

    name: str
    """The file's absolute path, as text: a `Path` and its parts are about 0.4 KiB more a
    file, and every file's record is held to the end of a run."""
    settings: Settings
    """The configuration that governs the file (the nearest config file's)."""
    module: str
    is_package: bool
    path_layer: Layer | None
    """The layer its path gives (a module's content may still give one: see the index)."""
    layer_folder: str | None
    """The folder whose name gave `path_layer` (None when the file's own name did)."""
    is_test: bool
    layer_given: bool = False
    """A glob of the configuration gave `path_layer` (content never overrules it)."""
    outer_layers: tuple[tuple[str, str], ...] = ()
    """Farther folder words, nearest first: see `FileFacts.outer_layers`."""

    @property
    def path(self) -> Path:
        """A new `Path` at each call: where it is asked for every file, ask for `name`."""
        return Path(self.name)

    @property
    def folder(self) -> Path:
        """The folder the file is in."""
        return Path(os.path.dirname(self.name))


def source_file(path: Path, settings: Settings) -> SourceFile:
    """The record of the file at `path` (absolute), governed by `settings`."""
    module, is_package = module_name(path, settings)
    relative = settings.relative(path)
    layer, is_test, folder = path_layer(
        path, relative=relative, root=settings.root, layer_map=settings.layer_map
    )
    given, outer = outer_words(
        path, relative=relative, root=settings.root, layer_map=settings.layer_map
    )
    # Interned: the same string as its facts' module and the index's keys.
    module = sys.intern(module)
    # The folder that gave the layer, and the farther words, are those of the file's
    # neighbours: held once for all of them (a copy each was some 60 bytes a file,
    # every record held to the end of a run and inherited by every rules worker).
    folder = sys.intern(folder) if folder is not None else None
    outer = _shared(outer) if outer else ()
    return SourceFile(str(path), settings, module, is_package, layer, folder, is_test, given, outer)


_OUTER: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}
_OUTER_KEPT: Final = 4096
"""Distinct `outer_layers` pooled before the pool starts again (a long-lived process
walks many projects): a project has as many as it has folders under a layer word."""


def _shared(outer: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """`outer` as the record of another file of the same folders holds it."""
    found = _OUTER.get(outer)
    if found is None:
        if len(_OUTER) >= _OUTER_KEPT:
            _OUTER.clear()
        found = _OUTER[outer] = tuple((sys.intern(a), sys.intern(b)) for a, b in outer)
    return found


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    configs: list[Settings] = field(default_factory=list)
    """The settings of config files named on the command line: their projects are
    checked for the config file's own findings (LC004) even with no file named."""


def _absolute(path: Path, cwd: Path) -> Path:
    return Path(os.path.normpath(path if path.is_absolute() else cwd / path))


def add_anchors(paths: Iterable[Path], workspace: Workspace) -> None:
    """The paths named on the command line, as the anchors of `workspace` (a project
    without a config file or git root starts at the outermost): settings asked for
    before the walk must be asked with them."""
    workspace.add_anchors(_absolute(given, workspace.cwd) for given in paths)


Walked = Callable[[Path, Settings], tuple[list[SourceFile], list[str]] | None]
"""The files a walk of this folder (governed by these settings) finds, and its
warnings, when known without walking it; else None."""


def discover(
    paths: Iterable[Path],
    workspace: Workspace,
    *,
    warn: Callable[[str], None] | None = None,
    known: Iterable[SourceFile] = (),
    log: WalkLog | None = None,
    walked: Walked | None = None,
) -> Discovery:
    """Files to check, in a stable order. An explicit file is checked even when excluded
    (ruff's behaviour) unless `--force-exclude` is on. `known`: records this run made
    already, handed back for their files rather than made again. `log` hears what the
    walk's outcome rests on (the tree cache); `walked` may answer for a folder named
    (the tree cache of a project root)."""
    result = Discovery()
    seen: set[str] = set()
    made = {file.name: file for file in known}
    paths = list(paths)
    add_anchors(paths, workspace)

    def note(message: str) -> None:
        if log is not None:
            log.notes.append(message)
        result.warnings.append(message)
        if warn is not None:
            warn(message)

    ignores = Ignores(log)

    def add(path: Path, settings: Settings) -> None:
        name = str(path)
        if name not in seen:
            seen.add(name)
            record = made.get(name)
            result.files.append(record if record is not None else source_file(path, settings))

    def adopt(folder: Path, settings: Settings, alone: bool = False) -> bool:
        """Take the files of a project root's walk from `walked` when it knows them.
        Below the folder named only a walk without warnings: a symlink out of the project
        to a folder above it is a loop here but not in the project's own walk."""
        held = walked(folder, settings) if walked is not None else None
        if held is None or (held[1] and folder not in named):
            return False
        if alone and not made and not seen:
            result.files.extend(held[0])
        else:
            for file in held[0]:
                if file.name not in seen:
                    seen.add(file.name)
                    result.files.append(made.get(file.name, file))
        for message in held[1]:
            note(message)
        return True

    named = {_absolute(given, workspace.cwd) for given in paths}
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
        if _force_excluded(path, settings, ignores):
            continue
        if info is not None and path.name in CONFIG_NAMES and path == settings.config_path:
            # A config file is no Python: named, it is covered for its own findings (LC004).
            result.configs.append(settings)
            continue
        if info is None or not os.path.isdir(path):
            add(path, settings)
            continue
        if adopt(path, settings, alone=len(paths) == 1):
            continue
        # A walk that is being recorded must list every folder itself.
        nested = adopt if log is None else None
        _walk(path, workspace, {(info.st_dev, info.st_ino)}, add, note, ignores, log, nested)
    return result


def _force_excluded(path: Path, settings: Settings, ignores: Ignores) -> bool:
    """`--force-exclude` on an explicit path: the excludes, then the ignore files."""
    if not settings.force_exclude:
        return False
    if settings.is_excluded(path):
        return True
    return settings.respect_gitignore and ignores.ignored_or_inside(path, root=settings.root)


def _walk(
    folder: Path,
    workspace: Workspace,
    visiting: set[tuple[int, int]],
    add: Callable[[Path, Settings], None],
    note: Callable[[str], None],
    ignores: Ignores,
    log: WalkLog | None = None,
    nested: Callable[[Path, Settings], bool] | None = None,
) -> None:
    """`nested` takes over a folder below that it can answer for (a project root in
    the folder walked, whose walk the tree cache holds) and says whether it did."""
    if log is not None:
        # Before the listing: an entry added after it changes the folder's mtime later.
        log.listed.append((folder, _stat(folder)))
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
        if log is not None and is_dir:
            log.settled.append(path)
        if settings.is_excluded(path, ancestors=False):
            continue
        if settings.respect_gitignore and ignores.ignored(path, is_dir=is_dir, root=settings.root):
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
            if nested is not None and nested(path, settings):
                continue
            _walk(path, workspace, visiting | {key}, add, note, ignores, log, nested)
        elif entry.name.endswith(PY_SUFFIXES):
            add(path, settings)


def stdin_file(name: Path, workspace: Workspace) -> SourceFile | None:
    """The file that source read from stdin stands for (`--stdin-filename`); None when
    that name is excluded with `--force-exclude` (as in ruff, excludes apply to the
    stdin file name only then, the ignore files too)."""
    path = _absolute(name, workspace.cwd)
    workspace.add_anchors([path])
    settings = workspace.settings_for(path.parent)
    if _force_excluded(path, settings, Ignores()):
        return None
    return source_file(path, settings)
