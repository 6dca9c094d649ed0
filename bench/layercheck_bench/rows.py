"""The rows of the speed issue's table, measured in one interleaved run: every round runs
each command once, in order, so a drift in the machine's speed hits all of them alike,
and each ratio is the median of the per-round ratios to its baseline. Wall clock, CPU
(the process and its children) and the peak RSS of the largest process come from
`os.wait4`.

    python bench/run.py --rows [--tree DIR ...] [--files 2000] [--repeat 3]
                        [--plain-flake8 PYTHON]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from layercheck_bench.scenarios import PARSE_FLOOR

_RACY_SECONDS = 2.5
"""Past layercheck's racy window (two seconds): what was written before is trusted."""


@dataclass
class Command:
    name: str
    argv: list[str]
    baselines: tuple[str, ...]
    """The names of the commands this one is quoted against: one run, several ratios."""
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds, peak RSS (MiB) of the largest process."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read() if proc.stderr is not None else b""
    if proc.stderr is not None:
        proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"`{' '.join(argv)}` exited {code}\n{stderr.decode()[-4000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _largest(tree: Path) -> Path:
    return max(tree.rglob("*.py"), key=lambda path: (path.stat().st_size, str(path)))


def commands_for(tree: Path, label: str, plain: str, fixes: bool) -> list[Command]:
    """The table's rows for one tree: cold (no cache) against the parse floor and plain
    flake8 (`plain`: an interpreter with flake8 and without layercheck), warm against the
    parse floor and ruff's warm run; its largest file warm, and through the flake8
    plugin, against plain flake8 on that file; the plugin on the tree against plain
    flake8. `fixes`: also a cold `--diff --unsafe-fixes` run against the cold run."""
    py = sys.executable
    lc = [py, "-m", "layercheck", "--exit-zero", "--quiet"]
    f8 = [py, "-m", "flake8", "--exit-zero"]
    bare = [plain, "-m", "flake8", "--exit-zero"]
    ruff = [py, "-m", "ruff", "check", "--exit-zero", "--quiet", "--no-fix"]
    one, where = str(_largest(tree)), str(tree)
    floor, plain_tree, plain_one = "parse floor", "plain flake8 -j2", "plain flake8, one file"
    cold = "cold --no-cache"
    rows: list[tuple[str, list[str], tuple[str, ...]]] = [
        (floor, [py, "-c", PARSE_FLOOR, where], ()),
        (plain_tree, [*bare, "-j2", where], ()),
        ("ruff warm", [*ruff, where], (floor,)),
        (cold, [*lc, "--no-cache", where], (floor, plain_tree)),
        ("cold -j1 --no-cache", [*lc, "-j1", "--no-cache", where], (floor,)),
        ("warm", [*lc, where], (floor, "ruff warm")),
        ("flake8 + plugin -j2", [*f8, "-j2", where], (plain_tree,)),
        (plain_one, [*bare, one], ()),
        ("one file, warm", [*lc, one], (plain_one,)),
        ("flake8 + plugin, one file", [*f8, one], (plain_one,)),
    ]
    if fixes:
        # What fixing costs when most files need none: every fix computed and
        # re-linted (libcst only where a fix leaves an import unused), nothing written.
        rows.append(
            (
                "cold --diff --unsafe-fixes",
                [*lc, "--diff", "--unsafe-fixes", "--no-cache", where],
                (cold,),
            )
        )
    return [Command(f"{label}: {name}", argv, bases) for name, argv, bases in rows]


def run_rows(
    trees: Sequence[tuple[str, Path]],
    rounds: int,
    env: dict[str, str],
    plain: str,
    fixes: bool = False,
) -> str:
    """Every row on every tree, `rounds` times round-robin; the table of medians."""
    py = sys.executable
    commands = [
        Command("interpreter", [py, "-c", "pass"], ()),
        Command("layercheck --version", [py, "-m", "layercheck", "--version"], ("interpreter",)),
    ]
    cwd = Path.cwd()
    for label, tree in trees:
        commands.extend(commands_for(tree, label, plain, fixes))
        # Untimed: the caches the warm rows read (layercheck's, ruff's). Twice, past the
        # caches' racy window: the first run makes the cache folder, a folder its walk
        # listed a moment before, so it keeps no tree cache and no warm record; with one
        # round, the warm row was that second run (perf: 2.98 s of cpu instead of 1.0).
        for _ in range(2):
            run_once([py, "-m", "layercheck", "--exit-zero", "--quiet", str(tree)], cwd, env)
            time.sleep(_RACY_SECONDS)
        run_once([py, "-m", "ruff", "check", "--exit-zero", "--quiet", str(tree)], cwd, env)
    for done in range(rounds):
        print(f"round {done + 1}/{rounds} ...", file=sys.stderr, flush=True)
        for command in commands:
            wall, cpu, peak = run_once(command.argv, cwd, env)
            command.wall.append(wall)
            command.cpu.append(cpu)
            command.peak_mib.append(peak)
    return _table(commands)


def _table(commands: Sequence[Command]) -> str:
    by_name = {command.name: command for command in commands}
    lines = [
        "| command | wall s (median) | cpu s | peak MiB | vs | wall ratio | cpu ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for command in commands:
        prefix = command.name.split(": ")[0] + ": " if ": " in command.name else ""
        measured = (
            f"| {command.name} | {statistics.median(command.wall):.2f} | "
            f"{statistics.median(command.cpu):.2f} | {max(command.peak_mib):.0f} |"
        )
        quoted = False
        for baseline in command.baselines:
            base = by_name.get(prefix + baseline) or by_name.get(baseline)
            if base is None:
                continue
            ratio = _median_ratio(command.wall, base.wall)
            cpu_ratio = _median_ratio(command.cpu, base.cpu)
            lines.append(f"{measured} {baseline} | {ratio} | {cpu_ratio} |")
            quoted = True
        if not quoted:
            lines.append(f"{measured} - | - | - |")
    return "\n".join(lines)


def _median_ratio(values: Sequence[float], bases: Sequence[float]) -> str:
    ratios = [value / base for value, base in zip(values, bases, strict=True) if base > 0]
    return f"{statistics.median(ratios):.2f}" if ratios else "-"
