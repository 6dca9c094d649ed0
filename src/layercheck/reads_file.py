"""The reads file of a findings cache (findings_cache.py): what each file's findings read
of the project index (index_reads.py), as (question, answer hash) pairs.

It is made of parts, each a JSON document followed by a newline: a base, `[table,
files]` (the pairs, and each file's places among them, comma-separated), then zero or
more segments, `{file: [[question, answer], ...]}`, a later segment's file replacing
what came before it. A segment is stored zlib-compressed when that is shorter (its first
byte is then `x`, which no JSON document starts with): one file's reads repeat the same
names thousands of times (a rule that asks about every class of the project), and a
compressed segment lets many more edits be appended before the file is written anew.
The findings file lists the parts that go with it, each as [length, sha256]: a reader
takes those bytes, in that order, each checked, and nothing after them. A run that
checked a few files again (an editor saving one file of a large project) appends their
reads as one segment, without reading or rewriting the rest: the bytes after the parts
it knows (a run that stopped half-way, or another process's) are cut first. The file is
written anew, its pairs shared and no segment left, when there is no base to append to
or the segments would outgrow a quarter of the base.

Any part that does not match its length and checksum makes the whole file unknown: no
entry then holds for another index, and the next save writes a new base.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeGuard

from layercheck.envelope import write_atomic
from layercheck.index_reads import Reads

Parts = list[list[Any]]
"""[length, sha256] of the base and of each segment, in the order of the file."""


def valid_parts(parts: object) -> TypeGuard[Parts]:
    return isinstance(parts, list) and all(
        isinstance(part, list)
        and len(part) == 2
        and isinstance(part[0], int)
        and isinstance(part[1], str)
        for part in parts
    )


def _part(data: object) -> bytes:
    return (json.dumps(data, separators=(",", ":")) + "\n").encode()


def _packed(part: bytes) -> bytes:
    """A segment as stored: compressed when that is shorter."""
    packed = zlib.compress(part, 1)
    return packed if len(packed) < len(part) else part


def _unpacked(part: bytes) -> bytes:
    return zlib.decompress(part) if part[:1] == b"x" else part


def _stamp(part: bytes) -> list[Any]:
    return [len(part), hashlib.sha256(part).hexdigest()]


class ReadsFile:
    """The reads file at `path` whose parts are `parts`; loaded when first asked."""

    def __init__(self, path: Path, parts: Parts) -> None:
        self.path = path
        self.parts = parts
        self._table: list[list[str]] | None = None
        """None until loaded."""
        self._files: dict[str, str] = {}
        """Each file's places in the table, comma-separated (the base)."""
        self._pairs: dict[str, list[Any]] = {}
        """Each file's pairs from the segments, the last one winning."""
        self._fresh: dict[str, Reads] = {}
        """Recorded by this run, not written yet."""
        self._compacted = 0
        """The table's length when it last held only pairs some file names."""

    # -- reading ---------------------------------------------------------------------------
    def _load(self) -> list[list[str]]:
        if self._table is not None:
            return self._table
        table: list[list[str]] = []
        files: dict[str, str] = {}
        pairs: dict[str, list[Any]] = {}
        try:
            with open(self.path, "rb") as handle:
                raw = handle.read(sum(part[0] for part in self.parts))
            offset = 0
            for number, (length, digest) in enumerate(self.parts):
                part = raw[offset : offset + length]
                offset += length
                if len(part) != length or hashlib.sha256(part).hexdigest() != digest:
                    raise ValueError("another reads file")
                data = json.loads(part if number == 0 else _unpacked(part))
                if number == 0:
                    table, files = data
                    if not isinstance(table, list) or not isinstance(files, dict):
                        raise ValueError("malformed base")
                elif isinstance(data, dict):
                    pairs.update(data)
                else:
                    raise ValueError("malformed segment")
        except (OSError, ValueError, TypeError, RecursionError, zlib.error):
            table, files, pairs = [], {}, {}
            self.parts = []
        self._table, self._files, self._pairs = table, files, pairs
        self._compacted = len(table)
        return table

    def hold(self, name: str, holds: Callable[[str, str], bool]) -> bool:
        """Every read of the file still gets its answer (False when none are known)."""
        table = self._load()
        try:
            pairs: Any = self._fresh.get(name)
            if pairs is None:
                pairs = self._pairs.get(name)
            if pairs is None:
                places = self._files.get(name)
                if not isinstance(places, str):
                    return False
                pairs = (table[int(place)] for place in places.split(",") if places)
            for question, answer in pairs:
                if not holds(question, answer):
                    return False
        except (ValueError, TypeError, IndexError):
            return False
        return True

    # -- writing ---------------------------------------------------------------------------
    def record(self, name: str, reads: Reads) -> None:
        self._fresh[name] = reads

    @property
    def dirty(self) -> bool:
        return bool(self._fresh)

    def save(self, results: Mapping[str, object]) -> Parts:
        """Write what this run recorded, for the files `results` holds; the parts the
        findings file is to name (OSError when the file cannot be written)."""
        if not self._fresh:
            return self.parts
        fresh = {name: reads for name, reads in self._fresh.items() if name in results}
        if not fresh:
            self._fresh.clear()
            return self.parts
        segment = _packed(
            _part({name: [list(read) for read in reads] for name, reads in fresh.items()})
        )
        if self.parts:
            base = self.parts[0][0]
            known = sum(part[0] for part in self.parts)
            if known - base + len(segment) <= base // 4 and self._append(known, segment):
                self.parts = [*self.parts, _stamp(segment)]
                if self._table is not None:
                    self._pairs.update(fresh)
                self._fresh.clear()
                return self.parts
        return self._rewrite(results)

    def _append(self, known: int, segment: bytes) -> bool:
        """The segment written after the `known` bytes; False when the file is shorter
        (another file now: the caller writes a new one)."""
        try:
            with open(self.path, "r+b") as handle:
                if handle.seek(0, 2) < known:
                    return False
                handle.seek(known)
                handle.write(segment)
                handle.truncate()
        except OSError:
            return False
        return True

    def _rewrite(self, results: Mapping[str, object]) -> Parts:
        """A new base with every file's pairs, no segments. The table is rebuilt with
        only the pairs they name when a file is gone or it grew by a quarter since it
        was last rebuilt (a file checked again leaves its old pairs behind)."""
        table = self._load()
        files = self._files
        pending = {**self._pairs, **self._fresh}
        if pending:
            places = {(item[0], item[1]): n for n, item in enumerate(table) if len(item) == 2}
            for name, reads in pending.items():
                found: list[str] = []
                for question, answer in reads:
                    place = places.get((question, answer))
                    if place is None:
                        place = places[(question, answer)] = len(table)
                        table.append([question, answer])
                    found.append(str(place))
                files[name] = ",".join(found)
        gone = any(
            name not in results or not isinstance(places_of, str)
            for name, places_of in files.items()
        )
        if gone or len(table) > self._compacted + self._compacted // 4:
            table, files = self._compact(table, files, results)
        part = _part([table, files])
        write_atomic(self.path, part.decode())
        self._table, self._files, self._pairs = table, files, {}
        self._fresh.clear()
        self.parts = [_stamp(part)]
        return self.parts

    def _compact(
        self, table: list[list[str]], files: dict[str, str], results: Mapping[str, object]
    ) -> tuple[list[list[str]], dict[str, str]]:
        fresh: list[list[str]] = []
        moved: dict[str, str] = {}
        kept: dict[str, str] = {}
        for name, places in files.items():
            if name not in results or not isinstance(places, str):
                continue
            renamed: list[str] = []
            for place in places.split(",") if places else ():
                new = moved.get(place)
                if new is None:
                    new = moved[place] = str(len(fresh))
                    fresh.append(table[int(place)])
                renamed.append(new)
            kept[name] = ",".join(renamed)
        self._compacted = len(fresh)
        return fresh, kept
