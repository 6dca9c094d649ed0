"""Growing a module to its target size with optional blocks, so file lengths vary as they
do in a real project."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable

from layercheck_bench.source import Source

MIN_LINES, MAX_LINES = 40, 200


# An optional block, by name: a module gets each name at most once.
Unit = tuple[str, Callable[[Source], None]]


def grow(src: Source, units: Iterable[Unit], target: int, rng: random.Random) -> None:
    """Add optional blocks until the file reaches `target` lines, never past MAX_LINES."""
    pool = list(units)
    rng.shuffle(pool)
    seen: set[str] = set()
    for name, unit in pool:
        size = src.line_count()
        if size >= target:
            return
        if name in seen:
            continue
        seen.add(name)
        trial = Source(
            src.module,
            src.relative,
            src.docstring,
            src.future,
            list(src.body),
            {k: set(v) for k, v in src.froms.items()},
            set(src.plains),
            {k: set(v) for k, v in src.checking.items()},
        )
        unit(trial)
        if trial.line_count() > MAX_LINES and size >= MIN_LINES:
            continue
        src.body, src.froms, src.plains, src.checking = (
            trial.body,
            trial.froms,
            trial.plains,
            trial.checking,
        )


def target_lines(rng: random.Random) -> int:
    # Most modules are short, a few are long: a triangle leaning towards the short end.
    return int(rng.triangular(MIN_LINES, MAX_LINES, 70))
