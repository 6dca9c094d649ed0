"""What a run keeps of its findings for the report, held small.

The parent process gathers every finding of the project and the decoded text of each
file that has one (formats that show code need it; a file re-read later could have
changed, and stdin has no file). Held as they arrive, they grew with the project: about
600 bytes a finding and the whole text of each such file, beside the index. So the texts
go to an anonymous temporary file (unlinked as soon as it is made: nothing is left
behind, whatever happens to the run) and are read back when a report asks for one; and
the equal parts of findings (a rule's message, a fix's edit, a position) are held once.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import IO, TypeVar, cast, overload

from layercheck.model import Edit, Finding, Fix
from layercheck.source import split_lines

_T = TypeVar("_T")


class PathList(Sequence[Path]):
    """The paths of the files a run checked, held as their text: a `Path` and its parts
    are about 0.4 KiB a file, and the list lives to the report. A path is made when it
    is asked for."""

    __slots__ = ("_names",)

    def __init__(self, names: Sequence[str] = ()) -> None:
        self._names = names

    def __len__(self) -> int:
        return len(self._names)

    @overload
    def __getitem__(self, at: int) -> Path: ...
    @overload
    def __getitem__(self, at: slice) -> list[Path]: ...
    def __getitem__(self, at: int | slice) -> Path | list[Path]:
        if isinstance(at, slice):
            return [Path(name) for name in self._names[at]]
        return Path(self._names[at])

    def __iter__(self) -> Iterator[Path]:
        return map(Path, self._names)

    def __contains__(self, item: object) -> bool:
        return isinstance(item, Path) and str(item) in self._names

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PathList):
            return list(self._names) == list(other._names)
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, as a list

    def __repr__(self) -> str:
        return f"PathList({list(self._names)!r})"


class HeldTexts(MutableMapping[Path, str]):
    """Decoded texts by path, kept in a temporary file for the length of a run; the text
    read last stays in memory (a report reads its findings file by file)."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._end = 0
        self._where: dict[Path, tuple[int, int]] = {}
        self._memory: dict[Path, str] = {}
        """The texts where there is no `os.pread` (not POSIX)."""
        self._last: tuple[Path, str] | None = None

    def __setitem__(self, path: Path, text: str) -> None:
        self._last = (path, text)
        if not hasattr(os, "pwrite"):
            self._memory[path] = text
            return
        if self._file is None:
            # Opened at the first text: most runs of an editor or a hook have none.
            self._file = tempfile.TemporaryFile(prefix="layercheck-texts-")  # noqa: SIM115
        # Any code point, lone surrogates too (undecodable bytes), comes back as it was.
        blob = text.encode("utf-8", "surrogatepass")
        fd = self._file.fileno()
        at = self._end
        written = 0
        while written < len(blob):  # a short write goes on where it stopped
            written += os.pwrite(fd, blob[written:], at + written)
        self._end += len(blob)
        self._where[path] = (at, len(blob))

    def __getitem__(self, path: Path) -> str:
        last = self._last
        if last is not None and last[0] == path:
            return last[1]
        if path in self._memory:
            return self._memory[path]
        at, size = self._where[path]
        assert self._file is not None
        fd = self._file.fileno()
        blob = os.pread(fd, size, at)
        while len(blob) < size:
            blob += os.pread(fd, size - len(blob), at + len(blob))
        text = blob.decode("utf-8", "surrogatepass")
        self._last = (path, text)
        return text

    def __delitem__(self, path: Path) -> None:
        if path not in self._where and path not in self._memory:
            raise KeyError(path)
        self._where.pop(path, None)
        self._memory.pop(path, None)
        if self._last is not None and self._last[0] == path:
            self._last = None

    def __contains__(self, path: object) -> bool:
        return path in self._where or path in self._memory

    def __iter__(self) -> Iterator[Path]:
        yield from self._where
        yield from self._memory

    def __len__(self) -> int:
        return len(self._where) + len(self._memory)

    def __repr__(self) -> str:
        return f"HeldTexts({len(self)} texts)"


class SourceLines(Mapping[Path, tuple[str, ...]]):
    """The lines of each text, split when a report asks for a file's (the last kept):
    splitting every text up front held each file's lines as strings, several times
    its text, for formats that show no code."""

    def __init__(self, texts: Mapping[Path, str]) -> None:
        self._texts = texts
        self._last: tuple[Path, tuple[str, ...]] | None = None

    def __getitem__(self, path: Path) -> tuple[str, ...]:
        last = self._last
        if last is not None and last[0] == path:
            return last[1]
        lines = split_lines(self._texts[path])
        self._last = (path, lines)
        return lines

    def __contains__(self, path: object) -> bool:
        return path in self._texts

    def __iter__(self) -> Iterator[Path]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


class Pool:
    """Equal parts of findings held once: a rule's messages and fix edits repeat across
    files, and so do positions."""

    def __init__(self) -> None:
        self._values: dict[object, object] = {}

    def _one(self, value: _T) -> _T:
        return cast(_T, self._values.setdefault(value, value))

    def _edit(self, edit: Edit) -> Edit:
        one = self._one
        return one(Edit(one(edit.start), one(edit.end), one(edit.content)))

    def finding(self, found: Finding, path: Path | None = None) -> Finding:
        """`found`, or an equal finding made of parts held already; with `path`, held
        instead of an equal path of `found`'s."""
        one = self._one
        fix = found.fix
        if fix is not None:
            edits = tuple(map(self._edit, fix.edits))
            fix = one(Fix(fix.applicability, one(fix.message), edits))
        return Finding(
            one(found.code),
            one(found.message),
            path if path is not None and found.path == path else found.path,
            one(found.start),
            one(found.end),
            fix,
            found.noqa_row,
            tuple(map(one, found.chain)),
        )
