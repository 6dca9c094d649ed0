"""The one way the fixes package lints: a file's new text, against its project's index.

The index is built once per project from the facts of its files (the facts cache makes
that cheap after a check); the fixed file's own facts come from its new text, and when
they differ from those the index holds (a fix gave a schema `from_attributes=True`), the
index is built again with them, so that a finding the fix removed is not reported from
the old facts."""

from __future__ import annotations

from pathlib import Path

from layercheck.discovery import SourceFile, source_file
from layercheck.edits import Sections, module_section
from layercheck.engine import Engine
from layercheck.facts import FileFacts
from layercheck.index import ProjectIndex
from layercheck.lint import run_rules
from layercheck.loading import Loaded, facts_for_tree
from layercheck.model import Finding
from layercheck.source import parse
from layercheck.suppress import suppress


class Relinter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._indexes: dict[Path, tuple[ProjectIndex, dict[str, FileFacts]]] = {}

    def source_file(self, path: Path) -> SourceFile:
        workspace = self.engine.workspace
        return source_file(path, workspace.settings_for(path.parent))

    def index(self, file: SourceFile, facts: FileFacts | None = None) -> ProjectIndex:
        """The index of the file's project, with `facts` as the file's own."""
        root = file.settings.root
        known = self._indexes.get(root)
        if known is None:
            groups = self.engine.projects([file])
            files = groups.get(root, [file])
            index, facts_of = self.engine.project_index(root, files)
            known = (index, {item.path: item for item in facts_of})
            self._indexes[root] = known
        index, every = known
        if facts is not None and every.get(facts.path) != facts:
            every[facts.path] = facts
            index = ProjectIndex(every.values())
            self._indexes[root] = (index, every)
        return index

    def sections(self, file: SourceFile) -> Sections:
        """The isort section of a module imported in `file`."""
        index = self.index(file)
        return lambda module: module_section(module, file.module, index)

    def lint(self, file: SourceFile, text: str) -> list[Finding] | None:
        """The findings of the file with this text; None when the text does not parse."""
        try:
            tree = parse(text, str(file.path))
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            return None
        facts, table = facts_for_tree(file, tree)
        loaded = Loaded(file, facts, text=text, tree=tree, table=table)
        found = run_rules(loaded, self.index(file, facts), self.engine.rules)
        return sorted(suppress(found, text, file.settings), key=Finding.sort_key)
