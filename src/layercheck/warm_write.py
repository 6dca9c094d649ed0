"""Writing the warm record (warm_record.py) from the caches: after a run of the command
line on a folder, and by the flake8 plugin when its project's findings cache held. The
record is derived from what the findings cache holds for the project as it is now, never
from a run's findings: a file changed after the run read it has another stamp, and the
cache does not hold it."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from layercheck import warm_record
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.discovery import SourceFile
from layercheck.engine import Engine, HeldProject
from layercheck.findings_cache import FileStat, stat_files
from layercheck.model import Applicability, Finding
from layercheck.tree_cache import TreeCache


def encode(finding: Finding) -> warm_record.Encoded:
    """The finding as the record keeps it (warm_record.Encoded); its path is the key."""
    fix = finding.fix
    edits = (
        None
        if fix is None
        else [
            fix.applicability.value,
            fix.message,
            [
                [edit.start.row, edit.start.column, edit.end.row, edit.end.column, edit.content]
                for edit in fix.edits
            ],
        ]
    )
    return [
        finding.code,
        finding.message,
        finding.start.row,
        finding.start.column,
        finding.end.row,
        finding.end.column,
        finding.noqa_row,
        edits,
        [[link.importer, link.imported, link.line] for link in finding.chain],
    ]


_APPLICABILITIES = frozenset(kind.value for kind in Applicability)


def from_stored(item: object) -> warm_record.Encoded:
    """A finding as the findings cache stores it (`findings_cache.encode_finding`'s
    values) as the record keeps it: what `encode` gives of the finding decoded, without
    building it. ValueError when it is not of that shape (a finding the cache could not
    decode either)."""
    # Unpacked to the exact shape: a stored finding of another one raises as decoding it
    # would.
    try:
        code, message, _, start, end, fix, noqa_row, chain = cast(list[Any], item)
        start_row, start_column = start
        end_row, end_column = end
        if fix is not None:
            applicability, fix_message, edits = fix
            if applicability not in _APPLICABILITIES:
                raise TypeError(applicability)
            fix = [
                applicability,
                fix_message,
                [
                    [from_row, from_column, to_row, to_column, content]
                    for (from_row, from_column), (to_row, to_column), content in edits
                ],
            ]
        links = [[importer, imported, line] for importer, imported, line in chain]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"a stored finding of another shape: {exc}") from exc
    return [code, message, start_row, start_column, end_row, end_column, noqa_row, fix, links]


def uses_default_folder(root: Path, files: Sequence[SourceFile]) -> bool:
    """The warm path looks for the record in the default cache folder only."""
    return bool(files) and files[0].settings.cache_dir == root / warm_record.FOLDER_NAME


def keep(
    engine: Engine,
    root: Path,
    cwd: str,
    files: Sequence[SourceFile],
    warn: Callable[[str], None],
) -> None:
    """Write the record of the project at `root` (`files`: all of its files) from what
    the findings cache holds for it; nothing when it holds for no file."""
    held = engine.held_project(root, files)
    # The stats the held findings were checked against: no second stat of every file.
    before = held.stats if held.stats is not None else stat_files(file.name for file in files)
    write(engine.workspace, root, cwd, files, held, before, warn)


def write(
    workspace: Workspace,
    root: Path,
    cwd: str,
    files: Sequence[SourceFile],
    held: HeldProject,
    before: Mapping[str, FileStat | None],
    warn: Callable[[str], None],
) -> None:
    """`before`: the stat of each file, taken before the findings cache was asked."""
    if not files:
        return
    walked = TreeCache(files[0].settings.cache_dir, root).rested_on()
    if walked is None:
        return
    folders, read = walked

    def listed(name: str) -> list[warm_record.Encoded] | None:
        stored = held.stored(name)
        if stored is None:
            return None
        try:
            return [from_stored(item) for item in stored]
        except ValueError:
            return None  # as the findings cache holds no outcome for it

    def command() -> bool:
        return _command_may_print(workspace, root, files, folders, held)

    stats = {name: None if stat is None else list(stat) for name, stat in before.items()}
    try:
        warm_record.write(root, cwd, stats, listed, folders, read, command, held.hashed)
    except OSError as exc:
        warn(f"cannot write the cache in {root / warm_record.FOLDER_NAME}: {exc}")


def _command_may_print(
    workspace: Workspace,
    root: Path,
    files: Sequence[SourceFile],
    folders: Sequence[str],
    held: HeldProject,
) -> bool:
    """The command line prints only findings from the record: no warning and no finding
    about the project as a whole was held, every folder of the walk belongs to this
    project (a file named on the command line feeds the same index as in the run on
    the root), and no settings fix files, offer unsafe fixes or read a baseline."""
    if held.notes != [] or held.project_findings != []:
        return False
    every = {id(file.settings): file.settings for file in files}
    for name in folders:
        folder = Path(name)
        settings = workspace.settings_for(folder)
        if settings.root != root or not workspace.has_project_root(folder):
            return False
        every[id(settings)] = settings
    return all(
        not settings.fix and not settings.unsafe_fixes and settings.baseline is None
        for settings in every.values()
    )


def after_run(
    engine: Engine,
    named: Sequence[Path],
    warn: Callable[[str], None],
    checked: Sequence[Path] = (),
) -> None:
    """After the command line checked `named` (the files `checked`): write the record of
    each project a named folder belongs to, or of each project below a named folder that
    is none (`layercheck corpus/` over several projects), unless it already holds. Only
    for a run with the settings the warm paths assume (no option that changes them, no
    config file named): the record is what a run with no options prints."""
    workspace = engine.workspace
    if workspace.config_file is not None or workspace.isolated:
        return
    if workspace.overrides != Overrides():
        return
    roots: list[Path] = []
    for given in named:
        folder = Path(os.path.normpath(workspace.cwd / given))
        if not folder.is_dir():
            continue
        if workspace.has_project_root(folder):
            below = [folder]
        else:
            parents = {path.parent for path in checked if folder in path.parents}
            found = {workspace.settings_for(parent).root for parent in parents}
            below = sorted(
                root
                for root in found
                if folder in root.parents and workspace.has_project_root(root)
            )
        for project in below:
            settings = workspace.settings_for(project)
            if settings.cache and settings.root not in roots:
                roots.append(settings.root)
    cwd = os.getcwd()
    for root in roots:
        warm, _ = warm_record.lookup(root)
        if warm is not None and warm.command:
            continue
        for found_root, files in engine.projects([], [workspace.settings_for(root)]).items():
            if found_root == root and uses_default_folder(root, files):
                keep(engine, root, cwd, files, warn)
