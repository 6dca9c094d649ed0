"""The flake8 plugin's ordinary path: the project of a file (its settings, its files from
the tree cache, what the findings cache holds for it), and a file's findings from the
findings cache or from flake8's tree, with the index built when first needed. Once
the findings cache held for the project, the warm record (warm_write.py) is written
from it, unless flake8 runs several jobs: then every cache is only read."""

from __future__ import annotations

import ast
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from layercheck import flake8_warm, warm_write
from layercheck.config.workspace import Workspace
from layercheck.discovery import SourceFile, source_file
from layercheck.engine import Engine
from layercheck.findings_cache import stat_files
from layercheck.index import ProjectIndex
from layercheck.lint import run_rules
from layercheck.loading import Loaded, facts_for_tree
from layercheck.model import Finding
from layercheck.parallel import FileOutcome
from layercheck.rules import CATALOG
from layercheck.rules.meta.syntax_error import SyntaxError_
from layercheck.rules.meta.unreadable_file import UnreadableFile
from layercheck.suppress import suppress


@dataclass
class _Project:
    workspace: Workspace
    engine: Engine
    files: dict[Path, list[SourceFile]]
    held: Callable[[Path], FileOutcome | None]
    """The findings cache's outcome of a file, when the project is unchanged."""
    index: ProjectIndex | None = None

    def project_index(self) -> ProjectIndex:
        """Built on first use: a warm project whose files are all in the findings cache
        never needs it. One project's from the index state a run kept, when its facts
        are those of that index."""
        if self.index is None and len(self.files) == 1:
            [(root, files)] = self.files.items()
            self.index = self.engine.project_index(root, files)[0]
        if self.index is None:
            engine = self.engine
            facts = [
                item
                for root, files in self.files.items()
                for item in engine.project_facts(root, files)
            ]
            self.index = ProjectIndex(facts)
        return self.index


_FLAKE8_REPORTS = frozenset({SyntaxError_.meta.code, UnreadableFile.meta.code})
"""flake8 reports a file it cannot decode or parse itself (E902/E999): a held outcome
with these is of a file flake8 parsed after all (another target version), to be
checked on flake8's tree."""

# flake8 runs the plugin once per file; the project is looked at once per process.
_PROJECTS: dict[Path, _Project] = {}


def _project_for(path: Path, write_warm: bool) -> _Project:
    cwd = os.getcwd()
    workspace = Workspace(CATALOG, cwd=Path(cwd))
    settings = workspace.settings_for(path.parent)
    key = settings.root if workspace.has_project_root(path.parent) else path
    project = _PROJECTS.get(key)
    if project is None:
        engine = Engine(workspace, warn=_warn_once)
        engine.write_caches = _may_write()
        files = engine.projects([source_file(path, settings)])
        [(root, found)] = files.items()
        before = stat_files(file.name for file in found)
        # The findings cache is only read here: flake8 may run several processes at
        # once, each with its share of the files; the command line writes it.
        held = engine.held_project(root, found)
        project = _PROJECTS[key] = _Project(workspace, engine, files, held.outcome)
        if write_warm and engine.write_caches and warm_write.uses_default_folder(root, found):
            warm_write.write(workspace, root, cwd, found, held, before, _warn_once)
    return project


def _may_write() -> bool:
    """Not in one of flake8's worker processes: they run at once, each on its share."""
    return multiprocessing.parent_process() is None


def printed(finding: Finding) -> flake8_warm.Printed:
    # flake8 adds 1 to the column when it prints.
    return finding.start.row, finding.start.column - 1, f"{finding.code} {finding.message}"


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    """On stderr, once per process: flake8 has no channel for a plugin's warnings."""
    if not _WARNED:
        _WARNED.add(message)
        print(f"layercheck: warning: {message}", file=sys.stderr)


def findings(path: Path, tree: ast.Module, lines: Sequence[str], write_warm: bool) -> list[Finding]:
    """The findings of the file flake8 parsed as `tree`; `write_warm`: the warm findings
    of its project are missing or out of date."""
    project = _project_for(path, write_warm)
    held = project.held(path)
    if held is not None and not any(f.code in _FLAKE8_REPORTS for f in held.findings):
        return held.findings
    file = source_file(path, project.workspace.settings_for(path.parent))
    facts, table = facts_for_tree(file, tree)
    text = "".join(lines)
    loaded = Loaded(file, facts, text=text, tree=tree, table=table)
    found = run_rules(loaded, project.project_index())
    return suppress(found, text, file.settings, path=file.path)
