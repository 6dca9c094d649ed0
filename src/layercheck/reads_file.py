"""The reads file of a findings cache (findings_cache.py): what each file's findings read
of the project index (index_reads.py), as (question, answer hash) pairs.

The file is a run of records, one a file's reads: the pairs as JSON, zlib-compressed
(one file's reads repeat the same names, a rule that asks about every class of the
project). The findings file names each file's record by where it is, [offset, length,
digest of its bytes]: a reader takes those bytes, checks them and parses that one record,
so that checking a file's reads never loads the others, and a record that does not match
its digest (a damaged file, another process's) holds nothing. Two files with the same
reads share one record.

A record is written as soon as the file's reads arrive, not kept: a cold run of a large
project holds no read in memory (at 10,000 files they were hundreds of MiB as objects).
A run appends its records to the file it found while the records no entry names any more
stay under a quarter of those it names; otherwise it writes a new file, beside the old
one, with its records and a copy of each record still named, then renamed over the old.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, Final, TypeGuard

from layercheck.index_reads import Reads

ReadsAt = tuple[int, int, str]
"""Where a file's record is: offset, length, digest of its bytes."""

UNKNOWN: Final[ReadsAt] = (-1, 0, "")
"""A record that could not be written: it holds for no index."""


def valid_at(value: object) -> TypeGuard[ReadsAt | list[Any]]:
    return (
        isinstance(value, list | tuple)
        and len(value) == 3
        and type(value[0]) is int
        and type(value[1]) is int
        and isinstance(value[2], str)
    )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def encode_reads(reads: Reads) -> bytes:
    return zlib.compress(json.dumps(reads, separators=(",", ":")).encode(), 1)


class ReadsFile:
    """The reads file at `path`, whose records the findings file names in `named`."""

    def __init__(self, path: Path, named: Mapping[str, Any]) -> None:
        self.path = path
        self._named = named
        self._reader: IO[bytes] | None = None
        self._writer: int | None = None
        """The descriptor records are written to, once the first is."""
        self._fresh_path: Path | None = None
        """The new file being written, when the old one is not appended to."""
        self._written: dict[str, ReadsAt] = {}
        """The records written by this run, by digest."""

    # -- reading ---------------------------------------------------------------------------
    def _bytes(self, at: object, reader: IO[bytes] | None = None) -> bytes | None:
        """The record at `at` when its bytes match their digest."""
        if not valid_at(at):
            return None
        offset, length, digest = int(at[0]), int(at[1]), str(at[2])
        if offset < 0 or length <= 0:
            return None
        try:
            if reader is None:
                if self._reader is None:
                    self._reader = open(self.path, "rb")  # noqa: SIM115 (kept for the run)
                reader = self._reader
            reader.seek(offset)
            data = reader.read(length)
        except OSError:
            return None
        return data if len(data) == length and _digest(data) == digest else None

    def hold(self, at: object, holds: Callable[[str, str], bool]) -> bool:
        """Every read of the record at `at` still gets its answer (False when the record
        is unknown)."""
        data = self._bytes(at)
        if data is None:
            return False
        try:
            pairs = json.loads(zlib.decompress(data))
            for question, answer in pairs:
                if not holds(question, answer):
                    return False
        except (ValueError, TypeError, RecursionError, zlib.error):
            return False
        return True

    # -- writing ---------------------------------------------------------------------------
    def add(self, reads: Reads) -> ReadsAt:
        """The file's reads written now; where they are (UNKNOWN when they cannot be)."""
        data = encode_reads(reads)
        digest = _digest(data)
        known = self._written.get(digest)
        if known is not None:
            return known
        try:
            descriptor = self._open()
            os.write(descriptor, data)
            # Appending: another process may have appended too, so the end is asked.
            end = os.lseek(descriptor, 0, os.SEEK_CUR)
        except OSError:
            return UNKNOWN
        at = (end - len(data), len(data), digest)
        self._written[digest] = at
        return at

    def _open(self) -> int:
        if self._writer is not None:
            return self._writer
        named = {tuple(at) for at in self._named.values() if valid_at(at)}
        live = sum(at[1] for at in named)
        try:
            size = os.stat(self.path).st_size
        except OSError:
            size = -1
        flags = os.O_WRONLY | getattr(os, "O_BINARY", 0)
        if named and size >= live and size - live <= live // 4:
            self._writer = os.open(self.path, flags | os.O_APPEND)
        else:
            fresh = self.path.with_name(
                f".{self.path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
            )
            self._writer = os.open(fresh, flags | os.O_CREAT | os.O_EXCL, 0o666)
            self._fresh_path = fresh
        return self._writer

    def finish(self, named: Mapping[str, ReadsAt]) -> dict[str, ReadsAt]:
        """The records of `named` (the entries kept), in the file from now on: a new file
        takes a copy of each record it does not hold yet and replaces the old one
        (OSError when it cannot be written)."""
        kept = dict(named)
        try:
            if self._writer is not None and self._fresh_path is not None:
                ours = set(self._written.values())
                with open(self.path, "rb") if self.path.exists() else _nothing() as old:
                    for name, at in named.items():
                        if tuple(at) in ours:
                            continue
                        data = self._bytes(at, old) if old is not None else None
                        if data is None:
                            kept[name] = UNKNOWN
                            continue
                        digest = at[2]
                        found = self._written.get(digest)
                        if found is None:
                            os.write(self._writer, data)
                            end = os.lseek(self._writer, 0, os.SEEK_CUR)
                            found = self._written[digest] = (end - len(data), len(data), digest)
                        kept[name] = found
                self._close()
                os.replace(self._fresh_path, self.path)
                self._fresh_path = None
        finally:
            self._close()
            if self._fresh_path is not None:
                with contextlib.suppress(OSError):
                    os.unlink(self._fresh_path)
                self._fresh_path = None
            self._written = {}
        self._named = kept
        return kept

    def _close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._writer is not None:
            os.close(self._writer)
            self._writer = None


@contextlib.contextmanager
def _nothing() -> Any:
    yield None
