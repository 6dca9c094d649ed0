"""discover -> read/decode/parse -> facts -> index -> one walk per file -> suppression."""

from __future__ import annotations

import ast
import errno
import gc
import os
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from layercheck.discovery import discover
from layercheck.facts import FileFacts, extract
from layercheck.index import ProjectIndex
from layercheck.layers import Layer, is_test_path
from layercheck.model import Finding, Location
from layercheck.names import ImportTable
from layercheck.noqa import parse_noqa
from layercheck.parallel import FileOutcome, run_sharded, worker_count
from layercheck.rules import ALL_RULES, ENGINE_CODES
from layercheck.rules._base import Rule, RuleContext
from layercheck.settings import Settings
from layercheck.source import DecodeError, LineIndex, decode_source, parse
from layercheck.walker import Walker
from layercheck.workspace import Workspace, module_name

_MESSAGES = {rule.meta.code: rule.meta.message for rule in ALL_RULES}


@dataclass
class Loaded:
    """One file after read/decode/parse; the tree is kept only for files to report on."""

    path: Path
    settings: Settings
    facts: FileFacts
    text: str | None = None
    tree: ast.Module | None = None
    table: ImportTable | None = None
    problem: Finding | None = None
    error: str | None = None


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    layers: dict[Path, Layer | None] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    internal_errors: int = 0
    sources: dict[Path, str] = field(default_factory=dict)
    """Decoded text of the files with findings, for reporters that show code: re-reading
    the file would lose its encoding, and stdin has no file to re-read."""


def _meta_finding(code: str, path: Path, start: Location, end: Location, reason: str) -> Finding:
    return Finding(
        code=code,
        message=_MESSAGES[code].format(reason=reason),
        path=path,
        start=start,
        end=end,
        noqa_row=start.row,
    )


def path_layer(path: Path, settings: Settings) -> tuple[Layer | None, bool, str | None]:
    """(layer from the path alone, is a test file, the folder whose name gave the layer)."""
    relative = settings.relative(path)
    base = settings.root
    if relative is None:
        relative, base = PurePosixPath(*path.parts[1:]), Path(path.anchor)
    if is_test_path(relative):
        return None, True, None
    if _in_alembic_versions(path):
        return Layer.MIGRATIONS, False, None
    layer, folder = settings.layer_map.origin(relative)
    return layer, False, str(base / folder) if folder is not None else None


def facts_for_tree(
    path: Path, settings: Settings, tree: ast.Module
) -> tuple[FileFacts, ImportTable]:
    """The file's facts, and its name table with the module scope filled in."""
    module, is_package = module_name(path, settings)
    layer, is_test, folder = path_layer(path, settings)
    table = ImportTable(module, is_package)
    facts = extract(
        tree,
        table,
        path=str(path),
        path_layer=layer,
        layer_folder=folder,
        is_test=is_test,
        detect_routes=settings.detect_routes,
    )
    return facts, table


def _in_alembic_versions(path: Path) -> bool:
    for folder in list(path.parents)[:3]:
        if folder.name == "versions" and (folder.parent / "env.py").is_file():
            return True
    return False


def _syntax_problem(path: Path, text: str, exc: SyntaxError, settings: Settings) -> Finding:
    row = exc.lineno or 1
    column = max(exc.offset or 1, 1)
    start = Location(row, column)
    end = start
    if exc.end_lineno and exc.end_offset and (exc.end_lineno, exc.end_offset) > (row, column):
        end = Location(exc.end_lineno, exc.end_offset)
    reason = exc.msg
    if settings.target_version > sys.version_info[:2]:
        reason += (
            f" (the project targets Python {settings.target_version[0]}."
            f"{settings.target_version[1]}; run layercheck on a newer Python)"
        )
    return _meta_finding("LC001", path, start, end, reason)


def _read_regular_file(path: Path) -> bytes:
    """The file's bytes. A FIFO or device named `x.py` would block or never end: it is
    opened without blocking (no effect on regular files) and refused."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return handle.read()


def load_file(
    path: Path, settings: Settings, *, data: bytes | None = None, keep_tree: bool = True
) -> Loaded:
    """Read, decode strictly, parse once, and gather the file's facts."""
    layer, is_test, folder = path_layer(path, settings)
    module, is_package = module_name(path, settings)
    bare = FileFacts(
        path=str(path),
        module=module,
        is_package=is_package,
        path_layer=layer,
        layer_folder=folder,
        is_test=is_test,
        detect_routes=settings.detect_routes,
        parsed=False,
    )
    origin = Location(1, 1)
    try:
        raw = _read_regular_file(path) if data is None else data
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Loaded(
            path, settings, bare, problem=_meta_finding("LC002", path, origin, origin, reason)
        )
    try:
        text = decode_source(raw)
    except DecodeError as exc:
        return Loaded(
            path, settings, bare, problem=_meta_finding("LC002", path, origin, origin, str(exc))
        )
    try:
        tree = parse(text, str(path))
    except SyntaxError as exc:
        return Loaded(
            path, settings, bare, text=text, problem=_syntax_problem(path, text, exc, settings)
        )
    except (RecursionError, MemoryError):
        reason = "too deeply nested to parse"
        return Loaded(
            path,
            settings,
            bare,
            text=text,
            problem=_meta_finding("LC001", path, origin, origin, reason),
        )
    facts, table = facts_for_tree(path, settings, tree)
    if not keep_tree:
        return Loaded(path, settings, facts)
    return Loaded(path, settings, facts, text=text, tree=tree, table=table)


def active_rules(
    settings: Settings, path: Path, layer: Layer | None, rules: Sequence[type[Rule]]
) -> list[Rule]:
    codes = settings.active_codes
    ignored = settings.ignored_codes(path)
    chosen: list[Rule] = []
    for rule in rules:
        meta = rule.meta
        if meta.code not in codes or meta.code in ENGINE_CODES:
            continue
        if any(meta.code.startswith(prefix) for prefix in ignored):
            continue
        if meta.layers is not None and layer not in meta.layers:
            continue
        chosen.append(rule())
    return chosen


def run_rules(
    loaded: Loaded, index: ProjectIndex, rules: Sequence[type[Rule]] = ALL_RULES
) -> list[Finding]:
    """The one walk of one file's tree."""
    assert loaded.tree is not None
    assert loaded.table is not None
    assert loaded.text is not None
    layer = index.layer_for_facts(loaded.facts)
    chosen = active_rules(loaded.settings, loaded.path, layer, rules)
    if not chosen:
        return []
    ctx = RuleContext(
        path=loaded.path,
        module=loaded.facts.module,
        layer=layer,
        names=loaded.table,
        index=index,
        settings=loaded.settings,
        lines=LineIndex.from_text(loaded.text),
        is_test=loaded.facts.is_test,
    )
    Walker(chosen).walk(loaded.tree, ctx)
    return ctx.findings


def suppress(findings: Iterable[Finding], text: str | None, settings: Settings) -> list[Finding]:
    """Drop findings of codes not selected for the file, and those under a noqa comment."""
    kept: list[Finding] = []
    noqa = None
    ignored: tuple[str, ...] | None = None
    for finding in findings:
        if finding.code not in settings.active_codes:
            continue
        if ignored is None:
            ignored = settings.ignored_codes(finding.path)
        if any(finding.code.startswith(prefix) for prefix in ignored):
            continue
        if text is not None:
            if noqa is None:
                noqa = parse_noqa(text)
            if noqa.suppresses(finding.code, finding.noqa_row):
                continue
        kept.append(finding)
    return kept


class Engine:
    def __init__(
        self,
        workspace: Workspace,
        rules: Sequence[type[Rule]] = ALL_RULES,
        warn: Callable[[str], None] | None = None,
        jobs: int | None = None,
    ) -> None:
        self.workspace = workspace
        self.rules = rules
        self.warn = warn
        self.jobs = jobs

    def _warn(self, result: CheckResult, message: str) -> None:
        result.warnings.append(message)
        if self.warn is not None:
            self.warn(message)

    def projects(self, targets: Sequence[Path]) -> dict[Path, list[Path]]:
        """Files whose facts feed each project's index, by project root: the targets plus,
        for targets inside a project marked by a config file or git root, every file of
        that project. Two projects never share an index (both may have `app.errors`)."""
        groups: dict[Path, list[Path]] = {}
        marked: list[Path] = []
        for target in targets:
            root = self.workspace.settings_for(target.parent).root
            groups.setdefault(root, []).append(target)
            if root not in marked and self.workspace.has_project_root(target.parent):
                marked.append(root)
        for root in marked:
            known = set(groups[root])
            for path in discover([root], self.workspace).files:
                if path not in known and self.workspace.settings_for(path.parent).root == root:
                    groups[root].append(path)
        return groups

    def project_files(self, targets: Sequence[Path]) -> list[Path]:
        return [path for files in self.projects(targets).values() for path in files]

    def _load(self, path: Path, keep_tree: bool, data: bytes | None) -> Loaded:
        settings = self.workspace.settings_for(path.parent)
        try:
            return load_file(path, settings, data=data, keep_tree=keep_tree)
        except Exception as exc:  # a facts bug must not hide the other files
            bare = FileFacts(str(path), "", False, None, False, parsed=False)
            return Loaded(path, settings, bare, error=f"{path}: internal error: {exc!r}")

    def _outcome(self, item: Loaded, index: ProjectIndex) -> FileOutcome:
        outcome = FileOutcome(item.path, index.layer_for_facts(item.facts), error=item.error)
        found: list[Finding] = [item.problem] if item.problem is not None else []
        if item.tree is not None:
            try:
                found.extend(run_rules(item, index, self.rules))
            except Exception as exc:  # a rule bug must not hide the other files
                outcome.error = f"{item.path}: internal error: {exc!r}"
            item.tree = None
        outcome.findings = suppress(found, item.text, item.settings)
        if outcome.findings:
            outcome.text = item.text
        return outcome

    def _check_project(
        self, files: list[Path], targets: frozenset[Path], stdin: tuple[Path, bytes] | None
    ) -> list[FileOutcome]:
        def load(path: Path, keep_tree: bool) -> Loaded:
            data = stdin[1] if stdin is not None and path in targets else None
            return self._load(path, keep_tree, data)

        workers = worker_count(len(files), self.jobs)
        if workers > 1 and stdin is None:
            _, outcomes = run_sharded(files, targets, workers, load, self._outcome, ProjectIndex)
            return outcomes
        loaded = [load(path, path in targets) for path in files]
        index = ProjectIndex(item.facts for item in loaded)
        return [self._outcome(item, index) for item in loaded if item.path in targets]

    def check(
        self,
        paths: Sequence[Path],
        *,
        stdin: tuple[Path, bytes] | None = None,
    ) -> CheckResult:
        result = CheckResult()
        if stdin is not None:
            stdin_path = Path(os.path.normpath(self.workspace.cwd / stdin[0]))
            self.workspace.add_anchors([stdin_path])
            targets = [stdin_path]
            settings = self.workspace.settings_for(stdin_path.parent)
            # As in ruff, excludes apply to the stdin file name only with --force-exclude.
            if settings.force_exclude and settings.is_excluded(stdin_path):
                targets = []
        else:
            found = discover(paths, self.workspace, warn=lambda m: self._warn(result, m))
            targets = found.files
        result.files = list(targets)
        target_set = frozenset(targets)
        gc_was_enabled = gc.isenabled()
        gc.disable()  # trees hold no cycles; the collector would only re-walk them
        try:
            for files in self.projects(targets).values():
                for outcome in self._check_project(files, target_set, stdin):
                    result.layers[outcome.path] = outcome.layer
                    if outcome.error is not None:
                        result.internal_errors += 1
                        self._warn(result, outcome.error)
                    if outcome.findings and outcome.text is not None:
                        result.sources[outcome.path] = outcome.text
                    result.findings.extend(outcome.findings)
        finally:
            if gc_was_enabled:
                gc.enable()
        result.findings.sort(key=Finding.sort_key)
        return result
