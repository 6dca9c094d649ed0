"""The findings cache: what a file reported on gave (its findings after suppression, and
its layer), kept with the stamp of its bytes, the key of its settings and the digest of
the project index it was checked against. One JSON file per project root, beside the
facts cache.

A finding depends only on the file, the index, the rule and the settings; so an entry
holds while the file's stamp and settings key are the same and the index digest is that
of the current index, or, for another index, while every question its findings asked of
the index (its reads, index_reads.py) still gets the same answer.

The index is a function of the facts of every file of the project, and a file's facts a
function of its path, bytes and settings: the cache file also records the stamp and
settings key of every file of the project when the index was built. When every file of
the project still has that stamp and key (the same files, none changed), the index is
the same without building it: a warm run stats the files, loads this one file and
prints. A file modified a moment before it was stated (an editor saved it, then ran
layercheck) has no stamp to trust: the record keeps the hash of the bytes the index was
built from instead, and the next run hashes that file alone to tell. Otherwise the
engine builds the index (from the facts cache where it can) and an entry holds when
its index digest matches or its reads still hold.

The reads live in a second file (reads_file.py), one record a file, written as each
file's reads arrive and read, one record at a time, only when the index changed. It is
written before the findings file, which names each entry's record with a digest of its
bytes: a findings file names the only reads that go with it, and without them no entry
holds for another index.

Like the facts cache: JSON, never pickle; a file that is damaged, edited, of another
version or root is an empty cache; writes go to a temporary file renamed over the old.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from layercheck.cache import (
    NO_MTIME,
    RACY_NS,
    VERSION,
    Stamp,
    codec,
    format_id,
    prepare_directory,
    read_stamped,
)
from layercheck.envelope import json_pieces, unseal, write_sealed
from layercheck.envelope import sha256_hex as _sha256
from layercheck.index_reads import Reads
from layercheck.layers import Layer
from layercheck.model import Finding
from layercheck.parallel import FileOutcome
from layercheck.reads_file import UNKNOWN, ReadsAt, ReadsFile

FileStat = tuple[int, int]
"""(mtime_ns, size); mtime NO_MTIME when it cannot be trusted."""

_FINDING: Final = codec(Finding)


def findings_format() -> str:
    """Changes when a finding, fix or edit gains, loses or retypes a field."""
    shape = f"{_FINDING.shape};{format_id()};reads as records"
    return hashlib.sha256(shape.encode()).hexdigest()[:16]


def file_stat(path: Path | str, now: int) -> FileStat | None:
    """The file's (mtime_ns, size), the mtime NO_MTIME when the file was modified so
    recently that it may still change without changing its stamp; None when gone."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    mtime = status.st_mtime_ns
    if abs(now - mtime) < RACY_NS:
        mtime = NO_MTIME
    return mtime, status.st_size


def stat_files(paths: Iterable[Path | str]) -> dict[str, FileStat | None]:
    now = time.time_ns()
    return {str(path): file_stat(path, now) for path in paths}


def encode_finding(finding: Finding) -> object:
    encode = _FINDING.encode
    assert encode is not None
    return encode(finding)


def decode_finding(data: object) -> Finding:
    decode = _FINDING.decode
    assert decode is not None
    found = decode(data)
    if not isinstance(found, Finding):
        raise ValueError("malformed finding")
    return found


def cache_file(directory: Path, root: Path) -> Path:
    tag = hashlib.sha256(str(root).encode()).hexdigest()[:12]
    return directory / f"findings-{VERSION}-{tag}.json"


class FindingsCache:
    """The findings of one project root's files, as last stored, for one rule set."""

    def __init__(self, directory: Path, root: Path, rules_key: str) -> None:
        self.directory = directory
        self.root = root
        self.rules_key = rules_key
        self.path = cache_file(directory, root)
        self._project: dict[str, list[Any]] = {}
        """Each file of the project when the index was built: [mtime_ns, size, key], and
        the sha256 of the bytes the index read when the mtime is NO_MTIME."""
        self._hashed: dict[str, str] = {}
        """The sha256 of each file `unchanged` had to hash to tell, for `outcome`."""
        self._index = ""
        """The digest of that index."""
        self._notes: list[str] = []
        """Warnings about the project as a whole, from that index."""
        self._found: list[Any] = []
        """Findings about the project as a whole (LC004, in its config file), encoded."""
        self._results: dict[str, list[Any]] = {}
        """[mtime_ns, size, sha256, key, index digest, layer, findings] of files
        reported on."""
        self.reads_path = self.path.with_name("reads-" + self.path.name.removeprefix("findings-"))
        self._reads_at: dict[str, Any] = {}
        """Where each entry's reads are in the reads file (reads_file.ReadsAt)."""
        self._reads: ReadsFile | None = None
        self._prepared = False
        self._dirty = False
        self._read()

    def _read(self) -> None:
        try:
            opened = unseal(self.path.read_bytes(), "sha256", _sha256)
            if opened is None:
                raise ValueError("no payload")
            header, text = opened
            if (
                header.get("layercheck") != VERSION
                or header.get("format") != findings_format()
                or header.get("root") != str(self.root)
                or header.get("rules") != self.rules_key
            ):
                raise ValueError("another cache")
            project, index, notes, found, results, reads_at = json.loads(text)
            if not (
                isinstance(reads_at, dict)
                and isinstance(project, dict)
                and isinstance(index, str)
                and isinstance(notes, list)
                and isinstance(found, list)
                and isinstance(results, dict)
            ):
                raise ValueError("malformed")
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            self._dirty = True
            return
        self._project, self._index, self._notes, self._results = project, index, notes, results
        self._found = found
        self._reads_at = reads_at

    def _loaded_reads(self) -> ReadsFile:
        """Read from disk only when an entry is replayed: recording appends."""
        if self._reads is None:
            self._reads = ReadsFile(self.reads_path, self._reads_at)
        return self._reads

    # -- the warm path --------------------------------------------------------------------
    def unchanged(
        self, keys: Mapping[str, str], stats: Mapping[str, FileStat | None]
    ) -> str | None:
        """The digest of the index last built, when the project has exactly the files it
        had then, each with the same stamp and settings key: the index is the same. A
        file whose stamp cannot tell (recorded or stated a moment after a change) is
        hashed, once the other files all hold, and holds when its bytes are those the
        index was built from."""
        project = self._project
        if not self._index or len(project) != len(keys):
            return None
        uncertain: list[tuple[str, str]] = []
        for name, key in keys.items():
            recorded = project.get(name)
            stat = stats.get(name)
            if recorded is None or stat is None or recorded[1] != stat[1] or recorded[2] != key:
                return None
            if stat[0] != NO_MTIME and recorded[0] == stat[0]:
                continue
            known = recorded[3] if len(recorded) == 4 else None
            if not isinstance(known, str):
                return None
            uncertain.append((name, known))
        for name, known in uncertain:
            if self._hashed.get(name) == known:
                continue
            try:
                sha256 = read_stamped(Path(name))[1].sha256
            except OSError:
                return None
            if sha256 != known:
                return None
            self._hashed[name] = sha256
        return self._index

    def hashed(self) -> dict[str, str]:
        """The sha256 of each file `unchanged` hashed because its stat could not tell:
        the bytes the findings it holds for that file rest on."""
        return dict(self._hashed)

    def notes(self) -> list[str]:
        return [note for note in self._notes if isinstance(note, str)]

    def project_findings(self) -> list[Finding] | None:
        """The findings about the project as a whole; None when an entry is corrupt."""
        try:
            return [decode_finding(item) for item in self._found]
        except (ValueError, TypeError, KeyError, IndexError):
            return None

    def outcome(
        self,
        path: Path,
        key: str,
        index: str,
        stat: FileStat | None,
        sha256: str | None = None,
        holds: Callable[[str, str], bool] | None = None,
    ) -> FileOutcome | None:
        """The file's outcome when its entry holds for these bytes (known by their stat,
        or by their hash when the stat cannot tell), settings key and index (the same
        index, or one for which `holds(question, answer)` says yes to each of its
        reads); else None. A corrupt entry is dropped."""
        name = str(path)
        entry = self._results.get(name)
        if entry is None or stat is None:
            return None
        try:
            mtime, size, digest, entry_key, entry_index, layer, findings = entry
            if entry_key != key or size != stat[1]:
                return None
            sha256 = sha256 or self._hashed.get(name)
            if sha256 is not None:
                if digest != sha256:
                    return None
            elif mtime == NO_MTIME or mtime != stat[0]:
                return None
            if entry_index != index:
                reads = self._loaded_reads()
                if holds is None or not reads.hold(self._reads_at.get(name), holds):
                    return None
                entry[4] = index
                self._dirty = True
            decoded = [decode_finding(item) for item in findings]
            return FileOutcome(path, Layer.known(layer) if layer is not None else None, decoded)
        except (ValueError, TypeError, KeyError, IndexError):
            del self._results[name]
            self._dirty = True
            return None

    def stamp_of(self, path: Path) -> tuple[int, str] | None:
        """(size, sha256) an entry of `path` was stored with, so that a caller whose stat
        cannot tell may hash the file and ask again."""
        entry = self._results.get(str(path))
        if entry is None or len(entry) != 7:
            return None
        size, digest = entry[1], entry[2]
        return (size, digest) if isinstance(size, int) and isinstance(digest, str) else None

    # -- storing --------------------------------------------------------------------------
    def record_project(
        self,
        keys: Mapping[str, str],
        stats: Mapping[str, FileStat | None],
        index: str,
        notes: Sequence[str],
        found: Sequence[Finding] = (),
        read_early: Mapping[str, Stamp] | None = None,
    ) -> None:
        """The files the index `index` was built from, with their stat taken before any
        was read (a file changed since then has another stat next time). `read_early`:
        the stamps of the bytes the index read of files whose stat cannot tell (stated a
        moment after a change), read right after the stat; their hash is kept."""
        project: dict[str, list[Any]] = {}
        for name, stat in stats.items():
            if stat is None or name not in keys:
                continue
            stamp = (read_early or {}).get(name) if stat[0] == NO_MTIME else None
            if stamp is not None:
                project[name] = [NO_MTIME, stamp.size, keys[name], stamp.sha256]
            else:
                project[name] = [stat[0], stat[1], keys[name]]
        # As read back (tuples become lists), so that an unchanged record stays clean.
        encoded = json.loads(json.dumps([encode_finding(finding) for finding in found]))
        now = (project, index, list(notes), encoded)
        if now != (self._project, self._index, self._notes, self._found):
            self._project, self._index, self._notes, self._found = now
            self._dirty = True

    def write_reads(self, reads: Reads) -> ReadsAt:
        """A file's reads written to the reads file now (see `store`)."""
        if not self._prepared:
            try:
                prepare_directory(self.directory)
            except OSError:
                return UNKNOWN
            self._prepared = True
        return self._loaded_reads().add(reads)

    def store(
        self, stamp: Stamp, key: str, index: str, outcome: FileOutcome, reads: ReadsAt | None
    ) -> None:
        """`reads`: where `write_reads` put the file's reads; None keeps those of the
        entry there is (the same bytes, found again by their hash)."""
        name = str(outcome.path)
        if reads is not None and self._reads_at.get(name) != list(reads):
            self._reads_at[name] = list(reads)
            self._dirty = True
        layer = outcome.layer.value if outcome.layer is not None else None
        entry = [
            stamp.mtime_ns,
            stamp.size,
            stamp.sha256,
            key,
            index,
            layer,
            [encode_finding(finding) for finding in outcome.findings],
        ]
        if self._results.get(name) != entry:
            self._results[name] = entry
            self._dirty = True

    def prune(self, present: Iterable[Path]) -> None:
        """Drop the results of files that are no longer in the project."""
        keep = {str(path) for path in present} | set(self._project)
        for name in [name for name in self._results if name not in keep]:
            del self._results[name]
            self._dirty = True

    def save(self) -> None:
        """Write the file when anything changed (OSError when it cannot be written)."""
        named = {name: at for name, at in self._reads_at.items() if name in self._results}
        if len(named) != len(self._reads_at):
            self._dirty = True
        reads = self._reads
        if reads is not None:
            kept = reads.finish(named)
            named = {name: list(at) for name, at in kept.items()}
        self._reads_at = named
        if not self._dirty:
            return
        prepare_directory(self.directory)
        payload = json_pieces(
            [self._project, self._index, self._notes, self._found, self._results, named]
        )
        header = {
            "layercheck": VERSION,
            "format": findings_format(),
            "root": str(self.root),
            "rules": self.rules_key,
        }
        write_sealed(self.path, header, payload)
        self._dirty = False
