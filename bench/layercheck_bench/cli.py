"""layercheck's own benchmark: generate a layered FastAPI project, then time a bare parse of
it, layercheck and flake8 on it, each in fresh subprocesses.

    python bench/run.py [--files 2000] [--seed 1] [--out bench/_generated] [--repeat 3]
                        [--flake8-repeat 2] [--no-flake8-default] [--keep]
    python bench/run.py --rows ...       (the speed issue's table: layercheck_bench.rows)
    python bench/run.py --memory SIZES   (peak memory by size: layercheck_bench.memory;
                                           --memory-cache adds cold runs with the cache)

Only the standard library is used here; layercheck and flake8 run as subprocesses of the
same interpreter, so every measured command pays interpreter start and imports alike.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from layercheck_bench.generator import MARKER, generate
from layercheck_bench.memory import parse_jobs, parse_sizes, run_memory, table
from layercheck_bench.report import report
from layercheck_bench.rows import run_rows
from layercheck_bench.scenarios import run_scenarios
from layercheck_bench.timing import child_env

# bench/_generated, next to this package: git ignores it and the sdist leaves it out.
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "_generated"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=2000, help="Python files to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the tree goes")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command; best is kept")
    parser.add_argument(
        "--flake8-repeat",
        type=int,
        default=2,
        help="runs of each flake8 command, ~10x slower than the rest (default 2; 0 skips)",
    )
    parser.add_argument(
        "--no-flake8-default", action="store_true", help="skip flake8 with its default checks"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated tree")
    parser.add_argument(
        "--rows",
        action="store_true",
        help="the speed issue's table instead: every row, interleaved, on each --tree and "
        "the generated tree, with ratios and peak memory (--repeat rounds)",
    )
    parser.add_argument(
        "--tree", type=Path, action="append", default=[], help="a real tree for --rows"
    )
    parser.add_argument(
        "--with-fixes",
        action="store_true",
        help="for --rows: also time a cold `--diff --unsafe-fixes` run on each tree",
    )
    parser.add_argument(
        "--plain-flake8",
        default=sys.executable,
        help="for --rows: an interpreter with flake8 but without layercheck (the plain "
        "flake8 rows; by default this one, plugin included)",
    )
    parser.add_argument(
        "--memory",
        metavar="SIZES",
        help="peak memory against project size instead: a cold run on a generated tree of "
        "each size (comma-separated file counts), with the growth per 1,000 files",
    )
    parser.add_argument(
        "--memory-jobs",
        default="default",
        metavar="JOBS",
        help="for --memory: comma-separated 'default' or worker counts (default: default)",
    )
    parser.add_argument(
        "--memory-cache",
        action="store_true",
        help="for --memory: also a cold run with the cache (written to a new folder) for "
        "each size and choice of jobs",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.memory is not None:
        try:
            sizes, jobs = parse_sizes(args.memory), parse_jobs(args.memory_jobs)
        except ValueError as error:
            parser.error(str(error))
        with tempfile.TemporaryDirectory(prefix="layercheck-bench-") as scratch:
            env = child_env(Path(scratch) / "pycache")
            peaks = run_memory(
                sizes, jobs, args.out.resolve(), args.seed, env, cached=args.memory_cache
            )
            print(table(peaks))
        return 0

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    out: Path = args.out.resolve()
    gen = generate(out, args.files, args.seed)
    print(f"generated {gen.files} files in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    try:
        if args.rows:
            trees = [(tree.resolve().name, tree.resolve()) for tree in args.tree]
            trees.append((f"generated {gen.files}", out))
            with tempfile.TemporaryDirectory(prefix="layercheck-bench-") as scratch:
                env = child_env(Path(scratch) / "pycache")
                print(run_rows(trees, args.repeat, env, args.plain_flake8, args.with_fixes))
            return 0
        results = run_scenarios(
            out,
            files=gen.files,
            repeat=args.repeat,
            flake8_repeat=args.flake8_repeat,
            flake8_default=not args.no_flake8_default,
        )
        print(report(gen, results, args.seed))
    finally:
        if not args.keep and (out / MARKER).is_file():
            shutil.rmtree(out)
    load_after = os.getloadavg()[0]
    print(f"\nload average (1 min) before {load_before:.2f}, after {load_after:.2f}")
    print(f"whole script: {time.perf_counter() - started:.1f}s")
    return 0
