"""Worker processes send their results back a batch at a time: every result arrives, in
the order of the files, and a worker that fails after some batches is still reported."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from layercheck import parallel
from layercheck.parallel import WorkerError, map_forked


@dataclass(frozen=True)
class _Item:
    name: str
    number: int


def _items(tmp_path: Path, count: int) -> list[_Item]:
    # Sizes differ so that the shards interleave the positions.
    items = []
    for number in range(count):
        path = tmp_path / f"f{number}.py"
        path.write_text("x" * (number % 7))
        items.append(_Item(str(path), number))
    return items


def _square(item: _Item) -> tuple[int, int]:
    return item.number, item.number * item.number


@pytest.mark.parametrize("batch", [1, 4, 64])
def test_every_result_comes_back_in_the_order_of_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(parallel, "BATCH", batch)
    items = _items(tmp_path, 37)
    assert map_forked(items, _square, 3) == [_square(item) for item in items]


def test_a_worker_that_dies_after_sending_some_batches_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "BATCH", 2)
    parent = os.getpid()

    def task(item: _Item) -> int:
        if item.number == 11 and os.getpid() != parent:
            os._exit(3)
        return item.number

    with pytest.raises(WorkerError, match="died"):
        map_forked(_items(tmp_path, 20), task, 2)
