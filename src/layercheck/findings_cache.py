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
written before the findings file, whose entries each name their record with a digest of
its bytes: a findings file names the only reads that go with it, and without them no
entry holds for another index.

The file is a base and segments. The base, in one sealed envelope (envelope.py, its
header giving the payload's length), holds one entry a line, the file's name as a JSON
string, a tab and the entry's JSON text (which JSON never breaks with a raw tab or
newline), then the project record (the project's files, the index digest, notes and
findings about the project). Each segment after it, one a line with its own checksum,
holds what a later run changed: its entries (null for one dropped), the files whose
record changed, and the rest of the project record. A run that changed a few entries
(an editor saving one file of a large project) appends them instead of writing every
entry again; the file is written anew when the segments would outgrow a quarter of the
base, or when it is no longer the file this run read. An entry of the base is kept as
where its text is in the file as read (its descriptor kept open), one stored since as its
text, and parsed when asked about: the warm record reads the file of every file's findings
after the run, and as objects they cost about three times their text, as texts six times
their place.

A cold run (no entry to keep) writes each entry to a new base as it is stored instead
of holding every file's until the end of the run (`stream`): the entries come first,
what is known only at the end (the project's files, the index digest) after them. Until
`save` the new file is a temporary one: a run that stops half-way leaves the old file
as it was; a segment cut or damaged makes the whole file an empty cache.

Like the facts cache: JSON, never pickle; a file that is damaged, edited, of another
version or root is an empty cache; writes go to a temporary file renamed over the old.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any, Final, TypeVar

from layercheck.cache import (
    NO_MTIME,
    RACY_NS,
    VERSION,
    Known,
    Stamp,
    codec,
    format_id,
    prepare_directory,
    read_stamped,
)
from layercheck.envelope import (
    SealedReader,
    SealedWriter,
    json_pieces,
    seal,
    sha256_hex,
    unseal,
    write_sealed,
)
from layercheck.layers import Layer
from layercheck.model import Finding
from layercheck.parallel import FileOutcome
from layercheck.reads_file import UNKNOWN, ReadsAt, ReadsFile

_ENTRY: Final = 8
"""The items of an entry (`FindingsCache._results`)."""
_SEPARATORS: Final = (",", ":")

FileStat = tuple[int, int]
"""(mtime_ns, size); mtime NO_MTIME when it cannot be trusted."""


# -- what a run holds of every file, as columns -------------------------------------------
# A run holds each file's stat, settings key and facts digest from before the facts pass
# to its end, and its rules workers inherit them. As a map of each path to a tuple, an
# int pair and a string each, they were about 0.3 KiB a file (30,000 files, in the parent
# when the rules pass forks); as columns in the files' order, beside one map of each
# path to its row shared by all three, about 0.1.


_V = TypeVar("_V")


class Rows:
    """Each path's row in the columns of one run's files (the first row of a path named
    twice, as a map keeps its first place)."""

    __slots__ = ("_at", "names")

    def __init__(self, names: Iterable[str]) -> None:
        self.names: list[str] = []
        self._at: dict[str, int] = {}
        for name in names:
            if name not in self._at:
                self._at[name] = len(self.names)
                self.names.append(name)

    def __len__(self) -> int:
        return len(self.names)

    def row(self, name: str) -> int | None:
        return self._at.get(name)


_MISSING: Final = -1
"""The size of a file that could not be stated."""


class _ByRow(Mapping[str, _V]):
    """A column read by path: what a map of each path would answer."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Rows) -> None:
        self._rows = rows

    def _at(self, row: int) -> _V:
        raise NotImplementedError

    def __getitem__(self, name: str) -> _V:
        row = self._rows.row(name)
        if row is None:
            raise KeyError(name)
        return self._at(row)

    def get(self, name: str, default: Any = None) -> Any:
        row = self._rows.row(name)
        return self._at(row) if row is not None else default

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._rows.row(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows.names)

    def __len__(self) -> int:
        return len(self._rows)


class Stats(_ByRow[FileStat | None]):
    """`stat_files`'s answer as two columns of integers."""

    __slots__ = ("_mtimes", "_sizes")

    def __init__(self, rows: Rows, now: int | None = None) -> None:
        super().__init__(rows)
        self._mtimes = array("q")
        self._sizes = array("q")
        now = time.time_ns() if now is None else now
        for name in rows.names:
            stat = file_stat(name, now)
            self._mtimes.append(stat[0] if stat is not None else 0)
            self._sizes.append(stat[1] if stat is not None else _MISSING)

    def _at(self, row: int) -> FileStat | None:
        size = self._sizes[row]
        return (self._mtimes[row], size) if size != _MISSING else None


class Keys(_ByRow[str]):
    """Each file's settings key: a project has a few, held once, and a small number a
    file for which."""

    __slots__ = ("_keys", "_of")

    def __init__(self, rows: Rows, keys: Iterable[str]) -> None:
        super().__init__(rows)
        self._keys: list[str] = []
        numbers: dict[str, int] = {}
        self._of = array("I")
        for key in keys:
            number = numbers.get(key)
            if number is None:
                number = numbers[key] = len(self._keys)
                self._keys.append(key)
            self._of.append(number)
        if len(self._of) != len(rows):
            raise ValueError("one key a row")

    def _at(self, row: int) -> str:
        return self._keys[self._of[row]]


_DIGEST: Final = 16
"""The bytes of a facts digest (`cache.facts_digest`: 32 hex digits)."""


class Digests(MutableMapping[str, str]):
    """Each file's facts digest, as its bytes in one array in the rows' order; a digest
    that is not 32 lower-case hex digits (read from a damaged cache) aside, as given.
    Set once a file and never removed: deleting raises."""

    __slots__ = ("_bytes", "_odd", "_rows", "_set")

    def __init__(self, rows: Rows) -> None:
        self._rows = rows
        self._bytes = bytearray(_DIGEST * len(rows))
        self._set = bytearray(len(rows))
        self._odd: dict[str, str] = {}

    def __setitem__(self, name: str, digest: str) -> None:
        row = self._rows.row(name)
        if row is None:
            raise KeyError(name)
        try:
            raw = bytes.fromhex(digest)
        except ValueError:
            raw = b""
        if len(raw) == _DIGEST and raw.hex() == digest:
            self._bytes[row * _DIGEST : (row + 1) * _DIGEST] = raw
            self._odd.pop(name, None)
        else:
            self._odd[name] = digest
        self._set[row] = 1

    def __delitem__(self, name: str) -> None:
        raise TypeError("a digest is never removed")

    def _at(self, name: str, row: int) -> str:
        odd = self._odd.get(name) if self._odd else None
        if odd is not None:
            return odd
        return self._bytes[row * _DIGEST : (row + 1) * _DIGEST].hex()

    def __getitem__(self, name: str) -> str:
        row = self._rows.row(name)
        if row is None or not self._set[row]:
            raise KeyError(name)
        return self._at(name, row)

    def get(self, name: str, default: Any = None) -> Any:
        row = self._rows.row(name)
        if row is None or not self._set[row]:
            return default
        return self._at(name, row)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        row = self._rows.row(name)
        return row is not None and bool(self._set[row])

    def __iter__(self) -> Iterator[str]:
        given = self._set
        return (name for row, name in enumerate(self._rows.names) if given[row])

    def __len__(self) -> int:
        return self._set.count(1)


_FINDING: Final = codec(Finding)


class _Entries(MutableMapping[str, str]):
    """Each file's entry text, by its name, in the order the file and later sets gave
    them. An entry of the base as read is held as where its text is in that file (one
    int: offset << 24 | length) and read back when asked for, through a descriptor of
    the file as it was read: a file renamed over it since is another file, and a segment
    appended to it leaves the bytes read as they were (cache.Known). Held as texts, the
    entries of 30,000 files were 18 MiB, loaded again at the end of a run to write the
    warm record, the largest thing a run held at its end."""

    __slots__ = ("__weakref__", "_fd", "_map")

    def __init__(self, found: dict[str, int | str], fd: int | None) -> None:
        self._map = found
        self._fd = fd
        if fd is not None:
            weakref.finalize(self, os.close, fd)

    def __getitem__(self, name: str) -> str:
        found = self._map[name]
        if isinstance(found, str):
            return found
        assert self._fd is not None  # a location only with a descriptor to read it by
        length = found & _LENGTH_MASK
        data = os.pread(self._fd, length, found >> _LENGTH_BITS)
        if len(data) != length:
            raise KeyError(name)  # not the file read: cannot happen (see the class)
        return data.decode("ascii")

    def __setitem__(self, name: str, entry: str) -> None:
        self._map[name] = entry

    def __delitem__(self, name: str) -> None:
        del self._map[name]

    def __contains__(self, name: object) -> bool:
        return name in self._map

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)


_LENGTH_BITS: Final = 24
_LENGTH_MASK: Final = (1 << _LENGTH_BITS) - 1
_BY_PLACE: Final = hasattr(os, "pread")
"""Where `os.pread` is missing, every entry is held as its text."""


def findings_format() -> str:
    """Changes when a finding, fix or edit gains, loses or retypes a field."""
    shape = f"{_FINDING.shape};{format_id()};reads as records;entries as lines;segments"
    return hashlib.sha256(shape.encode()).hexdigest()[:16]


def _read_lines(reader: SealedReader, by_place: bool) -> tuple[dict[str, int | str], list[Any]]:
    """The entries of a findings file's base, one a line (`"name"<tab>entry`), and the
    project record, the line after them; read a piece at a time (the file is never held
    whole: at 30,000 files, as its bytes and its text, it was the largest thing a run
    held). With `by_place`, an entry of ASCII text (as `store` writes them) is given as
    where it is in the file (`_Entries`), any other as its text. ValueError when the
    payload is not one `save` writes."""
    results: dict[str, int | str] = {}
    record: list[Any] | None = None
    parts: list[str] = []
    at = reader.start
    """The offset in the file of the first line not read yet."""
    while piece := reader.read():
        parts.append(piece)
        if "\n" not in piece:
            continue
        lines = "".join(parts).split("\n")
        parts = [lines.pop()]
        for line in lines:
            if record is not None:
                raise ValueError("malformed")  # the record is the last line
            plain = line.isascii()
            if line[:1] == '"':
                tab = line.find("\t")
                if tab < 0:
                    raise ValueError("malformed")
                length = len(line) - tab - 1
                if by_place and plain and length <= _LENGTH_MASK:
                    results[_name(line[:tab])] = (at + tab + 1) << _LENGTH_BITS | length
                else:
                    results[_name(line[:tab])] = line[tab + 1 :]
            else:
                found = json.loads(line)
                if not (isinstance(found, list) and len(found) == 4):
                    raise ValueError("malformed")
                record = found
            at += (len(line) if plain else len(line.encode())) + 1
    if record is None or "".join(parts):
        raise ValueError("truncated")
    return results, record


def _name(text: str) -> str:
    """A JSON string's value: a path with no escape is the text between the quotes."""
    if "\\" not in text and len(text) >= 2 and text[-1] == '"':
        return text[1:-1]
    name = json.loads(text)
    if not isinstance(name, str):
        raise ValueError("malformed")
    return name


def _line(name: str, entry: str) -> str:
    """An entry's line: JSON never holds a raw tab or newline."""
    return f"{encode_basestring_ascii(name)}\t{entry}\n"


def _reads_at(entry: str) -> ReadsAt | None:
    """Where an entry's reads are, from its text's end, where they are its last item
    (`[offset,length,"digest"]`, or null); None when it names none. Neither the entry
    nor that item goes through `json`: this is asked of every entry when a run writes
    reads. An entry this misreads (a damaged one) only has its record not copied when
    the reads file is written anew: its reads then hold nothing."""
    if not entry.endswith('"]]'):
        return None
    parts = entry[entry.rfind("[", 0, -1) + 1 : -2].split(",")
    if len(parts) != 3 or not all(part.removeprefix("-").isdigit() for part in parts[:2]):
        return None
    digest = parts[2]
    if len(digest) < 2 or digest[0] != '"' or "\\" in digest:
        return None
    return int(parts[0]), int(parts[1]), digest[1:-1]


def _apply(line: bytes, results: dict[str, int | str], project: dict[str, Any]) -> list[Any]:
    """A segment applied to the entries and the project's files read before it; its
    index digest, notes and findings about the project (ValueError when it is not a
    segment `save` writes whole)."""
    opened = unseal(line, "sha256", sha256_hex)
    if opened is None:
        raise ValueError("damaged segment")
    values = json.loads(opened[1])
    if not (isinstance(values, list) and len(values) == 5):
        raise ValueError("malformed")
    entries, files, *rest = values
    if not (isinstance(entries, dict) and isinstance(files, dict)):
        raise ValueError("malformed")
    for name, entry in entries.items():
        if entry is None:
            results.pop(name, None)
        elif isinstance(entry, str):
            results[name] = entry
        else:
            raise ValueError("malformed")
    for name, record in files.items():
        if record is None:
            project.pop(name, None)
        else:
            project[name] = record
    return rest


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
        self._results: MutableMapping[str, str] = {}
        """The JSON text of [mtime_ns, size, sha256, key, index digest, layer, findings,
        reads] of each file reported on; reads: where the entry's reads are in the reads
        file (reads_file.ReadsAt), None when unknown."""
        self.reads_path = self.path.with_name("reads-" + self.path.name.removeprefix("findings-"))
        self._reads: ReadsFile | None = None
        self._reads_named: dict[str, ReadsAt] | None = None
        """`_named`'s answer once asked, kept as entries change: each is a scan of every
        entry, asked when the reads file is opened and again when it is saved."""
        self._prepared = False
        self._dirty = False
        self._known: Known | None = None
        """The file as read, to append a segment to; None: the next save writes a base."""
        self._changed: set[str] = set()
        """The entries changed since the file was read or written, for the segment."""
        self._project_known: dict[str, list[Any]] = {}
        """`_project` as the file has it: a segment holds the files whose record changed.
        Not a copy: `record_project` puts a new dict in its place, never changes it."""
        self._writer: SealedWriter | None = None
        """The new file the entries stored go to as they come (`stream`)."""
        self._streamed = 0
        """The entries written there: they are not held."""
        self._broken: OSError | None = None
        """Why the streamed file could not be written: `save` raises it."""
        self._read()

    def _read(self) -> None:
        fd: int | None = None
        try:
            with open(self.path, "rb") as handle:
                status = os.fstat(handle.fileno())
                reader = SealedReader(handle)
                header = reader.header
                if (
                    header.get("layercheck") != VERSION
                    or header.get("format") != findings_format()
                    or header.get("root") != str(self.root)
                    or header.get("rules") != self.rules_key
                ):
                    raise ValueError("another cache")
                results, (project, index, notes, found) = _read_lines(reader, _BY_PLACE)
                if not isinstance(project, dict):
                    raise ValueError("malformed")
                rest = reader.rest()
                length = handle.tell()
                if _BY_PLACE and results:
                    fd = os.dup(handle.fileno())
            if rest[:1] != b"\n" or not rest.endswith(b"\n"):
                raise ValueError("truncated")
            for line in rest[1:-1].split(b"\n") if len(rest) > 1 else ():
                index, notes, found = _apply(line, results, project)
            if not (isinstance(index, str) and isinstance(notes, list) and isinstance(found, list)):
                raise ValueError("malformed")
        except (OSError, ValueError, TypeError, KeyError, IndexError, RecursionError):
            if fd is not None:
                os.close(fd)
            self._dirty = True
            return
        self._project, self._index, self._notes = project, index, notes
        self._results = _Entries(results, fd)
        self._found = found
        self._project_known = project
        base = length - len(rest) + 1
        self._known = Known((status.st_dev, status.st_ino), base, length)

    def _named(self) -> dict[str, ReadsAt]:
        """Where each entry's reads are, for the entries that know."""
        named = self._reads_named
        if named is None:
            named = self._reads_named = {}
            for name, text in self._results.items():
                at = _reads_at(text)
                if at is not None:
                    named[name] = at
        return named

    def _set(self, name: str, entry: str | None) -> None:
        if entry is None:
            del self._results[name]
        else:
            self._results[name] = entry
        self._changed.add(name)
        self._dirty = True
        named = self._reads_named
        if named is not None:
            at = _reads_at(entry) if entry is not None else None
            if at is None:
                named.pop(name, None)
            else:
                named[name] = at

    def _entry(self, name: str) -> list[Any] | None:
        """The file's entry as values; None when there is none or it is corrupt."""
        text = self._results.get(name)
        if text is None:
            return None
        try:
            entry = json.loads(text)
        except (ValueError, TypeError, RecursionError):
            return None
        return entry if isinstance(entry, list) and len(entry) == _ENTRY else None

    def _loaded_reads(self) -> ReadsFile:
        """Read from disk only when an entry is replayed: recording appends."""
        if self._reads is None:
            self._reads = ReadsFile(self.reads_path, self._named())
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
        path: Path | str,
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
        if name not in self._results or stat is None:
            return None
        entry = self._entry(name)
        try:
            if entry is None:
                raise ValueError("malformed entry")
            _, _, _, _, entry_index, layer, findings, reads_at = entry
            if not self._stamp_holds(name, entry, key, stat, sha256):
                return None
            if entry_index != index:
                reads = self._loaded_reads()
                if holds is None or not reads.hold(reads_at, holds):
                    return None
                entry[4] = index
                self._set(name, json.dumps(entry, separators=_SEPARATORS))
            decoded = [decode_finding(item) for item in findings]
            return FileOutcome(name, Layer.known(layer) if layer is not None else None, decoded)
        except (ValueError, TypeError, KeyError, IndexError):
            self._set(name, None)
            return None

    def _stamp_holds(
        self, name: str, entry: list[Any], key: str, stat: FileStat, sha256: str | None = None
    ) -> bool:
        """The entry was stored for these bytes (known by their stat, or by their hash
        when the stat cannot tell) and this settings key."""
        mtime, size, digest, entry_key = entry[:4]
        if entry_key != key or size != stat[1]:
            return False
        sha256 = sha256 or self._hashed.get(name)
        if sha256 is not None:
            return bool(digest == sha256)
        return bool(mtime != NO_MTIME and mtime == stat[0])

    def stamp_of(self, path: Path | str) -> tuple[int, str] | None:
        """(size, sha256) an entry of `path` was stored with, so that a caller whose stat
        cannot tell may hash the file and ask again."""
        entry = self._entry(str(path))
        if entry is None:
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

    def write_reads(self, reads: bytes) -> ReadsAt:
        """A file's reads (`reads_file.encode_reads`) written to the reads file now (see
        `store`)."""
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
        name = outcome.name
        if reads is not None:
            at: list[Any] | None = list(reads)
        else:
            old = self._entry(name)
            at = old[-1] if old is not None else None
        layer = outcome.layer.value if outcome.layer is not None else None
        values = [
            stamp.mtime_ns,
            stamp.size,
            stamp.sha256,
            key,
            index,
            layer,
            [encode_finding(finding) for finding in outcome.findings],
            at,
        ]
        entry = json.dumps(values, separators=_SEPARATORS)
        if self._writer is not None:
            self._write_entry(name, entry)
            return
        if self._results.get(name) != entry:
            self._set(name, entry)

    def stream(self) -> None:
        """When the cache holds no entry (a cold run), the entries stored from now on
        are written to the new file as they come instead of held (every file's
        findings, to the end of the run); `save` completes it. Not for a run that will
        not save."""
        if self._results or self._writer is not None:
            return
        try:
            prepare_directory(self.directory)
            writer = SealedWriter(self.path, self._header(), sized=True)
        except OSError:
            return  # held, and the save reports why the folder cannot be written
        self._writer = writer
        weakref.finalize(self, writer.abandon)
        self._dirty = True

    def _write_entry(self, name: str, entry: str) -> None:
        """One more line of the streamed file's entries (a name written twice: the last
        wins, as `_read_lines` reads it)."""
        writer = self._writer
        assert writer is not None
        if self._broken is not None:
            return
        try:
            writer.write(_line(name, entry))
        except OSError as exc:
            self._broken = exc
            writer.abandon()
        self._streamed += 1

    def prune(self, present: Iterable[Path | str]) -> None:
        """Drop the results of files that are no longer in the project (a streamed
        entry is of a file of this run's project)."""
        if not self._results:
            return  # a cold run's entries are streamed, of this project's files
        keep = {str(path) for path in present}
        project = self._project
        for name in [name for name in self._results if name not in keep and name not in project]:
            self._set(name, None)

    def save(self) -> None:
        """Write what changed (OSError when it cannot be written): appended as a segment
        while the segments stay small, else a new file with every entry."""
        reads = self._reads
        if reads is not None:
            # Before the findings file, whose entries name these records.
            named = self._named()
            for name, at in reads.finish(named).items():
                if at == named[name]:
                    continue
                entry = self._entry(name)
                if entry is not None:
                    entry[-1] = list(at)
                    self._set(name, json.dumps(entry, separators=_SEPARATORS))
        if self._writer is not None:
            self._close_stream()
            return
        if not self._dirty:
            return
        known = self._known
        if known is not None:
            data = self._segment()
            appended = None if known.grown(data) else known.append(self.path, data)
            if appended is not None:
                self._saved(appended)
                return
        prepare_directory(self.directory)
        self._known = None
        size = write_sealed(self.path, self._header(), self._lines(), b"\n", sized=True)
        self._saved(Known.written(self.path, size))

    def _saved(self, known: Known | None) -> None:
        self._known = known
        self._changed = set()
        self._project_known = self._project
        self._dirty = False

    def _lines(self) -> Iterator[str]:
        """The payload of a new file: the entries, one a line, then the project record."""
        for name, entry in self._results.items():
            yield _line(name, entry)
        yield from self._record()

    def _record(self) -> Iterator[str]:
        yield "["
        for at, part in enumerate((self._project, self._index, self._notes, self._found)):
            if at:
                yield ","
            yield from json_pieces(part, 1)
        yield "]\n"

    def _segment(self) -> bytes:
        """What changed since the file was read, as a line to append: the entries
        changed (null: dropped), the files of the project whose record changed (null:
        gone), and the index digest, notes and findings about the project."""
        entries = {name: self._results.get(name) for name in sorted(self._changed)}
        known = self._project_known
        project: dict[str, list[Any] | None] = {
            name: record for name, record in self._project.items() if known.get(name) != record
        }
        project.update((name, None) for name in known if name not in self._project)
        values = [entries, project, self._index, self._notes, self._found]
        payload = json.dumps(values, separators=_SEPARATORS)
        return (seal({}, payload, "sha256", sha256_hex) + "\n").encode()

    def _close_stream(self) -> None:
        writer = self._writer
        assert writer is not None
        self._writer = None
        try:
            if self._broken is not None:
                raise self._broken
            for name, entry in self._results.items():  # none unless set since `stream`
                self._write_entry(name, entry)
            if self._broken is not None:
                raise self._broken
            for piece in self._record():
                writer.write(piece)
            size = writer.close(b"\n")
        finally:
            writer.abandon()
        self._saved(Known.written(self.path, size))

    def _header(self) -> dict[str, str]:
        return {
            "layercheck": VERSION,
            "format": findings_format(),
            "root": str(self.root),
            "rules": self.rules_key,
        }

    # -- the warm record's read path ------------------------------------------------------
    def held_findings(
        self, name: str, key: str, index: str, stat: FileStat | None
    ) -> list[Any] | None:
        """The file's findings as this cache stores them (`encode_finding`'s values, in
        the order stored), when its entry holds for these bytes and settings key and was
        checked against this very index (`outcome`'s conditions, `holds` never asked);
        None otherwise. Nothing is decoded: the warm record (warm_write.py) takes the
        values as they are, and building every finding only to encode it again was most
        of the record's write."""
        if stat is None:
            return None
        text = self._results.get(name)
        entry = None if text is None else _without_findings(text)
        if entry is None:
            entry = self._entry(name)
            if entry is None:
                return None
        findings = entry[6]
        if entry[4] != index or not self._stamp_holds(name, entry, key, stat):
            return None
        return findings if type(findings) is list else None


def _without_findings(text: str) -> list[Any] | None:
    """An entry with no findings (most of them), its stamp, key and index read off its
    text without `json`: the warm record's write asks it of every file of the project,
    and parsing each entry was most of that. None when the entry has findings, or its
    text is not plainly one `store` writes: `json` reads it then. Its layer and reads are
    not read (None)."""
    if text.endswith(",null]"):
        end = len(text) - 5
    elif text.endswith('"]]'):
        end = text.rfind("[", 0, -1)
    else:
        return None
    # `,[],` before the reads: the findings, an empty list (a list of findings ends `]]`).
    if end < 5 or text[end - 4 : end] != ",[],":
        return None
    parts = text[1 : end - 4].split(",", 5)  # the sixth, the layer, may hold commas
    if len(parts) != 6 or text[0] != "[":
        return None
    mtime, size, *digests, _ = parts
    if not all(part.removeprefix("-").isdigit() for part in (mtime, size)):
        return None
    for part in digests:
        # One JSON string with no escape: a quote or backslash inside is left to `json`.
        if len(part) < 2 or part[0] != '"' or part[-1] != '"' or '"' in part[1:-1]:
            return None
        if "\\" in part:
            return None
    sha256, key, index = (part[1:-1] for part in digests)
    return [int(mtime), int(size), sha256, key, index, None, [], None]
