"""Each file's facts kept on disk for the length of a run instead of in memory.

The index needs few of a file's facts at once, but as objects they cost about 7 KiB a
file, which a 100,000-file project cannot hold. Once a file's facts are gathered, they
are pickled into an anonymous temporary file (unlinked as soon as it is made, so nothing
is left behind, whatever happens to the process) and the index holds a `SpilledFacts`
instead: the fields that are scalars or empty are set on it, the others are read back
from the file when one is asked for, and stay set while the file is among the last few
thousand read. Pickle is safe here: the file is private to this process and its forked
workers, and never read again after the run."""

from __future__ import annotations

import copyreg
import io
import os
import pickle
import tempfile
import weakref
from collections import OrderedDict
from dataclasses import fields
from typing import IO, Any, Final

from layercheck.facts import (
    AttributeFact,
    ClassFact,
    FileFacts,
    FunctionFact,
    ImportFact,
    RevisionFact,
)

DECODED: Final = 2048
"""Files whose facts stay decoded: every file of a project of a few thousand, so that
such a project decodes each file once; at most about 14 MiB of objects."""

_FIELDS: Final = tuple(item.name for item in fields(FileFacts))
_KINDS: Final = (AttributeFact, ClassFact, FunctionFact, ImportFact, RevisionFact, FileFacts)
_NAMES: Final = {kind: tuple(item.name for item in fields(kind)) for kind in _KINDS}


def spilling(files: int) -> bool:
    """Whether the facts of a project of `files` files are kept on disk: not when all of
    them would stay decoded anyway (writing them would only cost time, e.g. in an
    editor's check of one file against its project's cached facts), nor where there is
    no `os.pread` (POSIX only)."""
    return files > DECODED and hasattr(os, "pread") and hasattr(os, "pwrite")


def _heavy(value: object) -> bool:
    return type(value) is tuple and bool(value)


class _Pickler(pickle.Pickler):
    # Each fact as its class and values: unpickled by its own constructor, without the
    # interning of `facts._Compact` (nothing read back here is kept for long).
    def reducer_override(self, obj: Any) -> Any:
        names = _NAMES.get(type(obj))
        if names is None:
            return NotImplemented
        return type(obj), tuple(getattr(obj, name) for name in names)


def _dumps(facts: FileFacts) -> bytes:
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = copyreg.dispatch_table
    pickler.dump(facts)
    return buffer.getvalue()


class FactsSpill:
    """The temporary file of one index's facts, with the recently read ones."""

    def __init__(self, decoded: int | None = None) -> None:
        # Open as long as the facts that read it live (closed when they are collected).
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="layercheck-facts-")  # noqa: SIM115
        self._fd = self._file.fileno()
        self._end = 0
        # By weak reference: the facts refer to this spill, and a cycle would keep
        # both (and the file open) until the collector runs, which a run holds off.
        self._recent: OrderedDict[int, weakref.ref[SpilledFacts]] = OrderedDict()
        self._capacity = decoded if decoded is not None else DECODED

    def keep(self, facts: FileFacts) -> FileFacts:
        """`facts` as held by the index: a `SpilledFacts` when some field is worth
        leaving on disk, else `facts` itself."""
        if type(facts) is not FileFacts:
            return facts
        values = [getattr(facts, name) for name in _FIELDS]
        if not any(_heavy(value) for value in values):
            return facts
        blob = _dumps(facts)
        at = self._end
        written = os.pwrite(self._fd, blob, at)
        while written < len(blob):  # a short write goes on where it stopped
            written += os.pwrite(self._fd, blob[written:], at + written)
        self._end += len(blob)
        item = SpilledFacts(self, at, len(blob), values)
        # Set from the facts at hand: a project of fewer files than `DECODED` never
        # reads its facts back.
        item.fill(facts)
        return item

    def read(self, at: int, size: int) -> FileFacts:
        """The facts written at `at`."""
        blob = os.pread(self._fd, size, at)
        while len(blob) < size:
            blob += os.pread(self._fd, size - len(blob), at + len(blob))
        found = pickle.loads(blob)
        assert type(found) is FileFacts
        return found

    def loaded(self, item: SpilledFacts) -> None:
        """`item` has its fields set: the one set longest ago is emptied once too many
        are."""
        recent = self._recent
        recent[item._start] = weakref.ref(item)
        if len(recent) > self._capacity:
            oldest = recent.popitem(last=False)[1]()
            if oldest is not None:
                oldest.unload()

    def close(self) -> None:
        for ref in self._recent.values():
            item = ref()
            if item is not None:
                item.unload()
        self._recent.clear()
        self._file.close()


class SpilledFacts(FileFacts):
    """A file's facts whose non-empty tuples are on disk: a field that is not set (a
    slot left empty) is read from its `FactsSpill`, so it reads as a `FileFacts`."""

    __slots__ = ("__weakref__", "_size", "_spill", "_start")
    _spill: FactsSpill
    _start: int
    _size: int

    def __init__(self, spill: FactsSpill, at: int, size: int, values: list[Any]) -> None:
        # The dataclass's __init__ would set every field; only the light ones are set.
        for name, value in zip(_FIELDS, values, strict=True):
            if not _heavy(value):
                object.__setattr__(self, name, value)
        object.__setattr__(self, "_spill", spill)
        object.__setattr__(self, "_start", at)
        object.__setattr__(self, "_size", size)

    def __getattr__(self, name: str) -> Any:
        # Only reached for a slot left empty: a field kept on disk. All of them are
        # set from the file at once; the next reads are plain attribute reads.
        if name not in _SPILLED:
            raise AttributeError(name)
        full = self._spill.read(self._start, self._size)
        self.fill(full)
        return getattr(full, name)

    def fill(self, full: FileFacts) -> None:
        """Set the fields kept on disk from `full`, the facts they were written from."""
        for name in _FIELDS:
            value = getattr(full, name)
            if _heavy(value):
                object.__setattr__(self, name, value)
        self._spill.loaded(self)

    def unload(self) -> None:
        """Empty the fields kept on disk again."""
        for name in _FIELDS:
            value = getattr(self, name)
            if _heavy(value):
                object.__delattr__(self, name)

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


_SPILLED: Final = frozenset(_FIELDS)
