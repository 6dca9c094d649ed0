"""The pipeline, orchestrated: discovery (each file with its settings, module and path
layer) -> loading (read, decode, parse, facts) -> the project index -> lint (one walk per
file) -> suppress; per project, in one process or in workers, with the facts cache."""

from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import hashlib
import json
import operator
import os
from array import array
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar, cast

from layercheck import __version__
from layercheck.allowed_edges import CODE as UNUSED_ALLOWED_IMPORT
from layercheck.allowed_edges import unused_allowed_imports
from layercheck.cache import (
    NO_MTIME,
    EncodedFacts,
    FactsCache,
    Prefetched,
    Stamp,
    encode_facts,
    facts_digest,
    read_stamped,
    settings_key,
)
from layercheck.config.settings import Settings
from layercheck.config.workspace import Workspace
from layercheck.discovery import SourceFile, WalkLog, discover, stdin_file
from layercheck.facts import FileFacts
from layercheck.findings_cache import (
    Digests,
    FileStat,
    FindingsCache,
    Keys,
    Rows,
    Stats,
    stat_files,
)
from layercheck.held import HeldTexts, PathList, Pool
from layercheck.import_roots import misrooted_imports_warning
from layercheck.index import ProjectIndex, learned, state_of, trim
from layercheck.index_reads import ReadingIndex, Replay
from layercheck.index_state import IndexStateFile
from layercheck.layers import Layer
from layercheck.lint import run_rules
from layercheck.loading import Loaded, load_file
from layercheck.model import Finding, internal_error
from layercheck.parallel import FileOutcome, WorkerError, map_forked, worker_count
from layercheck.reads_file import encode_reads
from layercheck.roots_record import RootsRecord
from layercheck.rules import ALL_RULES
from layercheck.rules._base import Rule
from layercheck.source import DecodeError, decode_source, read_regular_file
from layercheck.spill import FactsSpill, Packed, packed, spilling
from layercheck.suppress import suppress
from layercheck.tree_cache import TreeCache
from layercheck.walker import culprit

_READ_EARLY: Final = 64
"""Files whose stat cannot tell read right after it (`_read_uncertain`), at most."""
_R = TypeVar("_R")
_S = TypeVar("_S")


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    files: Sequence[Path] = field(default_factory=PathList)
    layers: dict[str, Layer | None] = field(default_factory=dict)
    """Each file's layer, by its path's text (`str(path)`)."""
    layer_notes: dict[str, str] = field(default_factory=dict)
    """Why a file's layer is not the one its path's nearest word names."""
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Internal errors, one line each (a bug in layercheck: exit code 2)."""
    internal_errors: int = 0
    sources: MutableMapping[Path, str] = field(default_factory=HeldTexts)
    """Decoded text of the files with findings, for reporters that show code: re-reading
    the file would lose its encoding, and stdin has no file to re-read. On disk for the
    run (held.py)."""


@dataclass(frozen=True)
class HeldProject:
    """What the findings cache holds for an unchanged project (nothing, when it changed)."""

    outcome: Callable[[Path | str], FileOutcome | None]
    """A file's outcome (by its path or the path's text); None for a file it does not
    hold."""
    notes: list[str] | None = None
    """The warnings of the run that built the index; None when it is not held."""
    project_findings: list[Finding] | None = None
    """The findings about the project as a whole; None when they are not held."""
    hashed: Mapping[str, str] = field(default_factory=dict)
    """The sha256 of each file whose stat could not tell (saved a moment ago), by path:
    what its held outcome was found from."""
    stored: Callable[[str], list[object] | None] = lambda name: None
    """A file's findings as the findings cache stores them (`held_findings`), undecoded:
    the warm record's write."""
    stats: Mapping[str, FileStat | None] | None = None
    """The stat of each file, taken before any was asked about: what it holds rests on."""


def _read_uncertain(stats: Mapping[str, FileStat | None]) -> dict[str, Prefetched]:
    """The bytes of the files whose stat cannot tell whether they change (modified a
    moment ago: an editor saved one, then ran layercheck), read right after the stat,
    for the facts pass to read them from: the findings cache keeps their hash as what
    the index was built from, and the next run hashes them alone instead of building
    the index again. None past `_READ_EARLY` files (a checkout of a branch): those
    are told apart by building the index, as any changed file is."""
    uncertain = [name for name, stat in stats.items() if stat is not None and stat[0] == NO_MTIME]
    if len(uncertain) > _READ_EARLY:
        return {}
    early: dict[str, Prefetched] = {}
    for name in uncertain:
        with contextlib.suppress(OSError):
            early[name] = read_stamped(name)
    return early


def _index_digest(digests: Mapping[str, str]) -> str:
    """The index as a hash: it is built from the facts of these files and nothing else."""
    joined = "\n".join(sorted(f"{path}\0{digest}" for path, digest in digests.items()))
    # A path is any bytes on POSIX: those that are no UTF-8 come back as they were.
    return hashlib.sha256(joined.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _path_header(file: SourceFile) -> tuple[object, ...]:
    """What `loading.bare_facts(file)` says of the path (the fields of `cache.HEADER`,
    in order), without building those facts: the facts cache asks it of every file of
    the project, and building them cost more than the rest of a lookup."""
    return (
        file.name,
        file.module,
        file.is_package,
        file.path_layer,
        file.layer_folder,
        file.is_test,
        file.settings.detect_routes,
        file.layer_given,
        file.outer_layers,
    )


def _rules_key(rules: Sequence[type[Rule]]) -> str:
    """The rule set and the code that runs it: this version, and the stamp of every
    module of the package, so that an edited rule (a development install) does not
    find the findings of its former self."""
    names = [f"{rule.__module__}.{rule.__qualname__}" for rule in rules]
    package = Path(__file__).parent
    code: list[tuple[str, int, int]] = []
    for path in sorted(package.rglob("*.py")):
        with contextlib.suppress(OSError):
            status = path.stat()
            code.append((str(path.relative_to(package)), status.st_mtime_ns, status.st_size))
    shape = json.dumps([__version__, names, code])
    return hashlib.sha256(shape.encode()).hexdigest()[:32]


def failed_in(exc: BaseException, path: Path) -> str:
    """What failed on `path`: the rule whose handler raised, where there is one."""
    found = culprit(exc)
    return f"{found} on {path}" if found is not None else f"checking {path}"


def _same(these: Sequence[SourceFile], those: Sequence[SourceFile]) -> bool:
    """The same records in the same order: by identity, as a Path hashes by its parts,
    costly by the 100,000."""
    return len(these) == len(those) and all(map(operator.is_, these, those))


def _as_is(file: SourceFile, result: _R) -> _R:
    return result


def _nothing_held(path: Path | str) -> FileOutcome | None:
    return None


class _Identities:
    """The identities (`id`) of some records as one sorted array: 8 bytes a record, where
    a set of ints held each as an object of its own (about 80 bytes a file, 100,000
    files: 8 MiB that each rules worker inherits)."""

    __slots__ = ("_ids",)

    def __init__(self, records: Iterable[object]) -> None:
        self._ids = array("Q", sorted(map(id, records)))

    def __contains__(self, identity: object) -> bool:
        if type(identity) is not int:
            return False
        at = bisect.bisect_left(self._ids, identity)
        return at < len(self._ids) and self._ids[at] == identity


def _collect_cycles() -> None:
    """Free the reference cycles the last file left (`ast.dump` makes one a call: a
    closure that refers to itself), which a run holds the collector off from: a few
    hundred bytes a call, kept for every file a worker checks (100,000 files: about 50
    MiB a worker). Between files no tree is alive, so only the youngest objects are
    looked at: what the last file left, not the index."""
    if not gc.isenabled():
        gc.collect(0)


def _read_text(path: Path) -> str | None:
    try:
        return decode_source(read_regular_file(path)[0])
    except (OSError, DecodeError):
        return None


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
        self._keys: dict[int, tuple[Settings, str]] = {}
        self._rules_key = _rules_key(rules)
        self._forking = True
        """False once a worker failed: the rest of the project is checked in process."""
        self._walked: dict[Path, tuple[list[SourceFile], list[str]]] | None = None
        """The walk of each project root during a `check` (its targets' walk is the
        project's), and its warnings; None between checks: a long-lived engine (the
        language server) must see the files added since."""
        self.write_caches = True
        """False in processes that run at once, each on its share of the files (flake8's
        jobs): the caches are only read."""
        self.hold_texts = True
        """False when nothing after the run shows a file's source (the concise and JSON
        reports, no fix, no baseline): the text of each file with findings is then not
        held to the end of the run (at 100,000 generated files, some 12,000 texts, 35
        MiB of the parent), nor read again for findings from the cache."""
        self._keeping: tuple[MutableMapping[Path, str], Pool] | None = None
        """During a `check`, where each checked file's text goes as its outcome arrives,
        and the pool its findings are made small with (held.py)."""

    def _warn(self, result: CheckResult, message: str) -> None:
        result.warnings.append(message)
        if self.warn is not None:
            self.warn(message)

    def _fail(self, result: CheckResult, message: str) -> None:
        result.internal_errors += 1
        result.errors.append(message)
        if self.error is not None:
            self.error(message)

    def projects(
        self, targets: Sequence[SourceFile], configs: Sequence[Settings] = ()
    ) -> dict[Path, list[SourceFile]]:
        """Files whose facts feed each project's index, by project root: the targets plus,
        for targets inside a project marked by a config file or git root, every file of
        that project; and every file of the projects whose config file was named
        (`configs`). Two projects never share an index (both may have `app.errors`)."""
        groups: dict[Path, list[SourceFile]] = {}
        marked: list[Path] = []
        for settings in configs:
            if settings.root not in groups:
                groups[settings.root] = []
                marked.append(settings.root)
        for target in targets:
            root = target.settings.root
            groups.setdefault(root, []).append(target)
            if root not in marked and self.workspace.has_project_root(target.folder):
                marked.append(root)
        for root in marked:
            group = groups[root]
            walked = self._walked.get(root) if self._walked is not None else None
            if walked is not None and _same(walked[0], group):
                continue  # the root was named: its targets are its walk
            known = {file.name: file for file in group}
            for file in self._project_files(root, known)[0]:
                if file.name not in known and file.settings.root == root:
                    group.append(file)
        return groups

    def _project_files(
        self, root: Path, known: Mapping[str, SourceFile]
    ) -> tuple[list[SourceFile], list[str]]:
        """Every file under a project root and the warnings of its walk: once a run, from
        the tree cache while the folders, ignore files and settings the last walk rested
        on are unchanged."""
        walked = self._walked if self._walked is not None else {}
        done = walked.get(root)
        if done is not None:
            return done
        settings = self.workspace.settings_for(root)
        if not settings.cache:
            # Kept for the run all the same: the walk of a root named on the command line
            # is the project's (`_root_walk`), so the tree is walked once, not twice.
            found = discover([root], self.workspace, known=known.values())
            walked[root] = (found.files, found.warnings)
            return found.files, found.warnings
        tree = TreeCache(settings.cache_dir, root)
        held = tree.files(self.workspace, self._findings_key, known)
        if held is not None:
            walked[root] = (held, [])
            return held, []
        log = WalkLog()
        files = discover([root], self.workspace, known=known.values(), log=log).files
        if not self.write_caches:
            walked[root] = (files, log.notes)
            return files, log.notes
        try:
            tree.record(files, log, self._findings_key, self.workspace)
        except OSError as exc:
            if self._cache_problem is None:
                reason = exc.strerror or str(exc)
                self._cache_problem = f"cannot write the cache in {tree.directory}: {reason}"
        walked[root] = (files, log.notes)
        return files, log.notes

    def _root_walk(
        self, folder: Path, settings: Settings
    ) -> tuple[list[SourceFile], list[str]] | None:
        """A project root named on the command line: its walk is the project's, which
        the tree cache may hold (`layercheck .`, warm, lists no folder); walked once for
        both without the cache."""
        if folder != settings.root:
            return None
        if not self.workspace.has_project_root(folder):
            return None
        return self._project_files(folder, {})

    def _load(
        self,
        file: SourceFile,
        keep_tree: bool,
        data: bytes | None,
        *,
        stamp: Stamp | None = None,
        stamped: bool = False,
        known: FileFacts | None = None,
    ) -> Loaded:
        """`stamped`: read the file here, so that its facts can be cached with the stamp
        of the very bytes they come from."""
        try:
            if stamped and data is None:
                # When the file cannot be read, load_file tries again and reports why.
                with contextlib.suppress(OSError):
                    data, stamp = read_stamped(file.name)
            loaded = load_file(file, data=data, keep_tree=keep_tree, known=known)
            loaded.stamp = stamp
            return loaded
        except Exception as exc:  # a facts bug must not hide the other files
            bare = FileFacts(file.name, "", False, None, False, parsed=False)
            return Loaded(file, bare, error=internal_error(f"reading {file.path}", exc))

    def _outcome(self, item: Loaded, index: ProjectIndex) -> FileOutcome:
        """`index`: a ReadingIndex when the findings are to be cached."""
        path = item.file.path
        decision = index.decision(item.facts)
        outcome = FileOutcome(
            item.file.name, decision.layer, error=item.error, layer_note=decision.note
        )
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

    # -- the caches --------------------------------------------------------------------
    def _caching(self, files: Sequence[SourceFile]) -> bool:
        """Unless `--no-cache`. A project without a config file, packaging file or git
        root has no files but its targets, which are always checked: nothing to cache."""
        if not files:
            return False
        settings = files[0].settings
        return settings.cache and self.workspace.has_project_root(files[0].folder)

    def _open_cache(
        self,
        root: Path,
        files: Sequence[SourceFile],
        stats: Mapping[str, FileStat | None] | None = None,
    ) -> FactsCache | None:
        """`stats`: the files' stats the findings cache took, which the facts cache's
        lookups use instead of stating every file again."""
        if not self._caching(files):
            return None
        return FactsCache(files[0].settings.cache_dir, root, stats)

    def _open_findings(self, root: Path, files: Sequence[SourceFile]) -> FindingsCache | None:
        if not self._caching(files):
            return None
        return FindingsCache(files[0].settings.cache_dir, root, self._rules_key)

    def _findings_key(self, settings: Settings) -> str:
        """Everything of the settings that shapes a file's facts or findings, as a hash;
        by identity, as a workspace hands out one Settings object per configuration."""
        found = self._keys.get(id(settings))
        if found is None or found[0] is not settings:
            shape = {"facts": settings_key(settings), "findings": settings.findings_inputs()}
            text = json.dumps(shape, sort_keys=True, default=str)
            key = hashlib.sha256(text.encode()).hexdigest()[:32]
            found = self._keys[id(settings)] = (settings, key)
        return found[1]

    def _cached(
        self,
        cache: FactsCache | None,
        files: Sequence[SourceFile],
        early: Mapping[str, Prefetched],
    ) -> tuple[dict[str, FileFacts], dict[str, Prefetched]]:
        """Facts still valid, and the bytes of the files read to find out they are not
        (`early`: read already, their facts made from those bytes)."""
        cached: dict[str, FileFacts] = {}
        prefetched: dict[str, Prefetched] = dict(early)
        if cache is None:
            return cached, prefetched
        for file in files:
            name = file.name
            if name in prefetched:
                continue
            found = cache.lookup(name, file.settings, functools.partial(_path_header, file))
            if isinstance(found, FileFacts):
                cached[name] = found
            elif found is not None:
                prefetched[name] = found
        return cached, prefetched

    def _save(self, cache: FactsCache | FindingsCache | None) -> None:
        """Write a cache; one that cannot be written is remembered for one warning."""
        if cache is None:
            return
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
        targets: frozenset[str],
        stdin: tuple[Path, bytes] | None,
        prefetched: dict[str, Prefetched],
        stamped: bool,
    ) -> Callable[[SourceFile, bool], Loaded]:
        def load(file: SourceFile, keep_tree: bool) -> Loaded:
            if stdin is not None and file.name in targets:
                # Not the file on disk: no stamp, so never cached.
                return self._load(file, keep_tree, stdin[1])
            early = prefetched.get(file.name)
            if early is not None:
                return self._load(file, keep_tree, early[0], stamp=early[1])
            return self._load(file, keep_tree, None, stamped=stamped)

        return load

    # -- the two passes ----------------------------------------------------------------
    def _map(
        self,
        files: Sequence[SourceFile],
        task: Callable[[SourceFile], _R],
        where: Path,
        failed: Callable[[str], None],
        received: Callable[[SourceFile, _R], _S] | None = None,
    ) -> list[_S]:
        """`task` of each file, in worker processes when there are enough files, passed
        through `received` here as each arrives; a failed worker is reported through
        `failed`, and the project goes on in this process."""
        keep = received if received is not None else cast(Callable[[SourceFile, _R], _S], _as_is)
        workers = worker_count(len(files), self.jobs) if self._forking else 1
        if workers > 1:
            try:
                return map_forked(files, task, workers, keep)
            except WorkerError as exc:
                self._forking = False
                failed(internal_error(f"a worker process checking {where}", exc))
        return [keep(file, task(file)) for file in files]

    def _facts_pass(
        self,
        root: Path,
        files: Sequence[SourceFile],
        targets: frozenset[str],
        stdin: tuple[Path, bytes] | None,
        cache: FactsCache | None,
        failed: Callable[[str], None],
        save: bool = True,
        early: Mapping[str, Prefetched] | None = None,
        rows: Rows | None = None,
    ) -> tuple[list[FileFacts], MutableMapping[str, str], FactsSpill | None]:
        """The facts of every file (in the order of `files`), when caching their
        digests, and the spill that keeps them on disk when they are; the facts of the
        files read are stored in the facts cache (unless not `save`); those of `early`
        made from the bytes given. No tree outlives its file. `rows`: those of `files`,
        when the caller has them."""
        cached, prefetched = self._cached(cache, files, early or {})
        if cache is not None and save:
            cache.stream()
        load = self._loader(targets, stdin, prefetched, cache is not None)
        spill = FactsSpill() if spilling(len(files)) else None

        def task(
            file: SourceFile,
        ) -> tuple[FileFacts | Packed, Stamp | None, EncodedFacts | None]:
            item = load(file, False)
            # Pickled here for the spill, and encoded here for the cache: the parent
            # only writes the bytes and never builds the facts as objects.
            facts = packed(item.facts) if spill is not None else item.facts
            return facts, item.stamp, encode_facts(item.facts) if cache is not None else None

        def received(
            file: SourceFile,
            result: tuple[FileFacts | Packed, Stamp | None, EncodedFacts | None],
        ) -> tuple[FileFacts, str | None]:
            # Stored and spilled as it arrives: no list holds every file's facts.
            facts, stamp, encoded = result
            # Not stored by a run that does not save: a stored entry's record is written
            # to the records file at once.
            if encoded is not None and cache is not None and stamp is not None and save:
                cache.store(file.name, file.settings, stamp, encoded)
            digest = encoded.digest if encoded is not None else None
            if spill is not None:
                return spill.keep(facts, file.name), digest
            assert isinstance(facts, FileFacts)
            return facts, digest

        missing = [file for file in files if file.name not in cached]
        loaded = self._map(missing, task, root, failed, received)
        fresh = dict(zip((file.name for file in missing), loaded, strict=True))
        every: list[FileFacts] = []
        digests = Digests(rows if rows is not None else Rows(file.name for file in files))
        for file in files:
            path = file.name
            if path in cached:
                facts = cached.pop(path)
                if cache is not None:
                    digests[path] = cache.digest(path) or facts_digest(facts)
                # Not spilled: cached facts decode a field only when it is read, and
                # decoding every field of every file to pickle it was most of a run
                # after an edit to one file of a large project.
                every.append(facts)
                continue
            facts, digest = fresh.pop(path)
            every.append(facts)
            if digest is not None:
                digests[path] = digest
        if cache is not None and save:
            cache.prune(file.name for file in files)
            self._save(cache)
        return every, digests, spill

    def _rules_pass(
        self,
        root: Path,
        files: Sequence[SourceFile],
        index: ProjectIndex,
        stdin: tuple[Path, bytes] | None,
        reading: ReadingIndex | None,
        failed: Callable[[str], None],
        keep: Callable[[SourceFile, FileOutcome, Stamp | None, bytes | None], None] | None = None,
    ) -> list[FileOutcome]:
        """Each file read and parsed again, walked with the index, its tree dropped;
        with `reading` (when caching), what its findings read of the index too. `keep`
        is given each file's outcome, the stamp of the bytes read and those reads
        (encoded) as they arrive, to be written, not held."""

        def task(file: SourceFile) -> tuple[FileOutcome, Stamp | None, bytes | None]:
            trim(index)
            # With stdin, the one file reported on is the text read from it.
            data = stdin[1] if stdin is not None else None
            known = index.by_path.get(file.name)
            stamped = reading is not None and data is None
            item = self._load(file, True, data, stamped=stamped, known=known)
            reads = None
            if reading is None:
                outcome = self._outcome(item, index)
            else:
                reading.begin()
                outcome = self._outcome(item, reading)
                # Encoded here, in the worker: the parent only writes the bytes (encoding
                # them there was most of its own work in a cold run's rules pass).
                reads = encode_reads(reading.finish())
            _collect_cycles()
            return outcome, item.stamp, reads

        def received(
            file: SourceFile, result: tuple[FileOutcome, Stamp | None, bytes | None]
        ) -> FileOutcome:
            # Held small as it arrives: the index is still alive beside the outcomes.
            outcome, stamp, reads = result
            # The file's own name, not the copy a worker's message made of it: one
            # string a file, held to the end of the run.
            outcome.name = file.name
            if self._keeping is not None and (outcome.findings or outcome.text is not None):
                texts, pool = self._keeping
                path = file.path
                outcome.findings = [pool.finding(found, path) for found in outcome.findings]
                if outcome.text is not None:
                    if self.hold_texts:
                        texts[path] = outcome.text
                    outcome.text = None
            if keep is not None:
                keep(file, outcome, stamp, reads)
            return outcome

        return self._map(files, task, root, failed, received)

    def project_facts(self, root: Path, files: Sequence[SourceFile]) -> list[FileFacts]:
        """Facts of one project's files, none of them to report on (the flake8 plugin's
        index), from the cache where it is valid."""
        return self._project_facts(root, files)[0]

    def project_index(
        self, root: Path, files: Sequence[SourceFile]
    ) -> tuple[ProjectIndex, list[FileFacts]]:
        """The index of one project's files and their facts (the language server's and
        the flake8 plugin's), from its kept state when the facts are those it was built
        from."""
        every, digests = self._project_facts(root, files)
        digest = _index_digest(digests) if len(digests) == len(every) and every else ""
        return self._index(root, files, every, digest), every

    def _project_facts(
        self, root: Path, files: Sequence[SourceFile]
    ) -> tuple[list[FileFacts], MutableMapping[str, str]]:
        cache = self._open_cache(root, files)
        self._forking = False
        every, digests, _ = self._facts_pass(
            root, files, frozenset(), None, cache, self._warn_only, save=self.write_caches
        )
        problem = self._cache_warning()
        if problem is not None and self.warn is not None:
            self.warn(problem)
        return every, digests

    def held_outcomes(
        self, root: Path, files: Sequence[SourceFile]
    ) -> Callable[[Path], FileOutcome | None]:
        """What the findings cache holds for a file of an unchanged project (None for
        a file it does not hold), read only: the flake8 plugin's warm path."""
        return self.held_project(root, files).outcome

    def held_project(self, root: Path, files: Sequence[SourceFile]) -> HeldProject:
        """`held_outcomes`, with what the findings cache holds about the project as a
        whole: the warm record (warm_write.py) needs all of it."""
        results = self._open_findings(root, files)
        if results is None:
            return HeldProject(_nothing_held)
        keys = {file.name: self._findings_key(file.settings) for file in files}
        stats = stat_files(keys)
        unchanged = results.unchanged(keys, stats)
        if unchanged is None:
            return HeldProject(_nothing_held)
        digest = unchanged

        def held(path: Path | str) -> FileOutcome | None:
            name = str(path)
            if name not in keys:
                return None
            return results.outcome(name, keys[name], digest, stats[name])

        def stored(name: str) -> list[object] | None:
            key = keys.get(name)
            return None if key is None else results.held_findings(name, key, digest, stats[name])

        return HeldProject(
            held, results.notes(), results.project_findings(), results.hashed(), stored, stats
        )

    def outcome_of(self, file: SourceFile, data: bytes, index: ProjectIndex) -> FileOutcome:
        """One file's findings from these bytes (an editor's unsaved buffer), against an
        index the caller keeps: the language server's path."""
        return self._outcome(self._load(file, True, data), index)

    def _warn_only(self, message: str) -> None:
        if self.warn is not None:
            self.warn(message)

    def _project_findings(self, files: Sequence[SourceFile], index: ProjectIndex) -> list[Finding]:
        """Findings about the project as a whole, in its configuration file: the
        `allow-imports` entries no import matches (LC004), less those silenced."""
        if not any(rule.meta.code == UNUSED_ALLOWED_IMPORT for rule in self.rules):
            return []
        found: list[Finding] = []
        seen: set[int] = set()
        for file in files:
            settings = file.settings
            path = settings.config_path
            if id(settings) in seen or path is None or not settings.allow_imports:
                continue
            seen.add(id(settings))
            if UNUSED_ALLOWED_IMPORT not in settings.active_codes:
                continue
            text = _read_text(path)
            if text is not None:
                unused = unused_allowed_imports(index, settings, text)
                found.extend(suppress(unused, text, settings))
        return found

    def _check_project(
        self,
        root: Path,
        files: list[SourceFile],
        chosen: _Identities,
        stdin: tuple[Path, bytes] | None,
        failed: Callable[[str], None],
    ) -> tuple[list[FileOutcome], list[Finding]]:
        """The outcomes of the project's targets, and the findings about the project as a
        whole: from the findings cache when the project is unchanged; else the facts of
        every file (from the facts cache where they hold), the index, and the rules on
        each target whose findings the cache does not hold for this index. `chosen`:
        the targets' records, by identity."""
        self._forking = stdin is None
        mine = [file for file in files if id(file) in chosen]
        targets = frozenset(file.name for file in mine) if stdin is not None else frozenset()
        results = self._open_findings(root, files) if stdin is None else None
        keys: Mapping[str, str] = {}
        stats: Mapping[str, FileStat | None] = {}
        rows = None
        if results is not None:
            # Columns, not maps: held through the rules pass and inherited by its workers.
            rows = Rows(file.name for file in files)
            key_of = self._findings_key
            if len(rows) == len(files):
                keys = Keys(rows, (key_of(file.settings) for file in files))
            else:  # a path named twice: its last record's key, as a map had it
                last = {file.name: key_of(file.settings) for file in files}
                keys = Keys(rows, (last[name] for name in rows.names))
            stats = Stats(rows)
            unchanged = results.unchanged(keys, stats)
            if unchanged is not None:
                warm = [
                    results.outcome(file.name, keys[file.name], unchanged, stats[file.name])
                    for file in files
                    if id(file) in chosen
                ]
                held_found = results.project_findings()
                if held_found is not None and all(outcome is not None for outcome in warm):
                    self._notes.extend(results.notes())
                    return [outcome for outcome in warm if outcome is not None], held_found
        early = _read_uncertain(stats)
        cache = self._open_cache(root, files, stats)
        every, digests, spill = self._facts_pass(
            root, files, targets, stdin, cache, failed, early=early, rows=rows
        )
        # Written: its entries (every file's facts, as text) are not held through the
        # rules pass, nor inherited by its workers.
        del cache
        note = self._misrooted(root, files, every)
        notes = [note] if note is not None else []
        self._notes.extend(notes)
        index_digest = _index_digest(digests) if results is not None else ""
        index = self._index(root, files, every, index_digest)
        known = learned(index)
        del every
        project_found = self._project_findings(files, index)
        outcomes: dict[str, FileOutcome] = {}
        todo: list[SourceFile] = []
        reading = None
        if results is not None:
            holds = Replay(index, digests).holds
            for file in mine:
                key = keys[file.name]
                held = self._held(results, file, key, index_digest, stats, holds)
                if held is not None:
                    outcomes[file.name] = held
                else:
                    todo.append(file)
            # Its answers (a question and a hash each, after an edit some for every file
            # held) are not inherited by the rules workers.
            del holds
            if todo:
                reading = ReadingIndex(index, digests)
        else:
            todo = mine
        store = None
        if results is not None:
            cached = results

            def store(
                file: SourceFile, outcome: FileOutcome, stamp: Stamp | None, reads: bytes | None
            ) -> None:
                # Stored as each file's outcome arrives: held to the end of the rules pass,
                # the stamps and reads were about 0.4 KiB a file. Only after the fork: a
                # worker must not inherit the file a cold run streams its entries to.
                at = cached.write_reads(reads) if reads is not None else None
                if stamp is not None and outcome.error is None:
                    cached.stream()
                    cached.store(stamp, keys[file.name], index_digest, outcome, at)

        if spill is not None:
            spill.settle()
        checked = self._rules_pass(root, todo, index, stdin, reading, failed, store)
        for file, outcome in zip(todo, checked, strict=True):
            outcomes[file.name] = outcome
        if results is not None:
            read_early = {name: stamp for name, (_, stamp) in early.items()}
            results.record_project(keys, stats, index_digest, notes, project_found, read_early)
            results.prune(file.name for file in files)
            self._save(results)
        if index_digest and self.write_caches and learned(index) > known:
            # The rules ran here (one file, or a few) and scanned the whole project for
            # an answer: kept, the next run on the same facts does not scan again.
            kept = IndexStateFile(files[0].settings.cache_dir, root, self._code_key)
            kept.save(index_digest, state_of(index))
        return [outcomes[file.name] for file in mine], project_found

    def _index(
        self, root: Path, files: Sequence[SourceFile], every: Sequence[FileFacts], digest: str
    ) -> ProjectIndex:
        """The index of `every`: given the state kept for the same facts (`digest`, when
        the project is cached), else built, and its state kept for the next run. The
        order of the facts (the targets named first) is not in the digest: like the
        findings cache, this relies on an index's answers not depending on it."""
        if not digest:
            return ProjectIndex(every)
        kept = IndexStateFile(files[0].settings.cache_dir, root, self._code_key)
        state = kept.load(digest)
        if state is not None:
            return ProjectIndex(every, state)
        index = ProjectIndex(every)
        if self.write_caches:
            kept.save(digest, state_of(index))
        return index

    @functools.cached_property
    def _code_key(self) -> str:
        """The code that builds the index, whatever the rules: the command line, its
        selections and the language server share one index state."""
        return _rules_key(())

    def _misrooted(
        self, root: Path, files: Sequence[SourceFile], every: Sequence[FileFacts]
    ) -> str | None:
        """The warning about module names that miss the imports: kept in the cache
        folder with what it read, so that a run whose imports are unchanged reads none."""
        # By path, whatever the targets (they come first): the warning names the first of
        # equal counts, and a run on one file then keys the record as the full run did.
        every = sorted(every, key=operator.attrgetter("path"))
        if not self._caching(files):
            return misrooted_imports_warning(every)
        record = RootsRecord(files[0].settings.cache_dir, root)
        return record.warning(every, self._rules_key, self.write_caches)

    @staticmethod
    def _held(
        results: FindingsCache,
        file: SourceFile,
        key: str,
        index: str,
        stats: Mapping[str, FileStat | None],
        holds: Callable[[str, str], bool],
    ) -> FileOutcome | None:
        """The file's outcome from the findings cache; a file whose stat no longer tells
        (touched, or modified a moment ago) is hashed to find out, and a match keeps
        the entry with the new stamp."""
        name = file.name
        stat = stats.get(name)
        held = results.outcome(name, key, index, stat, holds=holds)
        if held is not None or stat is None:
            return held
        known = results.stamp_of(name)
        if known is None or known[0] != stat[1]:
            return None
        try:
            stamp = read_stamped(name)[1]
        except OSError:
            return None
        held = results.outcome(name, key, index, stat, sha256=stamp.sha256, holds=holds)
        if held is not None:
            results.store(stamp, key, index, held, None)
        return held

    @staticmethod
    def _add_project_findings(
        result: CheckResult, found: Sequence[Finding], paths: Sequence[Path], hold: bool
    ) -> None:
        """Findings in a configuration file count when the run covers that file, as
        ruff's do (`layercheck .`, not `layercheck app/api/users.py`); with `hold`, their
        file's text is held for the report."""
        # Not resolved: a path named on the command line may be a looping symlink.
        checked = [Path(os.path.abspath(path)) for path in paths]
        for finding in found:
            where = Path(os.path.abspath(finding.path))
            if not any(where == path or where.is_relative_to(path) for path in checked):
                continue
            result.findings.append(finding)
            if not hold:
                continue
            text = result.sources.get(finding.path) or _read_text(finding.path)
            if text is not None:
                result.sources[finding.path] = text

    def check(
        self,
        paths: Sequence[Path],
        *,
        stdin: tuple[Path, bytes] | None = None,
    ) -> CheckResult:
        self._walked = {}
        result = CheckResult()
        self._keeping = (result.sources, Pool())
        try:
            return self._check(result, paths, stdin)
        finally:
            self._walked = None
            self._keeping = None

    @staticmethod
    def _hold_text(result: CheckResult, outcome: FileOutcome, on_disk: bool) -> None:
        """The text of a file with findings, for the report: held as its outcome arrived,
        or read again for findings from the cache."""
        path = outcome.findings[0].path  # the file's path, held once for its findings
        if str(path) != outcome.name:
            path = Path(outcome.name)
        text = outcome.text
        if text is None and on_disk and path not in result.sources:
            text = _read_text(path)
        if text is not None:
            result.sources[path] = text

    def _check(
        self, result: CheckResult, paths: Sequence[Path], stdin: tuple[Path, bytes] | None
    ) -> CheckResult:
        targets: list[SourceFile]
        configs: list[Settings] = []
        if stdin is not None:
            named = stdin_file(stdin[0], self.workspace)
            targets = [named] if named is not None else []
        else:
            found = discover(
                paths,
                self.workspace,
                warn=lambda m: self._warn(result, m),
                walked=self._root_walk,
            )
            targets, configs = found.files, found.configs
        result.files = PathList([file.name for file in targets])
        chosen = _Identities(targets)
        gc_was_enabled = gc.isenabled()
        gc.disable()  # trees hold no cycles; the collector would only re-walk them
        try:
            for root, files in self.projects(targets, configs).items():
                failed = functools.partial(self._fail, result)
                try:
                    outcomes, in_config = self._check_project(root, files, chosen, stdin, failed)
                except Exception as exc:  # e.g. the index: the other projects still count
                    failed(internal_error(f"checking the project at {root}", exc))
                    continue
                if stdin is None:
                    self._add_project_findings(result, in_config, paths, self.hold_texts)
                for outcome in outcomes:
                    result.layers[outcome.name] = outcome.layer
                    if outcome.layer_note:
                        result.layer_notes[outcome.name] = outcome.layer_note
                    if outcome.error is not None:
                        self._fail(result, outcome.error)
                    if outcome.findings and self.hold_texts:
                        self._hold_text(result, outcome, stdin is None)
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
