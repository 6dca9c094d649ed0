"""Findings for the text an editor holds, against the index of the saved tree.

An editor asks on every change, so nothing here is proportional to the project: each
project's index is built once (from the facts cache, so a warm start parses nothing)
and kept in memory; an edit costs the parse and the walk of one buffer. A file saved or
changed on disk has its facts read again and the index built from them and the other
files' kept facts; a file created or deleted makes its project's index stale, and the
next check rebuilds it (the facts cache re-reads only what changed). A configuration
file that changes starts over with new settings, as the command line would read them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from layercheck.add_noqa import SKIPPED, edit_text
from layercheck.config.files import settings_file
from layercheck.config.settings import Overrides, Settings
from layercheck.config.workspace import Workspace, forget_files
from layercheck.discovery import SourceFile, stdin_file
from layercheck.engine import Engine
from layercheck.facts import FileFacts
from layercheck.fixes.apply import apply_pass
from layercheck.fixes.relint import Relinter
from layercheck.fixes.run import applicable, fix_text
from layercheck.fixes.unused import (
    drop_unused_imports,
    merge_added_imports,
    place_added_imports,
)
from layercheck.index import ProjectIndex
from layercheck.loading import load_file
from layercheck.model import Finding
from layercheck.rules import CATALOG
from layercheck.source import DecodeError, decode_source, parse, read_regular_file


@dataclass(frozen=True, slots=True)
class Checked:
    """One buffer's findings, and what is needed to fix it later."""

    file: SourceFile
    text: str
    findings: tuple[Finding, ...]


class _Indexes(Relinter):
    """The fixes' re-linter, whose per-project indexes can be dropped when files change."""

    def forget(self, roots: Iterable[Path] | None = None) -> None:
        if roots is None:
            self._indexes.clear()
            return
        for root in roots:
            self._indexes.pop(root, None)

    def roots(self) -> list[Path]:
        return list(self._indexes)

    def refresh(self, root: Path, paths: Sequence[Path]) -> bool:
        """The index of `root` again, with the facts of `paths` read anew: what a rebuild
        from the facts cache would give when each is a file the index holds and still a
        file (edited in place: the project has the same files, with the same records);
        the index kept as it is when their facts did not change (a save of an edit inside
        a function or of a comment: the index of a large project costs seconds).
        False, changing nothing, when one is not (created, deleted, an ignore file): the
        caller forgets the index."""
        known = self._indexes.get(root)
        if known is None:
            return False
        _, every = known
        fresh: dict[str, FileFacts] = {}
        for path in paths:
            name = str(path)
            if name not in every or not path.is_file():
                return False
            try:
                fresh[name] = load_file(self.source_file(path), keep_tree=False).facts
            except Exception:  # a facts bug: the rebuild reports it as the command line does
                return False
        if all(facts == every[name] for name, facts in fresh.items()):
            return True
        every.update(fresh)
        self._indexes[root] = (ProjectIndex(every.values()), every)
        return True


class LiveChecker:
    """Checks editor buffers; `changed` hears of files written on disk."""

    def __init__(
        self,
        cwd: Path,
        *,
        warn: Callable[[str], None] | None = None,
        overrides: Overrides | None = None,
    ) -> None:
        self.cwd = cwd
        self.warn = warn
        self._overrides = overrides or Overrides()
        self._start()

    def _start(self) -> None:
        # Excludes apply to the files an editor opens, as with `--force-exclude`.
        forget_files()
        overrides = replace(self._overrides, force_exclude=True)
        self.workspace = Workspace(CATALOG, overrides, cwd=self.cwd)
        self.engine = Engine(self.workspace, warn=self.warn, jobs=1)
        self._indexes = _Indexes(self.engine)
        """The saved tree's index per project: what diagnostics are checked against."""
        self._fixing = _Indexes(self.engine)
        """The re-linter of "fix all", whose index takes in each fixed text's own facts."""

    # -- what changed on disk --------------------------------------------------------
    def changed(self, paths: Iterable[Path]) -> bool:
        """Files created, written or deleted on disk; True when a configuration file was
        among them (everything starts over with the settings read again)."""
        paths = list(paths)
        if any(settings_file(path) for path in paths):
            self._start()
            return True
        touched: dict[Path, list[Path]] = {}
        known = self._indexes.roots()
        for path in paths:
            for root in known:
                if path == root or root in path.parents:
                    touched.setdefault(root, []).append(path)
        # A file saved in an editor: its facts read again, the other files' kept, so that
        # the next check costs the index's build, not the facts cache's load.
        stale = [root for root, saved in touched.items() if not self._indexes.refresh(root, saved)]
        self._indexes.forget(stale)
        self._fixing.forget(touched)
        return False

    # -- checking ----------------------------------------------------------------------
    def source_file(self, path: Path) -> SourceFile | None:
        """The file record for a buffer; None when the settings exclude it."""
        return stdin_file(path, self.workspace)

    def settings_for(self, path: Path) -> Settings:
        return self.workspace.settings_for(path.parent)

    def check(self, path: Path, text: str) -> Checked | None:
        """The findings of `text` as the content of `path` (None: excluded)."""
        file = self.source_file(path)
        if file is None:
            return None
        index = self._indexes.index(file)
        outcome = self.engine.outcome_of(file, text.encode("utf-8"), index)
        if outcome.error is not None and self.warn is not None:
            self.warn(outcome.error)
        return Checked(file, text, tuple(outcome.findings))

    def index_paths(self, file: SourceFile) -> dict[str, str]:
        """Module -> file path in the file's project (related places of a diagnostic)."""
        index = self._indexes.index(file)
        return {module: facts.path for module, facts in index.by_module.items()}

    def handler_places(self, file: SourceFile, finding: Finding) -> list[tuple[Path, int, str]]:
        """Where the exception handlers that an LC304 finding names are registered: the
        place the finding points at, shown beside it (the rule reports only the route)."""
        _, found, named = finding.message.partition("the exception handler for ")
        shorts = re.findall(r"`([\w.]+)`", named) if found else []
        places: list[tuple[Path, int, str]] = []
        if not shorts:
            return places
        index = self._indexes.index(file)
        for facts in index.by_path.values():
            wanted = [s for s in shorts if any(h.rpartition(".")[2] == s for h in facts.handlers)]
            if not wanted:
                continue
            path = Path(facts.path)
            try:
                lines = decode_source(read_regular_file(path)[0]).splitlines()
            except (OSError, DecodeError):
                continue
            for short in wanted:
                pattern = re.compile(rf"exception_handler.*\b{re.escape(short)}\b")
                row = next((n for n, line in enumerate(lines, 1) if pattern.search(line)), 1)
                places.append((path, row, f"the handler for `{short}` is registered here"))
        return places

    # -- fixing ------------------------------------------------------------------------
    def fixed_one(self, checked: Checked, finding: Finding) -> str | None:
        """The text with one finding's fix applied (and the imports it needs merged in,
        those it left unused dropped); None when that does not give code that parses."""
        done = apply_pass(checked.text, [finding])
        if not done.applied:
            return None
        merged = merge_added_imports(checked.text, done.text)
        placed = place_added_imports(checked.text, merged, self._fixing.sections(checked.file))
        text = drop_unused_imports(checked.text, placed)
        for candidate in (text, done.text):
            if _parses(candidate):
                return candidate
        return None

    def fixed_all(self, checked: Checked, unsafe: bool) -> str:
        """The text after every applicable fix, re-linted between passes as `--fix` does."""
        wanted = [finding for finding in checked.findings if applicable(finding, unsafe)]
        if not wanted:
            return checked.text
        result = fix_text(
            self._fixing, checked.file, checked.text, checked.findings, unsafe, self._warn
        )
        return result.fixed

    @staticmethod
    def with_noqa(checked: Checked, finding: Finding) -> str | None:
        """The text with `# noqa: CODE` added (or merged) where the finding's line takes
        it; None for the findings a noqa comment is not the answer to."""
        if finding.code in SKIPPED:
            return None
        row = finding.noqa_row or finding.start.row
        text, changed = edit_text(checked.text, {row: {finding.code}})
        return text if changed else None

    def _warn(self, message: str) -> None:
        if self.warn is not None:
            self.warn(message)


def _parses(text: str) -> bool:
    try:
        parse(text, "<fix>")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return False
    return True
