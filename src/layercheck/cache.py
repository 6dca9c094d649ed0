"""The facts cache: one JSON file per project root, so that a file whose facts feed the
index but that is not reported on is neither read nor parsed again while it is unchanged.

An entry is used when its settings key is the file's, the path-derived fields of its
facts (module, layer, ...) are what the path gives now, and the file's (mtime_ns, size)
are those recorded; otherwise the file is read and hashed, and a matching sha256 is a hit
too (only the stamp is updated). Files reported on never come from here: they are walked.

The cache is JSON, never pickle: it sits inside checked-out repositories, and loading it
must not be able to run code (layercheck never runs the code it checks). The file is a
base, every entry in one sealed envelope (envelope.py) on the first line, then zero or
more segments, one a line, each an envelope of the entries a later run changed (null for
one dropped), a later segment winning. A run that changed a few entries (an editor
saving one file of a large project) appends them as a segment instead of encoding and
writing every entry again; the file is written anew when the segments would outgrow a
quarter of the base, or when it is no longer the file this run read. A cache file that
is corrupt, edited (each part carries a checksum), of another version, format or root is
ignored and rewritten; one that cannot be written costs the caller a warning, never the
run. A new base goes to a temporary file renamed over the old one.

An entry holds its facts' scalar fields; their tuple fields, as JSON texts, are the
entry's record in the records file beside it (records.py), read when a field is asked
for: loading the cache of a large project parses no field and holds no text. A record
that does not match its digest is a miss (the file is read again), with the same facts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import functools
import hashlib
import json
import operator
import os
import struct
import time
import types
import typing
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import IO, Any, Final, Protocol

from layercheck import __version__
from layercheck.envelope import (
    SealedWriter,
    json_pieces,
    seal,
    unseal,
    write_atomic,
    write_sealed,
)
from layercheck.envelope import sha256_hex as _sha256
from layercheck.extract import EXTRACTION_REVISION
from layercheck.facts import FileFacts
from layercheck.layers import Layer
from layercheck.records import UNKNOWN, RecordsFile, checked, read_at, valid_at
from layercheck.source import read_regular_file

VERSION: Final = __version__
RACY_NS: Final = 2_000_000_000
"""A file modified this close to the moment it was read may change again within the
filesystem's timestamp granularity without changing (mtime, size): its stamp is recorded
without an mtime, so the next run hashes it (git's "racily clean" entries)."""
NO_MTIME: Final = -1
CACHEDIR_TAG: Final = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by layercheck.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
GITIGNORE: Final = "# Automatically created by layercheck.\n*\n"
HEADER: Final = (
    "path",
    "module",
    "is_package",
    "path_layer",
    "layer_folder",
    "is_test",
    "detect_routes",
    "layer_given",
    "outer_layers",
)
"""Facts fields derived from the path and the file system around it (an Alembic `env.py`,
`__init__.py` chains), not from the bytes: a hit must agree with them as computed now."""

# -- facts <-> JSON -------------------------------------------------------------------------
# Dataclasses become lists of their fields in declaration order, enums their values;
# tuples, None, str, int and bool are JSON as they are (json writes tuples as lists).
# Codecs are built once per type from the type hints, so a new field is handled (or
# refused at import) without touching this code. Decoding trusts the shapes: the cache
# file carries a checksum of what this very format wrote, and a file that fails it is
# ignored before anything is decoded. What is left to fail (a wrong length, an unknown
# enum value) raises ValueError, TypeError or KeyError.

Encoder = Callable[[Any], object]
Decoder = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Codec:
    encode: Encoder | None
    """None: the value is JSON as it is."""
    decode: Decoder | None
    """None: json gives the value back as it was."""
    shape: str
    """The type's layout, for the format fingerprint."""


_CODECS: dict[object, _Codec] = {}
_SCALARS: Final = {str: "str", int: "int", bool: "bool", type(None): "None"}


def _codec(hint: object) -> _Codec:
    found = _CODECS.get(hint)
    if found is None:
        found = _CODECS[hint] = _build(hint)
    return found


def codec(hint: object) -> _Codec:
    """The JSON codec of a type built of dataclasses, enums, tuples, paths and scalars
    (facts, findings)."""
    return _codec(hint)


def _build(hint: object) -> _Codec:
    if hint in _SCALARS:
        return _Codec(None, None, _SCALARS[hint])
    if hint is Path:
        return _Codec(str, _path, "Path")
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        return _optional(_codec(args[0] if args[1] is type(None) else args[1]))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _sequence(_codec(args[0]))
        return _fixed(tuple(_codec(arg) for arg in args))
    if hint is Layer:  # built in, or made by the settings the facts were read with
        return _Codec(operator.attrgetter("value"), Layer.known, "Layer")
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass(hint)
    raise TypeError(f"the facts cache cannot store {hint!r}")


_path = functools.lru_cache(maxsize=4096)(Path)
"""One `Path` for the findings of one file (a warm run of 100,000 generated files decodes
150,000 findings: a `Path` each was a fifth of the run), and for the file it names."""


def _optional(inner: _Codec) -> _Codec:
    encode_inner, decode_inner = inner.encode, inner.decode
    encode: Encoder | None = None
    decode: Decoder | None = None
    if encode_inner is not None:

        def encode(value: Any) -> object:
            return None if value is None else encode_inner(value)

    if decode_inner is not None:

        def decode(value: Any) -> object:
            return None if value is None else decode_inner(value)

    return _Codec(encode, decode, f"{inner.shape}?")


def _sequence(item: _Codec) -> _Codec:
    encode_item, decode_item = item.encode, item.decode
    encode: Encoder | None = None
    if encode_item is not None:

        def encode(value: Any) -> object:
            return list(map(encode_item, value))

    decode: Decoder
    if decode_item is None:
        decode = tuple
    elif decode_item is tuple:

        def decode(value: Any) -> object:
            return tuple(map(tuple, value))

    else:

        def decode(value: Any) -> object:
            return tuple(map(decode_item, value))

    return _Codec(encode, decode, f"[{item.shape}...]")


def _fixed(items: tuple[_Codec, ...]) -> _Codec:
    shape = "[" + ",".join(item.shape for item in items) + "]"
    if all(item.encode is None and item.decode is None for item in items):
        return _Codec(None, tuple, shape)
    raise TypeError(f"the facts cache stores tuples of plain values only, not {shape}")


def _enum(kind: type[enum.Enum]) -> _Codec:
    members = {member.value: member for member in kind}
    if not all(type(value) is str for value in members):
        raise TypeError(f"the facts cache stores enums of strings only, not {kind!r}")
    shape = f"{kind.__name__}{{{','.join(sorted(members))}}}"
    return _Codec(operator.attrgetter("value"), members.__getitem__, shape)


def _dataclass(kind: type[Any]) -> _Codec:
    hints = typing.get_type_hints(kind)
    names = tuple(field.name for field in dataclasses.fields(kind))
    codecs = tuple(_codec(hints[name]) for name in names)
    get: Callable[[Any], tuple[object, ...]] = (
        operator.attrgetter(*names) if len(names) > 1 else lambda value: (getattr(value, names[0]),)
    )
    encoders = [(at, c.encode) for at, c in enumerate(codecs) if c.encode is not None]
    decoders = [(at, c.decode) for at, c in enumerate(codecs) if c.decode is not None]

    def encode(value: Any) -> object:
        fields = list(get(value))
        for at, encode_field in encoders:
            fields[at] = encode_field(fields[at])
        return fields

    def decode(value: Any) -> object:
        if type(value) is not list:
            raise ValueError(f"expected {kind.__name__} as a list")
        if not decoders:
            return kind(*value)
        fields = value.copy()  # the entry keeps its own
        for at, decode_field in decoders:
            fields[at] = decode_field(fields[at])
        return kind(*fields)

    layout = ",".join(f"{name}:{codec.shape}" for name, codec in zip(names, codecs, strict=True))
    return _Codec(encode if encoders else get, decode, f"{kind.__name__}({layout})")


_FILE_LAYOUT: Final = 5
"""The layout of the cache file: 2 is a base and appended segments; 3 stores each
non-empty tuple field of the facts as its own JSON text (`_stored`); 4 keeps those texts
in the records file, an entry naming its record and each text's length; 5 keeps each
entry's `imports_digest`."""


@functools.cache
def format_id() -> str:
    """Changes whenever a facts dataclass gains, loses, renames or retypes a field, and
    whenever the extraction records something else for the same source."""
    shape = f"{_codec(FileFacts).shape};extraction={EXTRACTION_REVISION};file={_FILE_LAYOUT}"
    return hashlib.sha256(shape.encode()).hexdigest()[:16]


def to_json(facts: FileFacts) -> object:
    """The facts as JSON-ready values (tuples stand for lists)."""
    encode = _codec(FileFacts).encode
    assert encode is not None
    return encode(facts)


def from_json(data: object) -> FileFacts:
    """The facts back from `to_json`'s value, once through json; ValueError when the
    shape is not one `to_json` makes."""
    decode = _codec(FileFacts).decode
    assert decode is not None
    try:
        facts = decode(data)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ValueError(f"malformed facts: {exc!r}") from None
    if not isinstance(facts, FileFacts):
        raise ValueError("malformed facts")
    return facts


# -- stamps and keys ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stamp:
    """What a cache entry knows of the file's bytes: its stat, and their hash."""

    mtime_ns: int
    size: int
    sha256: str


def read_stamped(path: Path | str) -> tuple[bytes, Stamp]:
    """The file's bytes and their stamp, from one open file (OSError as when reading)."""
    data, status = read_regular_file(path)
    mtime = status.st_mtime_ns
    if len(data) != status.st_size or abs(time.time_ns() - mtime) < RACY_NS:
        mtime = NO_MTIME
    return data, Stamp(mtime, len(data), hashlib.sha256(data).hexdigest())


class KeyedSettings(Protocol):
    """What of `Settings` shapes facts (the cache sits below settings in the layers)."""

    def facts_inputs(self) -> Mapping[str, object]: ...


def settings_key(settings: KeyedSettings) -> str:
    """A hash of everything besides a file's bytes and path that shapes its facts: this
    version and facts format, and what the settings say does (the root, and the option
    rows marked `shapes_facts`)."""
    shape = {
        "layercheck": VERSION,
        "format": format_id(),
        "settings": settings.facts_inputs(),
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:32]


def cache_file(directory: Path, root: Path) -> Path:
    """Named by version and root: a `cache-dir` shared by several projects (or given to
    `--cache-dir` for a run over several) keeps one file for each."""
    tag = hashlib.sha256(str(root).encode()).hexdigest()[:12]
    return directory / f"facts-{VERSION}-{tag}.json"


header_values: Final[Callable[[FileFacts], tuple[object, ...]]] = operator.attrgetter(*HEADER)
"""The facts' path-derived fields, in `HEADER`'s order."""


_HEADER_AT: Final = tuple(
    at for at, field in enumerate(dataclasses.fields(FileFacts)) if field.name in HEADER
)


def _header_of(encoded: object) -> list[object] | None:
    """The header fields of encoded facts (plain JSON values, as stored or as encoded)."""
    if not isinstance(encoded, list) or len(encoded) <= max(_HEADER_AT):
        return None
    return [encoded[at] for at in _HEADER_AT]


# -- the cache file -------------------------------------------------------------------------

Entry = dict[str, Any]
Prefetched = tuple[bytes, Stamp]
"""A miss that had to read the file: its bytes and stamp, so it is not read again."""
_UNSTATED: Final[Any] = object()
SEGMENTS_SHARE: Final = 4
"""Segments are appended while they stay under 1/4 of the base's bytes."""


@dataclass(frozen=True, slots=True)
class Known:
    """A cache file of a base and segments as this run read it: what an appended
    segment must follow."""

    identity: tuple[int, int]
    """(st_dev, st_ino): a file renamed over it since is another file."""
    base: int
    """The bytes of the base."""
    length: int
    """The bytes of the base and the segments read."""

    @classmethod
    def written(cls, path: Path, size: int) -> Known | None:
        """The base of `size` bytes just written at `path`; None when the file there is
        not that one any more."""
        try:
            status = path.stat()
        except OSError:
            return None
        return cls((status.st_dev, status.st_ino), size, size) if status.st_size == size else None

    def grown(self, data: bytes) -> bool:
        """Whether the segments, with `data` appended, would outgrow their share of
        the base (the file is written anew instead)."""
        return self.length - self.base + len(data) > self.base // SEGMENTS_SHARE

    def append(self, path: Path, data: bytes) -> Known | None:
        """`data` written at `path` after the bytes this run read; None when the file is
        not the one read, or is shorter (the caller writes a new base)."""
        try:
            with open(path, "r+b") as handle:
                status = os.fstat(handle.fileno())
                if (status.st_dev, status.st_ino) != self.identity:
                    return None
                if status.st_size < self.length:
                    return None
                # Bytes past those read (a run that stopped half-way, or another
                # process's segment) are cut: their entries are found again.
                handle.seek(self.length)
                handle.write(data)
                handle.truncate()
        except OSError:
            return None
        return dataclasses.replace(self, length=self.length + len(data))


class FactsCache:
    """The facts of one project root's files, as last stored."""

    def __init__(
        self,
        directory: Path,
        root: Path,
        stats: Mapping[str, tuple[int, int] | None] | None = None,
    ) -> None:
        """`stats`: the (mtime_ns, size) of the project's files, stated by the caller
        for its own cache (the mtime NO_MTIME when it cannot be trusted, None for a file
        that is gone): a file stated there is not stated again."""
        self.directory = directory
        self.root = root
        self.path = cache_file(directory, root)
        self._stats = stats or {}
        self._known: Known | None = None
        """None: there is no file to append to; the next save writes a new base."""
        self._changed: dict[str, Entry | None] = {}
        """The entries this run changed (None: dropped), for the next segment."""
        self.records_path = self.path.with_name("records-" + self.path.name.removeprefix("facts-"))
        self._fields = _Fields.open(self.records_path)
        """The records file as this run found it, which the cached facts read."""
        self._records: RecordsFile | None = None
        """The records file this run writes to, once an entry is stored."""
        self._entries = self._read()
        self._keys: dict[int, tuple[KeyedSettings, str]] = {}
        self._writer: SealedWriter | None = None
        """The new base the entries stored go to as they come (`stream`)."""
        self._streamed: dict[str, str] = {}
        """The digest of each entry written there: they are not held."""
        self._pieces = 0

    def __len__(self) -> int:
        return len(self._entries) + len(self._streamed)

    def stream(self) -> None:
        """When the cache holds no entry (a cold run), the entries stored from now on
        are written to a new base as they come instead of held (at 10,000 files, the
        facts of every file as text were tens of MiB, inherited by every rules worker);
        `save` completes it. Not for a run that will not save."""
        if self._entries or self._changed or self._writer is not None:
            return
        header = {"layercheck": VERSION, "format": format_id(), "root": str(self.root)}
        try:
            prepare_directory(self.directory)
            writer = SealedWriter(self.path, header)
        except OSError:
            return  # held, and the save reports why the folder cannot be written
        self._writer = writer
        weakref.finalize(self, writer.abandon)

    @property
    def _dirty(self) -> bool:
        return self._known is None or bool(self._changed)

    def _read(self) -> dict[str, Entry]:
        """The entries of the base and the segments. Anything unexpected, from a file
        that is no JSON at all to one changed by hand, is an empty cache."""
        try:
            with open(self.path, "rb") as handle:
                status = os.fstat(handle.fileno())
                raw = handle.read()
            if not raw.endswith(b"\n"):
                return {}
            # Each copy of the file's bytes let go as soon as the next is made: this is
            # the largest thing a run after an edit holds (10,000 files: 6 MB as bytes,
            # once more as text when parsed).
            length = len(raw)
            lines = raw.split(b"\n")
            del raw
            lines.pop()  # after the last newline
            base = len(lines[0]) + 1
            opened = unseal(lines[0], "sha256", _sha256)
            lines[0] = b""
            if opened is None:
                return {}
            header, payload = opened
            del opened
            if (
                header.get("layercheck") != VERSION
                or header.get("format") != format_id()
                or header.get("root") != str(self.root)
            ):
                return {}
            entries = json.loads(payload)
            del payload
            if not isinstance(entries, dict):
                return {}
            for line in lines[1:]:
                segment = unseal(line, "sha256", _sha256)
                changed = json.loads(segment[1]) if segment is not None else None
                if not isinstance(changed, dict):
                    return {}
                entries.update(changed)
        except (OSError, ValueError, RecursionError):
            return {}
        self._known = Known((status.st_dev, status.st_ino), base, length)
        return {name: entry for name, entry in entries.items() if entry is not None}

    def _set(self, name: str, entry: Entry | None) -> None:
        if entry is None:
            del self._entries[name]
        else:
            self._entries[name] = entry
        self._changed[name] = entry

    def key(self, settings: KeyedSettings) -> str:
        # By identity: a workspace hands out one Settings object per configuration.
        found = self._keys.get(id(settings))
        if found is None or found[0] is not settings:
            found = self._keys[id(settings)] = (settings, settings_key(settings))
        return found[1]

    def lookup(
        self,
        path: Path | str,
        settings: KeyedSettings,
        header: Callable[[], FileFacts | tuple[object, ...]],
    ) -> FileFacts | Prefetched | None:
        """The file's facts when the entry is still valid; else, when the file had to be
        read to tell, its bytes and stamp; else None. `header()` gives the path-derived
        fields as they are now (the file's facts without its content, or those fields'
        values in `HEADER`'s order: building the facts cost more than the rest of a
        lookup); it is called only for a file that has an entry."""
        name = str(path)
        entry = self._entries.get(name)
        if not isinstance(entry, dict) or entry.get("settings") != self.key(settings):
            return None
        stat = self._stats.get(name, _UNSTATED)
        if stat is _UNSTATED:
            try:
                status = os.stat(path)
            except OSError:
                return None
            stat = (status.st_mtime_ns, status.st_size)
        elif stat is None:
            return None
        mtime = entry.get("mtime_ns")
        # A stat whose mtime cannot be trusted (NO_MTIME) never equals a stored one.
        if type(mtime) is int and mtime != NO_MTIME and (mtime, entry.get("size")) == stat:
            return self._facts(name, entry, header)
        try:
            data, stamp = read_stamped(path)
        except OSError:
            return None
        if stamp.sha256 != entry.get("sha256"):
            return data, stamp
        facts = self._facts(name, entry, header)
        if facts is None:
            return data, stamp
        if (mtime, entry.get("size")) != (stamp.mtime_ns, stamp.size):
            self._set(name, {**entry, "mtime_ns": stamp.mtime_ns, "size": stamp.size})
        return facts

    def _facts(
        self, name: str, entry: Entry, header: Callable[[], FileFacts | tuple[object, ...]]
    ) -> FileFacts | None:
        facts = self._decoded(entry)
        if facts is None:
            self._set(name, None)
            return None
        current = header()
        if isinstance(current, FileFacts):
            current = header_values(current)
        return facts if header_values(facts) == current else None

    def _decoded(self, entry: Entry) -> FileFacts | None:
        """The entry's facts; None when its record is missing or damaged (checked here,
        once: the records file open for the run is never written over)."""
        at = entry.get("at")
        fields = self._fields
        record = None
        if at is not None:
            record = fields.record(at) if fields is not None else None
            if record is None:
                return None
        held = record if fields is not None and record is not None and fields.holding() else None
        roots = entry.get("roots")
        try:
            return CachedFacts.of(
                entry.get("facts"), fields, at, held, roots if type(roots) is str else None
            )
        except (ValueError, TypeError, KeyError, IndexError):
            return None

    def store(
        self,
        path: Path | str,
        settings: KeyedSettings,
        stamp: Stamp,
        facts: FileFacts | EncodedFacts,
    ) -> None:
        """Keep the facts of these bytes (a no-op when the entry already says so);
        `facts` may come encoded already (`encode_facts`, in the worker that gathered
        them)."""
        name = str(path)
        key = self.key(settings)
        found = facts if isinstance(facts, EncodedFacts) else encode_facts(facts)
        kept = found.kept
        old = self._entries.get(name)
        if (
            isinstance(old, dict)
            and (old.get("mtime_ns"), old.get("size")) == (stamp.mtime_ns, stamp.size)
            and (old.get("sha256"), old.get("settings")) == (stamp.sha256, key)
            and isinstance(old.get("digest"), str)
            and isinstance(old.get("roots"), str)
            and _header_of(old.get("facts")) == _header_of(kept) is not None
        ):
            return  # the same bytes, settings and path: the same facts
        data = found.record
        entry: Entry = {
            "mtime_ns": stamp.mtime_ns,
            "size": stamp.size,
            "sha256": stamp.sha256,
            "settings": key,
            "facts": kept,
            "digest": found.digest,
            "roots": found.roots,
        }
        if data:
            at = self._records_file().add_record(data)
            if at == UNKNOWN:  # not kept: the file is read again next time
                if name in self._entries:
                    self._set(name, None)
                return
            entry["at"] = list(at)
        if self._writer is not None:
            self._write_entry(name, entry)
            self._streamed[name] = str(entry["digest"])
            return
        self._set(name, entry)

    def _records_file(self) -> RecordsFile:
        if self._records is None:
            with contextlib.suppress(OSError):  # else no record is written, and none kept
                prepare_directory(self.directory)
            named = {name: entry.get("at") for name, entry in self._entries.items()}
            self._records = RecordsFile(self.records_path, named)
        return self._records

    def _finish_records(self) -> bool:
        """The records this run wrote made lasting; True when they went to a new records
        file, where every entry's record is somewhere else (one that could not be copied
        is dropped)."""
        records = self._records
        if records is None:
            return False
        self._records = None
        renewed = records.renewed
        named = {
            name: (int(at[0]), int(at[1]), str(at[2]))
            for name, entry in self._entries.items()
            if valid_at(at := entry.get("at"))
        }
        kept = records.finish(named)
        if not renewed:
            return False
        for name, at in kept.items():
            if at == UNKNOWN:
                del self._entries[name]
            else:
                self._entries[name]["at"] = list(at)
        return True

    def _write_entry(self, name: str, entry: object) -> None:
        """One more item of the new base's dict (a name written twice: the last wins,
        as `json` reads it)."""
        assert self._writer is not None
        comma = "," if self._pieces else "{"
        self._pieces += 1
        self._writer.write(f"{comma}{encode_basestring_ascii(name)}:")
        self._writer.write(json.dumps(entry, separators=_SEPARATORS))

    def digest(self, path: Path | str) -> str | None:
        """The `facts_digest` stored with the file's facts."""
        name = str(path)
        streamed = self._streamed.get(name)
        if streamed is not None:
            return streamed
        entry = self._entries.get(name)
        found = entry.get("digest") if isinstance(entry, dict) else None
        return found if isinstance(found, str) else None

    def prune(self, present: Iterable[Path | str]) -> None:
        """Drop the entries of files that are gone: those of `present` (this run's files)
        stay; any other stays only while it is a file under the root."""
        keep = {str(path) for path in present}
        for name in list(self._entries):
            if name in keep:
                continue
            path = Path(name)
            if not (path.is_absolute() and self.root in path.parents and path.is_file()):
                self._set(name, None)

    def save(self) -> None:
        """Write what changed (OSError when it cannot be written): appended as a
        segment while the segments stay small, else a new base with every entry."""
        moved = self._finish_records()
        if self._writer is not None:
            self._close_stream()
            return
        if moved:
            self._known = None  # every entry names its record anew
        if not self._dirty:
            return
        known = self._known
        if known is not None:
            segment = seal({}, json.dumps(self._changed, separators=(",", ":")), "sha256", _sha256)
            data = segment.encode() + b"\n"
            appended = None if known.grown(data) else known.append(self.path, data)
            if appended is not None:
                self._known = appended
                self._changed = {}
                return
        prepare_directory(self.directory)
        header = {"layercheck": VERSION, "format": format_id(), "root": str(self.root)}
        self._known = None
        size = write_sealed(self.path, header, json_pieces(self._entries, 1), b"\n")
        self._changed = {}
        self._known = Known.written(self.path, size)

    def _close_stream(self) -> None:
        writer = self._writer
        assert writer is not None
        try:
            for name, entry in self._entries.items():  # none unless set since `stream`
                self._write_entry(name, entry)
            writer.write("}" if self._pieces else "{}")
            size = writer.close(b"\n")
        finally:
            writer.abandon()
            self._writer = None
        self._changed = {}
        self._known = Known.written(self.path, size)


def prepare_directory(directory: Path) -> None:
    """The cache folder, marked as one for backup tools and git (OSError when it cannot
    be made)."""
    directory.mkdir(parents=True, exist_ok=True)
    for marker, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", GITIGNORE)):
        if not (directory / marker).exists():
            write_atomic(directory / marker, text)


def facts_digest(facts: FileFacts) -> str:
    """What the index sees of a file, as a hash: two files' facts are equal when their
    digests are."""
    return _digest_of(to_json(facts))


@dataclass(frozen=True, slots=True)
class EncodedFacts:
    """A file's facts as the facts cache stores them: made by the worker that gathered
    them, so that the process that keeps the cache writes text and bytes and never
    builds the facts as objects (at 10,000 files, unpickling them in the parent to
    store them grew it by 30 MiB, inherited by every rules worker)."""

    kept: list[object]
    """The entry's facts: the scalar fields, and the length of each field's text."""
    record: bytes
    """The texts of the non-empty tuple fields, one after another."""
    digest: str
    """`facts_digest` of the facts."""
    roots: str
    """`imports_digest` of the facts."""


def encode_facts(facts: FileFacts) -> EncodedFacts:
    stored = _stored(to_json(facts))
    digest = _stored_digest(stored)
    record, kept = _split(stored)
    imports = stored[_IMPORTS_AT]
    text = imports if type(imports) is str else "[]"
    return EncodedFacts(kept, record, digest, _imports_digest(facts, text))


def imports_digest(facts: FileFacts) -> str:
    """A hash of the file's path, module, whether it is a package, and its imports as
    the cache keeps them (what the misrooted-imports warning reads of a file): kept with
    each entry, so that cached facts tell it without reading their record."""
    if isinstance(facts, CachedFacts):
        kept = facts.roots
        if kept is not None:
            return kept
    return _imports_digest(facts, field_json(facts, "imports"))


def _imports_digest(facts: FileFacts, imports: str) -> str:
    head = json.dumps([facts.path, facts.module, facts.is_package])
    text = f"{head}\n{imports}".encode("utf-8", "surrogateescape")
    return hashlib.sha256(text).hexdigest()[:32]


def _digest_of(encoded: object) -> str:
    text = json.dumps(encoded, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


# -- facts decoded as they are read -----------------------------------------------------------
# Checking one file of a large project builds the index from every other file's cached
# facts, and the index and the rules read a few fields of most files (classes, function
# names), more of a few (imports, bindings of the modules a name goes through). Each
# non-empty tuple field is stored as its own JSON text in the file's record (the texts one
# after another, in the records file: records.py), and the entry keeps each text's
# length: loading the cache parses no field, holds no text, and a field is read from the
# records file and decoded when first read. A large project's facts cache was loaded
# whole before (10,000 generated files: 30 MB of JSON, 137 MiB held, 197 MiB at its peak).

_FIELD_NAMES: Final = tuple(field.name for field in dataclasses.fields(FileFacts))
_LATER: Final = frozenset(
    field.name
    for field in dataclasses.fields(FileFacts)
    if field.default == () and field.name not in HEADER
)
"""The fields stored as JSON text when they are not empty."""
_LATER_AT: Final = tuple(at for at, name in enumerate(_FIELD_NAMES) if name in _LATER)
_LATER_INDEX: Final = {_FIELD_NAMES[at]: n for n, at in enumerate(_LATER_AT)}
_IMPORTS_AT: Final = _FIELD_NAMES.index("imports")
"""Each such field's place among them."""
_LENGTHS: Final = struct.Struct(f"<{len(_LATER_AT)}I")
_SEPARATORS: Final = (",", ":")
KEPT_DECODED: Final = 2048
"""Files whose fields read stay decoded: past these, the fields of the file read longest
ago are emptied (read again when asked for), so that a run that reads most files' facts
(a rules pass over many files) holds a bounded number decoded."""


def _stored(encoded: object) -> list[object]:
    """`to_json`'s value with its non-empty tuple fields as their JSON text."""
    assert isinstance(encoded, list)
    stored = encoded.copy()
    for at in _LATER_AT:
        if stored[at]:
            stored[at] = json.dumps(stored[at], separators=_SEPARATORS)
    return stored


def _split(stored: list[object]) -> tuple[bytes, list[object]]:
    """The record of `_stored`'s value (its texts one after another) and the value the
    entry keeps: each text replaced by its length."""
    kept = stored.copy()
    texts: list[bytes] = []
    for at in _LATER_AT:
        text = kept[at]
        if type(text) is str:
            data = text.encode("ascii")  # json.dumps escapes every other character
            texts.append(data)
            kept[at] = len(data)
    return b"".join(texts), kept


def _stored_digest(stored: list[object]) -> str:
    """`facts_digest` of the facts `stored` holds, from the texts it keeps: the JSON of
    a list is its items' JSON between brackets."""
    later = frozenset(_LATER_AT)
    parts = [
        item if at in later and type(item) is str else json.dumps(item, separators=_SEPARATORS)
        for at, item in enumerate(stored)
    ]
    return hashlib.sha256(f"[{','.join(parts)}]".encode()).hexdigest()[:32]


@functools.cache
def _field_decoders() -> tuple[Decoder | None, ...]:
    hints = typing.get_type_hints(FileFacts)
    return tuple(_codec(hints[name]).decode for name in _FIELD_NAMES)


class _Fields:
    """The records file as one run opened it, which the cached facts read their fields
    from (the file stays open while they live; a later run's new file replaces the name,
    not these bytes), with the files whose fields are decoded, the oldest emptied first."""

    def __init__(self, reader: IO[bytes]) -> None:
        self._reader = reader
        # By weak reference: the facts refer to this object, and a cycle would keep
        # both (and the file open) until the collector runs, which a run holds off.
        self._recent: OrderedDict[int, weakref.ref[CachedFacts]] = OrderedDict()
        self._held = 0

    @classmethod
    def open(cls, path: Path) -> _Fields | None:
        try:
            # Closed when the facts that read it are freed.
            return cls(open(path, "rb"))
        except OSError:
            return None

    def record(self, at: object) -> bytes | None:
        """The record at `at` when its bytes match their digest."""
        return checked(self._reader, at)

    def text(self, offset: int, length: int) -> str:
        data = read_at(self._reader, offset, length)
        if len(data) != length:
            raise OSError(f"the facts cache's records file ends before {offset + length}")
        return data.decode("ascii")

    def holding(self) -> bool:
        """Whether one more file's record, read to check it, is kept for its fields: the
        first few thousand are (a project of that size reads no field from the file, as
        when the cache held every text), the others are read again when asked for."""
        if self._held >= KEPT_DECODED:
            return False
        self._held += 1
        return True

    def room(self) -> bool:
        """Fewer files have fields decoded than are kept."""
        return len(self._recent) < KEPT_DECODED

    def loaded(self, item: CachedFacts) -> None:
        """`item` has a field set: the file read longest ago is emptied once too many
        files are."""
        recent = self._recent
        key = id(item)
        known = recent.get(key)
        if known is not None and known() is item:
            recent.move_to_end(key)
            return
        recent[key] = weakref.ref(item)
        recent.move_to_end(key)
        if len(recent) > KEPT_DECODED:
            oldest = recent.popitem(last=False)[1]()
            if oldest is not None:
                oldest.unload()


class CachedFacts(FileFacts):
    """A file's facts from the cache file: the fields kept as JSON text in the records
    file are read and decoded when first read (an empty slot reaches `__getattr__`), so
    it reads as a `FileFacts`. Their record was checked against its digest when the
    entry was looked up."""

    __slots__ = ("__weakref__", "_fields", "_lengths", "_offset", "_record", "_roots")
    _fields: _Fields | None
    _offset: int
    _lengths: bytes
    _record: bytes | None
    _roots: str | None

    @classmethod
    def of(
        cls,
        stored: object,
        fields: _Fields | None = None,
        at: object = None,
        record: bytes | None = None,
        roots: str | None = None,
    ) -> CachedFacts:
        """The facts of a stored entry (`_split`'s value, its record at `at` in `fields`,
        whose bytes are `record` when they are kept; `roots`: the `imports_digest` the
        entry keeps); ValueError, TypeError, KeyError or IndexError when its shape is not
        one `_split` makes."""
        if type(stored) is not list or len(stored) != len(_FIELD_NAMES):
            raise ValueError("malformed facts")
        item = cls.__new__(cls)
        for place, slot, decode in _scalar_plan():
            value = stored[place]
            slot.__set__(item, value if decode is None else decode(value))
        # This runs for every file of the project: the lengths go to `struct` as they
        # are (an empty field is stored as [], a text as its length); anything else
        # takes the long way.
        try:
            packed = _LENGTHS.pack(*[stored[place] or 0 for place in _LATER_AT])
        except struct.error:
            packed = _LENGTHS.pack(*_inline(item, stored))
        offset = -1
        if packed != _NO_LENGTHS:
            if fields is None or not valid_at(at) or at[1] != sum(_LENGTHS.unpack(packed)):
                raise ValueError("malformed facts")
            offset = int(at[0])
        object.__setattr__(item, "_fields", fields)
        object.__setattr__(item, "_offset", offset)
        object.__setattr__(item, "_lengths", packed)
        object.__setattr__(item, "_record", record)
        object.__setattr__(item, "_roots", roots)
        return item

    @property
    def roots(self) -> str | None:
        """The `imports_digest` stored with these facts; None when the entry keeps none."""
        return self._roots

    def _length(self, name: str) -> tuple[int, int]:
        """Where the text of the field `name` is: offset, length (0: empty)."""
        lengths = _LENGTHS.unpack(self._lengths)
        at = _LATER_INDEX[name]
        return self._offset + sum(lengths[:at]), lengths[at]

    def _read(self, name: str) -> Any:
        offset, length = self._length(name)
        if not length:
            return ()
        decode = _field_decoders()[_FIELD_NAMES.index(name)]
        value = json.loads(self._text(offset, length))
        return value if decode is None else decode(value)

    def _text(self, offset: int, length: int) -> str:
        record = self._record
        if record is not None:
            start = offset - self._offset
            return record[start : start + length].decode("ascii")
        assert self._fields is not None
        return self._fields.text(offset, length)

    def __getattr__(self, name: str) -> Any:
        if name not in _LATER:  # not set yet / no such field
            raise AttributeError(name)
        value = self._read(name)
        object.__setattr__(self, name, value)
        if value and self._fields is not None:
            self._fields.loaded(self)
        return value

    def passing(self, name: str) -> Any:
        # Kept while fewer files than the bound are decoded (a project of a few thousand
        # files decodes each field once); past it, decoded for this reader only: a
        # question about the whole project (the index's classes) reads one field of
        # every file, and each would push out a file read for a rule.
        slot = _SLOTS.get(name)
        if slot is None:
            return getattr(self, name)
        with contextlib.suppress(AttributeError):
            return slot.__get__(self, CachedFacts)
        if self._fields is not None and self._fields.room():
            return getattr(self, name)
        return self._read(name)

    def text_of(self, name: str) -> str | None:
        """The JSON text of a field not decoded yet; None once it is (or when it is
        empty)."""
        slot = _SLOTS.get(name)
        if slot is None:
            return None
        with contextlib.suppress(AttributeError):
            slot.__get__(self, CachedFacts)
            return None
        offset, length = self._length(name)
        if not length or self._fields is None:
            return None
        return self._text(offset, length)

    def unload(self) -> None:
        """Empty the fields kept in the records file again."""
        for name, length in zip(_LATER_INDEX, _LENGTHS.unpack(self._lengths), strict=True):
            if length:
                try:  # not contextlib.suppress: this runs for every file read past the bound
                    object.__delattr__(self, name)
                except AttributeError:
                    continue

    def loaded(self) -> FileFacts:
        """The facts as one plain object, every field decoded."""
        return FileFacts(*(getattr(self, name) for name in _FIELD_NAMES))

    # The dataclass compares only objects of one class: these facts equal the plain
    # facts they stand for.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileFacts):
            return NotImplemented
        return self.loaded() == (other.loaded() if isinstance(other, CachedFacts) else other)

    def __hash__(self) -> int:
        return hash(self.loaded())

    def __reduce__(self) -> tuple[Any, ...]:
        return self.loaded().__reduce__()


_SLOTS: Final = {name: FileFacts.__dict__[name] for name in _LATER}
_NO_LENGTHS: Final = _LENGTHS.pack(*[0] * len(_LATER_AT))


@functools.cache
def _scalar_plan() -> tuple[tuple[int, Any, Decoder | None], ...]:
    """Where each field not kept as text is in a stored entry, its slot and decoder."""
    decoders = _field_decoders()
    return tuple(
        (at, FileFacts.__dict__[name], decoders[at])
        for at, name in enumerate(_FIELD_NAMES)
        if name not in _LATER
    )


def _inline(item: CachedFacts, stored: list[Any]) -> list[int]:
    """The lengths of an entry whose fields kept as text are not all lengths: a value
    stored in the entry itself is set on `item` (ValueError for a length not above 0)."""
    decoders = _field_decoders()
    lengths: list[int] = []
    for at in _LATER_AT:
        value = stored[at]
        if type(value) is int:
            if value <= 0:
                raise ValueError("malformed facts")
            lengths.append(value)
            continue
        lengths.append(0)
        if value:
            decode = decoders[at]
            object.__setattr__(item, _FIELD_NAMES[at], value if decode is None else decode(value))
    return lengths


def field_json(facts: FileFacts, name: str) -> str:
    """The JSON text of one field of `facts`, as the cache file keeps it: a field of
    cached facts not read yet is not decoded for it."""
    if isinstance(facts, CachedFacts):
        text = facts.text_of(name)
        if text is not None:
            return text
    encode = _field_encoder(name)
    value = getattr(facts, name)
    return json.dumps(value if encode is None else encode(value), separators=_SEPARATORS)


@functools.cache
def _field_encoder(name: str) -> Encoder | None:
    return _codec(typing.get_type_hints(FileFacts)[name]).encode
