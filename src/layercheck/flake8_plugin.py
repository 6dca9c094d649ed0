"""flake8 entry point (`LC`): the same engine and configuration, on flake8's own tree."""

from __future__ import annotations

import ast
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from layercheck import __version__
from layercheck.config.errors import ConfigError
from layercheck.config.workspace import Workspace
from layercheck.discovery import SourceFile, source_file
from layercheck.engine import Engine, failed_in
from layercheck.index import ProjectIndex
from layercheck.lint import run_rules
from layercheck.loading import Loaded, facts_for_tree
from layercheck.model import Finding, internal_error
from layercheck.parallel import FileOutcome
from layercheck.rules import CATALOG, ENGINE_CODES
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
        never needs it."""
        if self.index is None:
            engine = self.engine
            facts = [
                item
                for root, files in self.files.items()
                for item in engine.project_facts(root, files)
            ]
            self.index = ProjectIndex(facts)
        return self.index


# Not a rule: flake8's stand-in for the CLI's exit code 2 (a bad configuration, or an
# internal error).
CONFIG_ERROR_CODE = "LC000"

# flake8 runs the plugin once per file; the project is looked at once per process.
_PROJECTS: dict[Path, _Project] = {}


def _project_for(path: Path) -> _Project:
    workspace = Workspace(CATALOG, cwd=Path(os.getcwd()))
    settings = workspace.settings_for(path.parent)
    key = settings.root if workspace.has_project_root(path.parent) else path
    project = _PROJECTS.get(key)
    if project is None:
        engine = Engine(workspace, warn=_warn_once)
        files = engine.projects([source_file(path, settings)])
        # The findings cache is only read here: flake8 may run several processes at
        # once, each with its share of the files; the command line writes it.
        held = [engine.held_outcomes(root, found) for root, found in files.items()]
        project = _PROJECTS[key] = _Project(workspace, engine, files, held[0])
    return project


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    """On stderr, once per process: flake8 has no channel for a plugin's warnings."""
    if not _WARNED:
        _WARNED.add(message)
        print(f"layercheck: warning: {message}", file=sys.stderr)


class LayercheckPlugin:
    """One file of flake8's run; a failure becomes an LC000 finding, never an exception."""

    name: ClassVar[str] = "layercheck"
    version: ClassVar[str] = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: list[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type[LayercheckPlugin]]]:
        if not isinstance(self.tree, ast.Module) or self.filename in {"-", "stdin"}:
            return
        path = Path(os.path.normpath(Path(self.filename).absolute()))
        # flake8 prints a plugin's exception as a traceback and stops: a bad config (the
        # user's input) and a bug of ours each become one finding on line 1 instead.
        try:
            findings = self._findings(path)
        except ConfigError as exc:
            yield 1, 0, f"{CONFIG_ERROR_CODE} invalid configuration: {exc}", type(self)
            return
        except Exception as exc:
            message = internal_error(failed_in(exc, path), exc)
            yield 1, 0, f"{CONFIG_ERROR_CODE} {message}", type(self)
            return
        for finding in findings:
            # flake8 adds 1 to the column when it prints.
            yield (
                finding.start.row,
                finding.start.column - 1,
                f"{finding.code} {finding.message}",
                type(self),
            )

    def _findings(self, path: Path) -> list[Finding]:
        assert isinstance(self.tree, ast.Module)
        project = _project_for(path)
        held = project.held(path)
        # flake8 reports a file it cannot decode or parse itself (E902/E999).
        if held is not None and not any(f.code in ENGINE_CODES for f in held.findings):
            return held.findings
        file = source_file(path, project.workspace.settings_for(path.parent))
        facts, table = facts_for_tree(file, self.tree)
        text = "".join(self.lines)
        loaded = Loaded(file, facts, text=text, tree=self.tree, table=table)
        found = run_rules(loaded, project.project_index())
        return suppress(found, text, file.settings, path=file.path)
