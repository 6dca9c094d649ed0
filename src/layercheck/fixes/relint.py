"""The one way the fixes package lints: a file's new text, against its project's index.

The index is built once per project from the facts of its files (the facts cache makes
that cheap after a check); the fixed file's own facts come from its new text."""

from __future__ import annotations

from pathlib import Path

from layercheck.discovery import SourceFile, source_file
from layercheck.engine import Engine
from layercheck.index import ProjectIndex
from layercheck.lint import run_rules
from layercheck.loading import Loaded, facts_for_tree
from layercheck.model import Finding
from layercheck.source import parse
from layercheck.suppress import suppress


class Relinter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._indexes: dict[Path, ProjectIndex] = {}

    def source_file(self, path: Path) -> SourceFile:
        workspace = self.engine.workspace
        return source_file(path, workspace.settings_for(path.parent))

    def _index(self, file: SourceFile) -> ProjectIndex:
        root = file.settings.root
        index = self._indexes.get(root)
        if index is None:
            groups = self.engine.projects([file])
            files = groups.get(root, [file])
            index = ProjectIndex(self.engine.project_facts(root, files))
            self._indexes[root] = index
        return index

    def lint(self, file: SourceFile, text: str) -> list[Finding] | None:
        """The findings of the file with this text; None when the text does not parse."""
        try:
            tree = parse(text, str(file.path))
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            return None
        facts, table = facts_for_tree(file, tree)
        loaded = Loaded(file, facts, text=text, tree=tree, table=table)
        found = run_rules(loaded, self._index(file), self.engine.rules)
        return sorted(suppress(found, text, file.settings), key=Finding.sort_key)
