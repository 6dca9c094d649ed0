"""Sharded worker processes: each parses its share of the project once, sends back only
facts, keeps its own trees, and walks them when the whole project's index arrives. Trees
never cross a process boundary, and no file is parsed twice."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol, TypeVar

from layercheck.cache import Stamp
from layercheck.facts import FileFacts
from layercheck.layers import Layer
from layercheck.model import Finding

# Below this many files, starting processes costs more than it saves.
MIN_FILES_PER_WORKER = 150


@dataclass
class FileOutcome:
    path: Path
    layer: Layer | None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    text: str | None = None
    """The decoded source, kept only when there are findings to show with code."""
    layer_note: str = ""
    """Why the layer is not the one the path's nearest word names (`--show-files`)."""


class _File(Protocol):
    @property
    def path(self) -> Path: ...


class _Loaded(Protocol):
    @property
    def facts(self) -> FileFacts: ...
    @property
    def stamp(self) -> Stamp | None: ...


FileT = TypeVar("FileT", bound=_File)
LoadedT = TypeVar("LoadedT", bound=_Loaded)
IndexT = TypeVar("IndexT")


def worker_count(files: int, requested: int | None) -> int:
    if requested is not None:
        return max(1, requested)
    if files < 2 * MIN_FILES_PER_WORKER or sys.platform != "linux":
        return 1
    return max(1, min(os.cpu_count() or 1, files // MIN_FILES_PER_WORKER))


def _shards(files: Sequence[FileT], count: int) -> list[list[FileT]]:
    """Greedy by size, so each worker gets about the same number of bytes."""
    sized = []
    for file in files:
        try:
            size = file.path.stat().st_size
        except OSError:
            size = 0
        sized.append((size, file))
    sized.sort(key=lambda item: (-item[0], str(item[1].path)))
    shards: list[list[FileT]] = [[] for _ in range(count)]
    loads = [0] * count
    for size, file in sized:
        slot = loads.index(min(loads))
        shards[slot].append(file)
        loads[slot] += size
    return shards


def _serve(
    conn: Connection,
    shard: list[FileT],
    targets: frozenset[Path],
    load: Callable[[FileT, bool], LoadedT],
    check: Callable[[LoadedT, IndexT], FileOutcome],
    build_index: Callable[[list[FileFacts]], IndexT],
) -> None:
    loaded = {file.path: load(file, file.path in targets) for file in shard}
    conn.send([(item.facts, item.stamp) for item in loaded.values()])
    index = build_index(conn.recv())
    conn.send([check(item, index) for path, item in loaded.items() if path in targets])
    conn.close()


class WorkerError(Exception):
    """A worker process failed: it raised (the message says what), or it died."""


def _child(
    conn: Connection,
    shard: list[FileT],
    targets: frozenset[Path],
    load: Callable[[FileT, bool], LoadedT],
    check: Callable[[LoadedT, IndexT], FileOutcome],
    build_index: Callable[[list[FileFacts]], IndexT],
) -> None:
    """A worker's body: an exception goes back to the parent as one line, never as a
    traceback on stderr."""
    try:
        _serve(conn, shard, targets, load, check, build_index)
    except Exception as exc:
        with contextlib.suppress(OSError, ValueError):
            conn.send(_Failed(repr(exc).replace("\n", " ")))
        os._exit(1)


@dataclass(frozen=True)
class _Failed:
    reason: str


def _receive(conn: Connection) -> Any:
    """What a worker sent; a `WorkerError` when it failed or died instead."""
    try:
        message = conn.recv()
    except (EOFError, OSError) as exc:
        raise WorkerError(f"worker process died ({exc!r})") from None
    if isinstance(message, _Failed):
        raise WorkerError(message.reason)
    return message


def run_sharded(
    files: Sequence[FileT],
    targets: frozenset[Path],
    workers: int,
    load: Callable[[FileT, bool], LoadedT],
    check: Callable[[LoadedT, IndexT], FileOutcome],
    build_index: Callable[[list[FileFacts]], IndexT],
    cached: Mapping[Path, FileFacts] | None = None,
) -> tuple[list[FileFacts], dict[Path, Stamp], list[FileOutcome]]:
    """Facts of every file (in the order of `files`), the stamps of the files loaded, and
    outcomes of the target files, computed by `workers` forked processes. A file is a
    record with its `path` (discovery's); `targets` and `cached` are keyed by path.
    Files in `cached` are not loaded: their facts join the index as they are. The
    records and callables are inherited through fork, never pickled. A worker that fails
    gives a `WorkerError`: the caller decides how to go on."""
    cached = cached or {}
    context = multiprocessing.get_context("fork")
    pipes: list[Connection] = []
    processes = []
    shards = _shards([file for file in files if file.path not in cached], workers)
    for shard in shards:
        parent, child = context.Pipe()
        process = context.Process(
            target=_child, args=(child, shard, targets, load, check, build_index), daemon=True
        )
        process.start()
        child.close()
        pipes.append(parent)
        processes.append(process)
    try:
        loaded: dict[Path, FileFacts] = {}
        stamps: dict[Path, Stamp] = {}
        for shard, conn in zip(shards, pipes, strict=True):
            for file, (facts, stamp) in zip(shard, _receive(conn), strict=True):
                loaded[file.path] = facts
                if stamp is not None:
                    stamps[file.path] = stamp
        every = [cached[file.path] if file.path in cached else loaded[file.path] for file in files]
        for conn in pipes:
            try:
                conn.send(every)
            except OSError as exc:
                raise WorkerError(f"worker process died ({exc!r})") from None
        outcomes: list[FileOutcome] = []
        for conn in pipes:
            outcomes.extend(_receive(conn))
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    return every, stamps, outcomes
