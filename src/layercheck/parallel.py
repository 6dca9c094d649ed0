"""Forked worker processes that map one task over a list of files, a share each.

A run forks twice: once for the facts of the files (each worker parses a file, extracts
its facts and drops the tree), once for the rules (forked after the index is built, so
every worker inherits it instead of receiving it). Tasks, files and the index cross
into a worker by fork, never by pickle; only results come back. A worker holds one tree
at a time, so memory does not grow with its share."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

if TYPE_CHECKING:
    # `multiprocessing` is imported when workers are started: a run that checks a few
    # files (an editor, pre-commit) starts none, and its imports (sockets, selectors)
    # cost such a run more than its cache lookups.
    from multiprocessing.connection import Connection

from layercheck.layers import Layer
from layercheck.model import Finding

# Below this many files, starting processes costs more than it saves.
MIN_FILES_PER_WORKER = 150
BATCH = 64
"""Results a worker sends in one message."""


@dataclass(slots=True)
class FileOutcome:
    name: str
    """The file's path, as text: one outcome a file is held to the end of a run, and a
    `Path` is about 0.4 KiB more."""
    layer: Layer | None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    text: str | None = None
    """The decoded source, kept only when there are findings to show with code."""
    layer_note: str = ""
    """Why the layer is not the one the path's nearest word names (`--show-files`)."""


class _File(Protocol):
    @property
    def name(self) -> str: ...


FileT = TypeVar("FileT", bound=_File)
ResultT = TypeVar("ResultT")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def worker_count(files: int, requested: int | None) -> int:
    """`requested` (`--jobs`) as given, never more than the files; by default the cores,
    as long as each worker gets enough files to pay for its start."""
    if requested is not None:
        return max(1, min(requested, files))
    if files < 2 * MIN_FILES_PER_WORKER or sys.platform != "linux":
        return 1
    return max(1, min(cores(), files // MIN_FILES_PER_WORKER))


def _shards(files: Sequence[FileT], count: int) -> list[list[int]]:
    """Positions of `files` for each worker, greedy by size, so that each gets about the
    same number of bytes."""
    sized = []
    for at, file in enumerate(files):
        try:
            size = os.stat(file.name).st_size
        except OSError:
            size = 0
        sized.append((size, file.name, at))
    sized.sort(key=lambda item: (-item[0], item[1]))
    shards: list[list[int]] = [[] for _ in range(count)]
    loads = [0] * count
    for size, _, at in sized:
        slot = loads.index(min(loads))
        shards[slot].append(at)
        loads[slot] += size
    return shards


def _serve(conn: Connection, items: list[Any], task: Callable[[Any], Any]) -> None:
    # What the parent built before the fork lives as long as the worker: the collector
    # need not look at it (nor touch its pages, which stay shared).
    gc.freeze()
    # Results go back a batch at a time, not as one message: one message is the whole
    # share pickled at once, held in both processes beside the results themselves.
    batch: list[Any] = []
    for item in items:
        batch.append(task(item))
        if len(batch) == BATCH:
            conn.send(batch)
            batch = []
    if batch:
        conn.send(batch)
    conn.close()


class WorkerError(Exception):
    """A worker process failed: it raised (the message says what), or it died."""


@dataclass(frozen=True)
class _Failed:
    reason: str


def _child(conn: Connection, items: list[Any], task: Callable[[Any], Any]) -> None:
    """A worker's body: an exception goes back to the parent as one line, never as a
    traceback on stderr."""
    try:
        _serve(conn, items, task)
    except Exception as exc:
        with contextlib.suppress(OSError, ValueError):
            conn.send(_Failed(repr(exc).replace("\n", " ")))
        os._exit(1)


def _receive(conn: Connection) -> Any:
    """What a worker sent; a `WorkerError` when it failed or died instead."""
    try:
        message = conn.recv()
    except (EOFError, OSError) as exc:
        raise WorkerError(f"worker process died ({exc!r})") from None
    if isinstance(message, _Failed):
        raise WorkerError(message.reason)
    return message


def _as_sent(file: Any, result: Any) -> Any:
    return result


def map_forked(
    files: Sequence[FileT],
    task: Callable[[FileT], ResultT],
    workers: int,
    received: Callable[[FileT, ResultT], Any] = _as_sent,
) -> list[Any]:
    """`task` of each file (in the order of `files`), computed by `workers` forked
    processes, each result passed through `received(file, result)` in this process as
    it arrives (so that what a result holds need not be held for all files at once). A
    worker that fails gives a `WorkerError`: the caller decides how to go on."""
    if not files:
        return []
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork")
    shards = [shard for shard in _shards(files, workers) if shard]
    pipes: list[Connection] = []
    processes = []
    try:
        for shard in shards:
            parent, child = context.Pipe()
            process = context.Process(
                target=_child, args=(child, [files[at] for at in shard], task), daemon=True
            )
            process.start()
            child.close()
            pipes.append(parent)
            processes.append(process)
        results: list[Any] = [None] * len(files)
        # Whichever worker has a batch ready is read: one waiting for the parent to read
        # its pipe stops working.
        pending = {conn: shard for shard, conn in zip(shards, pipes, strict=True)}
        done = dict.fromkeys(pipes, 0)
        while pending:
            for ready in wait(list(pending)):
                conn = cast("Connection", ready)
                shard = pending[conn]
                start = done[conn]
                batch = _receive(conn)
                if start + len(batch) > len(shard):
                    raise WorkerError("worker process sent more results than files")
                for offset, result in enumerate(batch):
                    at = shard[start + offset]
                    results[at] = received(files[at], result)
                done[conn] = start + len(batch)
                if done[conn] == len(shard):
                    del pending[conn]
    finally:
        for conn in pipes:
            conn.close()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    return results
