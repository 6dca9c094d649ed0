"""A cache file of records, each named by where it is: [offset, length, digest of its
bytes]. A reader takes those bytes and checks them, so that reading one record never
loads the others, and a record that does not match its digest (a damaged file, another
process's) holds nothing. Equal records are written once.

Records are written as they come, not held. A run appends them to the file it found
while the records no entry names any more stay under a quarter of those named;
otherwise it writes a new file, beside the old one, with its records and a copy of each
record still named, then renamed over the old. The bytes at a place are never written
over: a reader that opened the file holds what it opened, whatever a later run does.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final, TypeGuard

At = tuple[int, int, str]
"""Where a record is: offset, length, digest of its bytes."""

UNKNOWN: Final[At] = (-1, 0, "")
"""A record that could not be written: it holds nothing."""


def valid_at(value: object) -> TypeGuard[At | list[Any]]:
    return (
        isinstance(value, list | tuple)
        and len(value) == 3
        and type(value[0]) is int
        and type(value[1]) is int
        and isinstance(value[2], str)
    )


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def read_at(reader: IO[bytes], offset: int, length: int) -> bytes:
    """`length` bytes at `offset` (fewer at the end of the file), without moving the
    file's position where there is `os.pread`: a forked worker shares it."""
    if not hasattr(os, "pread"):
        reader.seek(offset)
        return reader.read(length)
    descriptor = reader.fileno()
    data = os.pread(descriptor, length, offset)
    while 0 < len(data) < length:  # a short read goes on where it stopped
        more = os.pread(descriptor, length - len(data), offset + len(data))
        if not more:
            break
        data += more
    return data


def checked(reader: IO[bytes], at: object) -> bytes | None:
    """The record at `at` in `reader` when its bytes match their digest."""
    if not valid_at(at):
        return None
    offset, length, digest = int(at[0]), int(at[1]), str(at[2])
    if offset < 0 or length <= 0:
        return None
    try:
        data = read_at(reader, offset, length)
    except OSError:
        return None
    return data if len(data) == length and digest_of(data) == digest else None


class RecordsFile:
    """The records file at `path`, whose records the caller's entries name in `named`."""

    def __init__(self, path: Path, named: Mapping[str, Any]) -> None:
        self.path = path
        self._named = named
        self._reader: IO[bytes] | None = None
        self._writer: int | None = None
        """The descriptor records are written to, once the first is."""
        self._fresh_path: Path | None = None
        """The new file being written, when the old one is not appended to."""
        self._written: dict[str, At] = {}
        """The records written by this run, by digest."""
        self._abandon: weakref.finalize[Any, Any] | None = None
        """Closes the descriptor and removes a new file never finished (a run that does
        not save leaves nothing behind)."""

    # -- reading ---------------------------------------------------------------------------
    def record(self, at: object) -> bytes | None:
        """The record at `at` when its bytes match their digest."""
        try:
            if self._reader is None:
                self._reader = open(self.path, "rb")  # noqa: SIM115 (kept for the run)
        except OSError:
            return None
        return checked(self._reader, at)

    # -- writing ---------------------------------------------------------------------------
    def add_record(self, data: bytes) -> At:
        """`data` written now as a record; where it is (UNKNOWN when it cannot be)."""
        digest = digest_of(data)
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
        self._abandon = weakref.finalize(self, _discard, self._writer, self._fresh_path)
        return self._writer

    @property
    def renewed(self) -> bool:
        """This run writes a new file: `finish` places every record named anew."""
        return self._fresh_path is not None

    def finish(self, named: Mapping[str, At]) -> dict[str, At]:
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
                        data = checked(old, at) if old is not None else None
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
        if self._abandon is not None:
            self._abandon.detach()
            self._abandon = None
        if self._writer is not None:
            os.close(self._writer)
            self._writer = None


def _discard(descriptor: int, fresh: Path | None) -> None:
    with contextlib.suppress(OSError):
        os.close(descriptor)
    if fresh is not None:
        with contextlib.suppress(OSError):
            os.unlink(fresh)


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield None
