"""Running and timing a command: each run in a fresh subprocess with the same working
folder and environment, best of N kept."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Timing:
    label: str
    command: list[str]
    runs: list[float] = field(default_factory=list)
    own: list[float] = field(default_factory=list)
    """Time the tool reports for itself (layercheck -v), without interpreter start."""
    output: str = ""

    @property
    def best(self) -> float:
        return min(self.runs)


@dataclass
class Runner:
    """Runs every command the same way: fresh interpreter, same cwd, same environment."""

    cwd: Path
    env: dict[str, str]

    def run(self, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, cwd=self.cwd, env=self.env, capture_output=True, text=True, check=False
        )

    def timed(
        self,
        label: str,
        command: list[str],
        repeat: int,
        before: Callable[[], None] | None = None,
    ) -> Timing:
        timing = Timing(label, command)
        print(f"timing {label} x{repeat} ...", file=sys.stderr, flush=True)
        for _ in range(repeat):
            if before is not None:
                before()
            started = time.perf_counter()
            done = self.run(command)
            elapsed = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(
                    f"{label}: `{' '.join(command)}` exited {done.returncode}\n"
                    f"{done.stderr[-4000:]}"
                )
            timing.runs.append(elapsed)
            timing.output = done.stdout
            own = re.search(r"checked \d+ files in ([0-9.]+)s", done.stderr)
            if own:
                timing.own.append(float(own.group(1)))
        return timing


def child_env(pycache: Path) -> dict[str, str]:
    """The environment for every measured command.

    With PYTHONDONTWRITEBYTECODE set (as in some CI images), an editable layercheck
    recompiles its sources on every start while flake8 loads the bytecode pip wrote at
    install: imports would not cost the same. A private PYTHONPYCACHEPREFIX gives every
    module the same bytecode cache, without writing into src/ or site-packages.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env
