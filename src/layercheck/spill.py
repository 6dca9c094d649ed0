"""Each file's facts kept on disk for the length of a run instead of in memory.

The index needs few of a file's facts at once, but as objects they cost about 7 KiB a
file, which a 100,000-file project cannot hold. Once a file's facts are gathered, they
are pickled into an anonymous temporary file (unlinked as soon as it is made, so nothing
is left behind, whatever happens to the process) and the index holds a `SpilledFacts`
instead: the fields that are scalars or empty are set on it, the others are read back
from the file when one is asked for, and stay set while the file is among the last few
thousand read. Each field is pickled on its own and read back alone: a question about
the whole project reads one field of every file (its imports, its handlers), and
decoding every field of each file for it made that much garbage, scattered among what
stays, that a worker's memory grew by it (10,000 files: 24 MiB to list every import).
The strings read back are interned: module and class names repeat from file to file.
A field is written with `marshal`, each fact as the tuple of its values and every
string interned, so that reading it back interns its strings in C and builds the facts
from their values knowing their kinds (`_READERS`): the rules pass reads fields back
about 12 times a file (10,000 generated files, `-j1`: 121,000 reads), and a pickle of
facts rebuilt through one Python call a fact and a walk of every value to intern its
strings took about twice as long (a module's bindings 13 -> 7 us, its classes 62 ->
26 us). marshal's format is the interpreter's own: the file is private to this process
and its forked workers, and never read again after the run."""

from __future__ import annotations

import contextlib
import marshal
import os
import struct
import tempfile
import weakref
from collections import OrderedDict
from dataclasses import dataclass, fields
from typing import IO, Any, Final

from layercheck.facts import READERS, FileFacts, interned, plain

DECODED: Final = 2048
"""Files whose facts stay decoded: every file of a project of a few thousand, so that
such a project decodes each file once; at most about 14 MiB of objects."""
DECODED_CHECKING: Final = 256
"""Files whose facts stay decoded while the rules run (`FactsSpill.settle`)."""

_FIELDS: Final = tuple(item.name for item in fields(FileFacts))
_TUPLES: Final = tuple(item.name for item in fields(FileFacts) if item.default == ())
"""The fields that may be kept on disk: the others are never a non-empty tuple."""
_AT: Final = {name: at for at, name in enumerate(_TUPLES)}
_PATH: Final = _FIELDS.index("path")


def spilling(files: int) -> bool:
    """Whether the facts of a project of `files` files are kept on disk: not when all of
    them would stay decoded anyway (writing them would only cost time, e.g. in an
    editor's check of one file against its project's cached facts), nor where there is
    no `os.pread` (POSIX only)."""
    return files > DECODED and hasattr(os, "pread") and hasattr(os, "pwrite")


def _heavy(value: object) -> bool:
    return type(value) is tuple and bool(value)


def _dumps(value: object) -> bytes:
    return marshal.dumps(plain(value), 4)


_READ_AT: Final = tuple(READERS.get(name) for name in _TUPLES)


_NARROW: Final = f"{len(_TUPLES)}H"
_WIDE: Final = f"{len(_TUPLES)}I"


def _packed(blobs: list[bytes]) -> bytes:
    """The size of each field's pickle (0: not on disk), two bytes each while they fit:
    held for every file of the project."""
    sizes = [len(blob) for blob in blobs]
    return struct.pack(_NARROW if max(sizes) < 0x10000 else _WIDE, *sizes)


def _sizes(packed: bytes) -> tuple[int, ...]:
    return struct.unpack(_NARROW if len(packed) == 2 * len(_TUPLES) else _WIDE, packed)


# Where a spilled file's fields are, as its `SpilledFacts` holds it: one bytes object
# (an int and the sizes of every field, zeros too, were some 0.1 KiB a file, held for
# every file of the project and inherited by every rules worker): where the file's
# pickles start, which fields are on disk (a bit each), and where each of those ends,
# counted from the start, so that a field's place is read without adding up the others.
_HEAD: Final = struct.Struct("<QQB")
_NARROW_END: Final = struct.Struct("<H")
_WIDE_END: Final = struct.Struct("<I")


def _where(at: int, packed: bytes) -> bytes:
    """`at` and the sizes `_packed` packed, as `_span` reads them."""
    ends: list[int] = []
    mask = 0
    total = 0
    for field, size in enumerate(_sizes(packed)):
        if size:
            total += size
            ends.append(total)
            mask |= 1 << field
    wide = total >= 0x10000
    return _HEAD.pack(at, mask, wide) + struct.pack(f"<{len(ends)}{'IH'[not wide]}", *ends)


def _span(where: bytes, field: int) -> tuple[int, int]:
    """(offset, size) of the field numbered `field` (of `_TUPLES`); size 0 when it is
    not on disk."""
    start, mask, wide = _HEAD.unpack_from(where)
    if not mask >> field & 1:
        return start, 0
    below = (mask & ((1 << field) - 1)).bit_count()
    one = _WIDE_END if wide else _NARROW_END
    end: int = one.unpack_from(where, _HEAD.size + below * one.size)[0]
    if not below:
        return start, end
    begin: int = one.unpack_from(where, _HEAD.size + (below - 1) * one.size)[0]
    return start + begin, end - begin


def _on_disk(where: bytes) -> list[bool]:
    """Whether each field of `_TUPLES` is on disk."""
    mask = _HEAD.unpack_from(where)[1]
    return [bool(mask >> field & 1) for field in range(len(_TUPLES))]


@dataclass(frozen=True, slots=True)
class Packed:
    """A file's facts as a worker process sends them when they are to be spilled: the
    light fields as values, the others already pickled, so that the process keeping
    them writes bytes and never builds the objects it would drop at once (their garbage,
    scattered among what it keeps, was most of its memory after the facts pass)."""

    light: tuple[Any, ...]
    """The value of each field, the empty tuple for those pickled."""
    blob: bytes
    sizes: bytes


def packed(facts: FileFacts) -> FileFacts | Packed:
    """`facts` to send to the process that keeps them (`FactsSpill.keep`): `facts`
    itself when no field is worth leaving on disk."""
    if type(facts) is not FileFacts or not any(_heavy(getattr(facts, n)) for n in _TUPLES):
        return facts
    blobs: list[bytes] = []
    light: list[Any] = []
    for name in _FIELDS:
        value = getattr(facts, name)
        if name in _AT:
            heavy = _heavy(value)
            blobs.append(_dumps(value) if heavy else b"")
            value = () if heavy else value
        light.append(value)
    return Packed(tuple(light), b"".join(blobs), _packed(blobs))


class FactsSpill:
    """The temporary file of one index's facts, with the recently read ones."""

    def __init__(self, decoded: int | None = None) -> None:
        # Open as long as the facts that read it live (closed when they are collected).
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="layercheck-facts-")  # noqa: SIM115
        self._fd = self._file.fileno()
        self._end = 0
        # By weak reference: the facts refer to this spill, and a cycle would keep
        # both (and the file open) until the collector runs, which a run holds off.
        self._recent: OrderedDict[bytes, weakref.ref[SpilledFacts]] = OrderedDict()
        self._capacity = decoded if decoded is not None else DECODED

    def keep(self, facts: FileFacts | Packed, path: str | None = None) -> FileFacts:
        """`facts` as held by the index: a `SpilledFacts` when some field is worth
        leaving on disk, else `facts` itself. Facts packed by a worker are read back
        from the file when asked for; facts at hand stay set until the file is among the
        oldest read (a project of fewer files than `DECODED` never reads them back).
        `path`: the caller's string of the file's path, held instead of the one that
        came with packed facts when they are equal (one string a file, not two)."""
        if isinstance(facts, Packed):
            given = facts.light[_PATH]
            # Not interned: a path is no name that other files repeat.
            own = path if path is not None and path == given else given
            light = (*interned(facts.light[:_PATH]), own, *interned(facts.light[_PATH + 1 :]))
            return self._write(facts, light)
        found = packed(facts)
        if not isinstance(found, Packed):
            return found
        item = self._write(found, found.light)
        for name in _TUPLES:
            value = getattr(facts, name)
            if _heavy(value):
                object.__setattr__(item, name, value)
        self.loaded(item)
        return item

    def _write(self, found: Packed, light: tuple[Any, ...]) -> SpilledFacts:
        blob = found.blob
        at = self._end
        written = os.pwrite(self._fd, blob, at)
        while written < len(blob):  # a short write goes on where it stopped
            written += os.pwrite(self._fd, blob[written:], at + written)
        self._end += len(blob)
        return SpilledFacts(self, at, found.sizes, light)

    def read(self, field: int, at: int, size: int) -> Any:
        """The value of the field numbered `field` (of `_TUPLES`) written at `at`."""
        blob = os.pread(self._fd, size, at)
        while len(blob) < size:
            blob += os.pread(self._fd, size - len(blob), at + len(blob))
        value = marshal.loads(blob)
        build = _READ_AT[field]
        return value if build is None else build(value)

    def loaded(self, item: SpilledFacts) -> None:
        """`item` has a field set: the file read longest ago is emptied once too many
        files are."""
        recent = self._recent
        key = item._where  # its start makes it unique, and a bytes object keeps its hash
        if key in recent:
            recent.move_to_end(key)
            return
        recent[key] = weakref.ref(item)
        if len(recent) > self._capacity:
            oldest = recent.popitem(last=False)[1]()
            if oldest is not None:
                oldest.unload()

    def settle(self) -> None:
        """Empty every file's fields read back so far and keep at most
        `DECODED_CHECKING` files' from now on: called before the rules pass forks, so
        that no worker inherits the files the index read last (about 6 KiB of objects a
        file), which none of them asks about more than another file, and each keeps
        fewer of its own."""
        self._unload_all()
        self._capacity = DECODED_CHECKING

    def _unload_all(self) -> None:
        for ref in self._recent.values():
            item = ref()
            if item is not None:
                item.unload()
        self._recent.clear()

    def close(self) -> None:
        self._unload_all()
        self._file.close()


class SpilledFacts(FileFacts):
    """A file's facts whose non-empty tuples are on disk: a field that is not set (a
    slot left empty) is read from its `FactsSpill`, so it reads as a `FileFacts`."""

    __slots__ = ("__weakref__", "_spill", "_where")
    _spill: FactsSpill
    _where: bytes
    """Where its fields are in the spill's file (`_span`)."""

    def __init__(self, spill: FactsSpill, at: int, sizes: bytes, light: tuple[Any, ...]) -> None:
        # The dataclass's __init__ would set every field; only the light ones are set.
        on_disk = _sizes(sizes)
        for name, value in zip(_FIELDS, light, strict=True):
            at_field = _AT.get(name)
            if at_field is None or not on_disk[at_field]:
                object.__setattr__(self, name, value)
        object.__setattr__(self, "_spill", spill)
        object.__setattr__(self, "_where", _where(at, sizes))

    def __getattr__(self, name: str) -> Any:
        # Only reached for a slot left empty: a field kept on disk, read alone; the
        # next reads are plain attribute reads.
        at = _AT.get(name)
        if at is None:
            raise AttributeError(name)
        value = self._spill.read(at, *_span(self._where, at))
        object.__setattr__(self, name, value)
        self._spill.loaded(self)
        return value

    def passing(self, name: str) -> Any:
        # Read from the slot itself: an empty slot raises here, not through __getattr__.
        slot = _SLOTS.get(name)
        if slot is None:
            return getattr(self, name)
        with contextlib.suppress(AttributeError):
            return slot.__get__(self, SpilledFacts)
        at = _AT[name]
        return self._spill.read(at, *_span(self._where, at))

    def unload(self) -> None:
        """Empty the fields kept on disk again."""
        for name, on_disk in zip(_TUPLES, _on_disk(self._where), strict=True):
            if on_disk:
                # A field never read back is an empty slot already (no context manager
                # a field: this runs for every file that leaves the recent ones).
                try:
                    object.__delattr__(self, name)
                except AttributeError:
                    continue

    def loaded(self) -> FileFacts:
        """The facts as one plain object."""
        return FileFacts(*(getattr(self, name) for name in _FIELDS))

    # The dataclass compares only objects of one class: these facts equal the plain
    # facts they stand for.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileFacts):
            return NotImplemented
        other = other.loaded() if isinstance(other, SpilledFacts) else other
        return self.loaded() == other

    def __hash__(self) -> int:
        return hash(self.loaded())

    def __reduce__(self) -> tuple[Any, ...]:
        return self.loaded().__reduce__()


_SLOTS: Final = {name: FileFacts.__dict__[name] for name in _TUPLES}
