"""Peak memory against project size: a generated tree of each size, one cold run
(`--no-cache`) of layercheck on it for each choice of jobs, and the peak RSS of the
largest process (the parent or any worker, from `os.wait4`), with the growth per 1,000
files between one size and the next. With `--memory-cache`, each choice of jobs is also
run cold with the cache (the default run), writing its cache files to a new folder
outside the tree (`--cache-dir`), deleted after the run.

    python bench/run.py --memory 2000,10000,30000 [--memory-jobs default,1] [--seed 1]
        [--memory-cache]

A tree is generated, measured and deleted before the next one is written, so the
largest size decides the disk it needs (about 4 KiB a file).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from layercheck_bench.generator import MARKER, generate
from layercheck_bench.rows import run_once


@dataclass(frozen=True)
class Peak:
    files: int
    jobs: str
    """"default" (no `--jobs`: one worker a core) or a worker count."""
    wall: float
    cpu: float
    peak_mib: float
    cached: bool = False
    """A cold run with the cache (its files written), not `--no-cache`."""


def parse_sizes(text: str) -> list[int]:
    """`2000,10000` -> [2000, 10000]: sorted, each at least 1."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise ValueError(f"sizes must be positive file counts: {text!r}")
    sizes = sorted({int(part) for part in parts})
    if not sizes or sizes[0] < 1:
        raise ValueError(f"sizes must be positive file counts: {text!r}")
    return sizes


def parse_jobs(text: str) -> list[str]:
    """`default,1` -> ["default", "1"]: "default" or a positive worker count each."""
    jobs = [part.strip() for part in text.split(",") if part.strip()]
    for choice in jobs:
        if choice != "default" and not (choice.isdigit() and int(choice) > 0):
            raise ValueError(f"jobs must be 'default' or a positive count: {choice!r}")
    if not jobs:
        raise ValueError("no jobs given")
    return jobs


def command(tree: Path, jobs: str, cache_dir: Path | None = None) -> list[str]:
    """`--no-cache`, or with the cache written to `cache_dir` (an empty folder: cold)."""
    where = ["--no-cache"] if cache_dir is None else ["--cache-dir", str(cache_dir)]
    argv = [sys.executable, "-m", "layercheck", *where, "--exit-zero", "--quiet"]
    if jobs != "default":
        argv.append(f"-j{jobs}")
    return [*argv, str(tree)]


def run_memory(
    sizes: Sequence[int],
    jobs: Sequence[str],
    out: Path,
    seed: int,
    env: dict[str, str],
    cached: bool = False,
) -> list[Peak]:
    peaks: list[Peak] = []
    for files in sizes:
        tree = out / f"gen-{files}"
        generated = generate(tree, files, seed)
        try:
            for choice in jobs:
                for with_cache in (False, True) if cached else (False,):
                    what = "with the cache" if with_cache else "--no-cache"
                    print(
                        f"{generated.files} files, jobs {choice}, {what} ...",
                        file=sys.stderr,
                        flush=True,
                    )
                    with tempfile.TemporaryDirectory(prefix="layercheck-cache-") as scratch:
                        folder = Path(scratch) / "cache" if with_cache else None
                        wall, cpu, peak = run_once(command(tree, choice, folder), tree, env)
                    peaks.append(Peak(generated.files, choice, wall, cpu, peak, with_cache))
        finally:
            if (tree / MARKER).is_file():
                shutil.rmtree(tree)
    return peaks


def table(peaks: Sequence[Peak]) -> str:
    """One line a run; the growth is against the next smaller size run with the same jobs
    and cache. The cache column only when some run used the cache."""
    cache = any(peak.cached for peak in peaks)
    lines = [
        "| files | jobs |"
        + (" cache |" if cache else "")
        + " wall s | cpu s | peak MiB | MiB per 1,000 more files |",
        "|---:|---|" + ("---|" if cache else "") + "---:|---:|---:|---:|",
    ]
    last: dict[tuple[str, bool], Peak] = {}
    for peak in peaks:
        before = last.get((peak.jobs, peak.cached))
        growth = "-"
        if before is not None and peak.files > before.files:
            growth = f"{(peak.peak_mib - before.peak_mib) * 1000 / (peak.files - before.files):.1f}"
        used = (" cold, written |" if peak.cached else " --no-cache |") if cache else ""
        lines.append(
            f"| {peak.files:,} | {peak.jobs} |{used} {peak.wall:.1f} | {peak.cpu:.1f} | "
            f"{peak.peak_mib:.1f} | {growth} |"
        )
        last[(peak.jobs, peak.cached)] = peak
    return "\n".join(lines)
