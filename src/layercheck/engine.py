"""The pipeline, orchestrated: discovery (each file with its settings, module and path
layer) -> loading (read, decode, parse, facts) -> the project index -> lint (one walk per
file) -> suppress; per project, in one process or in workers, with the facts cache."""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from layercheck.cache import FactsCache, Prefetched, Stamp, read_stamped
from layercheck.config.workspace import Workspace
from layercheck.discovery import SourceFile, discover, stdin_file
from layercheck.facts import FileFacts
from layercheck.import_roots import misrooted_imports_warning
from layercheck.index import ProjectIndex
from layercheck.layers import Layer
from layercheck.lint import run_rules
from layercheck.loading import Loaded, bare_facts, load_file
from layercheck.model import Finding, internal_error
from layercheck.parallel import FileOutcome, WorkerError, run_sharded, worker_count
from layercheck.rules import ALL_RULES
from layercheck.rules._base import Rule
from layercheck.suppress import suppress
from layercheck.walker import culprit


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    layers: dict[Path, Layer | None] = field(default_factory=dict)
    layer_notes: dict[Path, str] = field(default_factory=dict)
    """Why a file's layer is not the one its path's nearest word names."""
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Internal errors, one line each (a bug in layercheck: exit code 2)."""
    internal_errors: int = 0
    sources: dict[Path, str] = field(default_factory=dict)
    """Decoded text of the files with findings, for reporters that show code: re-reading
    the file would lose its encoding, and stdin has no file to re-read."""


def failed_in(exc: BaseException, path: Path) -> str:
    """What failed on `path`: the rule whose handler raised, where there is one."""
    found = culprit(exc)
    return f"{found} on {path}" if found is not None else f"checking {path}"


class Engine:
    def __init__(
        self,
        workspace: Workspace,
        rules: Sequence[type[Rule]] = ALL_RULES,
        warn: Callable[[str], None] | None = None,
        jobs: int | None = None,
        error: Callable[[str], None] | None = None,
    ) -> None:
        """`warn` hears warnings, `error` internal errors (`warn` when not given); the
        run goes on after both."""
        self.workspace = workspace
        self.rules = rules
        self.warn = warn
        self.error = error or warn
        self.jobs = jobs
        self._cache_problem: str | None = None
        self._cache_warned = False
        self._notes: list[str] = []
        """Warnings about a project as a whole (module names that miss its imports)."""

    def _warn(self, result: CheckResult, message: str) -> None:
        result.warnings.append(message)
        if self.warn is not None:
            self.warn(message)

    def _fail(self, result: CheckResult, message: str) -> None:
        result.internal_errors += 1
        result.errors.append(message)
        if self.error is not None:
            self.error(message)

    def projects(self, targets: Sequence[SourceFile]) -> dict[Path, list[SourceFile]]:
        """Files whose facts feed each project's index, by project root: the targets plus,
        for targets inside a project marked by a config file or git root, every file of
        that project. Two projects never share an index (both may have `app.errors`)."""
        groups: dict[Path, list[SourceFile]] = {}
        marked: list[Path] = []
        for target in targets:
            root = target.settings.root
            groups.setdefault(root, []).append(target)
            if root not in marked and self.workspace.has_project_root(target.path.parent):
                marked.append(root)
        for root in marked:
            known = {file.path for file in groups[root]}
            for file in discover([root], self.workspace, known=groups[root]).files:
                if file.path not in known and file.settings.root == root:
                    groups[root].append(file)
        return groups

    def _load(
        self,
        file: SourceFile,
        keep_tree: bool,
        data: bytes | None,
        *,
        stamp: Stamp | None = None,
        stamped: bool = False,
    ) -> Loaded:
        """`stamped`: read the file here, so that its facts can be cached with the stamp
        of the very bytes they come from."""
        try:
            if stamped and data is None:
                # When the file cannot be read, load_file tries again and reports why.
                with contextlib.suppress(OSError):
                    data, stamp = read_stamped(file.path)
            loaded = load_file(file, data=data, keep_tree=keep_tree)
            loaded.stamp = stamp
            return loaded
        except Exception as exc:  # a facts bug must not hide the other files
            bare = FileFacts(str(file.path), "", False, None, False, parsed=False)
            return Loaded(file, bare, error=internal_error(f"reading {file.path}", exc))

    def _outcome(self, item: Loaded, index: ProjectIndex) -> FileOutcome:
        path = item.file.path
        decision = index.decision(item.facts)
        outcome = FileOutcome(path, decision.layer, error=item.error, layer_note=decision.note)
        found: list[Finding] = [item.problem] if item.problem is not None else []
        # Unused noqa comments are known only when every rule ran on the whole file.
        complete = item.tree is not None and self.rules is ALL_RULES
        if item.tree is not None:
            try:
                found.extend(run_rules(item, index, self.rules))
            except Exception as exc:  # a rule bug must not hide the other files
                outcome.error = internal_error(failed_in(exc, path), exc)
                complete = False
            item.tree = None
        unused_in = path if complete else None
        outcome.findings = suppress(found, item.text, item.file.settings, path=unused_in)
        if outcome.findings:
            outcome.text = item.text
        return outcome

    # -- the facts cache ---------------------------------------------------------------
    def _open_cache(self, root: Path, files: Sequence[SourceFile]) -> FactsCache | None:
        """The project's cache, unless `--no-cache`. A project without a config file,
        packaging file or git root has no files but its targets, which are always
        parsed: nothing to cache."""
        if not files:
            return None
        settings = files[0].settings
        if not settings.cache or not self.workspace.has_project_root(files[0].path.parent):
            return None
        return FactsCache(settings.cache_dir, root)

    def _cached(
        self,
        cache: FactsCache | None,
        files: Sequence[SourceFile],
        targets: frozenset[Path],
    ) -> tuple[dict[Path, FileFacts], dict[Path, Prefetched]]:
        """Facts still valid for the files not reported on (targets are always parsed:
        they must be walked), and the bytes of those read to find out they are not."""
        cached: dict[Path, FileFacts] = {}
        prefetched: dict[Path, Prefetched] = {}
        if cache is None:
            return cached, prefetched
        for file in files:
            if file.path in targets:
                continue
            found = cache.lookup(file.path, file.settings, functools.partial(bare_facts, file))
            if isinstance(found, FileFacts):
                cached[file.path] = found
            elif found is not None:
                prefetched[file.path] = found
        return cached, prefetched

    def _store(
        self,
        cache: FactsCache | None,
        files: Sequence[SourceFile],
        fresh: Iterable[tuple[SourceFile, Stamp, FileFacts]],
    ) -> None:
        """Keep the facts of the files loaded in this run, drop those of files gone, and
        write the cache; a cache that cannot be written is remembered for one warning."""
        if cache is None:
            return
        for file, stamp, facts in fresh:
            cache.store(file.path, file.settings, stamp, facts)
        cache.prune(file.path for file in files)
        try:
            cache.save()
        except OSError as exc:
            if self._cache_problem is None:
                reason = exc.strerror or str(exc)
                self._cache_problem = f"cannot write the cache in {cache.directory}: {reason}"

    def _cache_warning(self) -> str | None:
        """The cache problem of this engine's runs, once."""
        if self._cache_problem is None or self._cache_warned:
            return None
        self._cache_warned = True
        return self._cache_problem

    def _loader(
        self,
        targets: frozenset[Path],
        stdin: tuple[Path, bytes] | None,
        prefetched: dict[Path, Prefetched],
        stamped: bool,
    ) -> Callable[[SourceFile, bool], Loaded]:
        def load(file: SourceFile, keep_tree: bool) -> Loaded:
            if stdin is not None and file.path in targets:
                # Not the file on disk: no stamp, so never cached.
                return self._load(file, keep_tree, stdin[1])
            early = prefetched.get(file.path)
            if early is not None:
                return self._load(file, keep_tree, early[0], stamp=early[1])
            return self._load(file, keep_tree, None, stamped=stamped)

        return load

    def project_facts(self, root: Path, files: Sequence[SourceFile]) -> list[FileFacts]:
        """Facts of one project's files, none of them to report on (the flake8 plugin's
        index), from the cache where it is valid."""
        cache = self._open_cache(root, files)
        cached, prefetched = self._cached(cache, files, frozenset())
        load = self._loader(frozenset(), None, prefetched, cache is not None)
        loaded = self._load_serially(files, frozenset(), cached, load)
        self._store(cache, files, self._fresh(loaded))
        problem = self._cache_warning()
        if problem is not None and self.warn is not None:
            self.warn(problem)
        return [item.facts for item in loaded]

    def _load_serially(
        self,
        files: Sequence[SourceFile],
        targets: frozenset[Path],
        cached: dict[Path, FileFacts],
        load: Callable[[SourceFile, bool], Loaded],
    ) -> list[Loaded]:
        return [
            Loaded(file, cached[file.path])
            if file.path in cached
            else load(file, file.path in targets)
            for file in files
        ]

    @staticmethod
    def _fresh(loaded: Iterable[Loaded]) -> Iterator[tuple[SourceFile, Stamp, FileFacts]]:
        for item in loaded:
            if item.stamp is not None:
                yield item.file, item.stamp, item.facts

    def _check_project(
        self,
        root: Path,
        files: list[SourceFile],
        targets: frozenset[Path],
        stdin: tuple[Path, bytes] | None,
        failed: Callable[[str], None],
    ) -> list[FileOutcome]:
        """The outcomes of the project's targets; a failed worker is reported through
        `failed` and the project is checked again in this process."""
        cache = self._open_cache(root, files)
        cached, prefetched = self._cached(cache, files, targets)
        load = self._loader(targets, stdin, prefetched, cache is not None)
        workers = worker_count(len(files) - len(cached), self.jobs)
        if workers > 1 and stdin is None:
            try:
                every, stamps, outcomes = run_sharded(
                    files, targets, workers, load, self._outcome, ProjectIndex, cached
                )
            except WorkerError as exc:
                failed(internal_error(f"a worker process checking {root}", exc))
                return self._check_serially(files, targets, cached, load, cache)
            self._check_roots(every)
            fresh = [
                (file, stamps[file.path], facts)
                for file, facts in zip(files, every, strict=True)
                if file.path in stamps
            ]
            self._store(cache, files, fresh)
            return outcomes
        return self._check_serially(files, targets, cached, load, cache)

    def _check_roots(self, facts: Iterable[FileFacts]) -> None:
        warning = misrooted_imports_warning(facts)
        if warning is not None:
            self._notes.append(warning)

    def _check_serially(
        self,
        files: list[SourceFile],
        targets: frozenset[Path],
        cached: dict[Path, FileFacts],
        load: Callable[[SourceFile, bool], Loaded],
        cache: FactsCache | None,
    ) -> list[FileOutcome]:
        loaded = self._load_serially(files, targets, cached, load)
        self._check_roots(item.facts for item in loaded)
        index = ProjectIndex(item.facts for item in loaded)
        outcomes = [self._outcome(item, index) for item in loaded if item.file.path in targets]
        self._store(cache, files, self._fresh(loaded))
        return outcomes

    def check(
        self,
        paths: Sequence[Path],
        *,
        stdin: tuple[Path, bytes] | None = None,
    ) -> CheckResult:
        result = CheckResult()
        targets: list[SourceFile]
        if stdin is not None:
            named = stdin_file(stdin[0], self.workspace)
            targets = [named] if named is not None else []
        else:
            found = discover(paths, self.workspace, warn=lambda m: self._warn(result, m))
            targets = found.files
        result.files = [file.path for file in targets]
        target_set = frozenset(result.files)
        gc_was_enabled = gc.isenabled()
        gc.disable()  # trees hold no cycles; the collector would only re-walk them
        try:
            for root, files in self.projects(targets).items():
                failed = functools.partial(self._fail, result)
                try:
                    outcomes = self._check_project(root, files, target_set, stdin, failed)
                except Exception as exc:  # e.g. the index: the other projects still count
                    failed(internal_error(f"checking the project at {root}", exc))
                    continue
                for outcome in outcomes:
                    result.layers[outcome.path] = outcome.layer
                    if outcome.layer_note:
                        result.layer_notes[outcome.path] = outcome.layer_note
                    if outcome.error is not None:
                        self._fail(result, outcome.error)
                    if outcome.findings and outcome.text is not None:
                        result.sources[outcome.path] = outcome.text
                    result.findings.extend(outcome.findings)
        finally:
            if gc_was_enabled:
                gc.enable()
        problem = self._cache_warning()
        if problem is not None:
            self._warn(result, problem)
        for note in dict.fromkeys(self._notes):
            self._warn(result, note)
        self._notes.clear()
        result.findings.sort(key=Finding.sort_key)
        return result
