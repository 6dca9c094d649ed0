"""The measured scenarios, in the order they run: an empty interpreter, the parse floor,
layercheck cold and warm on the whole tree and on one file, and flake8 with the plugin
alone and with its default checks."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from layercheck_bench.generator import CACHE_DIR
from layercheck_bench.timing import Runner, Timing, child_env

# The least any linter of this tree must do: one process reading and parsing every file.
PARSE_FLOOR = """\
import ast, os, sys
count = 0
for folder, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        if name.endswith(".py"):
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                try:
                    ast.parse(handle.read(), path)
                except SyntaxError:  # a real tree may be newer than this Python
                    pass
            count += 1
print(count)
"""


@dataclass
class Results:
    """What the report prints: every row in the order it ran, and the rows its ratios and
    checks read by name (None where that scenario did not run)."""

    found: Counter[str]
    """layercheck's findings by code, from one `--output-format json` run."""
    rows: list[Timing]
    floor: Timing
    layercheck: Timing
    layercheck_warm: Timing | None
    one_file: Timing
    one_file_warm: Timing | None
    flake8_lc: Timing | None
    flake8_default: Timing | None


def run_scenarios(
    tree: Path, *, files: int, repeat: int, flake8_repeat: int, flake8_default: bool
) -> Results:
    """Time every scenario on the generated `tree` of `files` files (flake8_repeat 0 skips
    flake8)."""
    with tempfile.TemporaryDirectory(
        prefix="layercheck-bench-", ignore_cleanup_errors=True
    ) as folder:
        scratch = Path(folder)
        runner = Runner(tree, child_env(scratch / "pycache"))
        py, clear = sys.executable, _cache_clearer(tree)
        # The findings run comes first: it also warms the page cache and compiles
        # layercheck into the bytecode cache, so no timed run pays for that.
        clear()
        found = _findings(runner, tree)
        rows: list[Timing] = []
        rows.append(runner.timed("interpreter start (-c pass)", [py, "-c", "pass"], repeat))
        floor = runner.timed("parse floor (1 process)", [py, "-c", PARSE_FLOOR, str(tree)], repeat)
        rows.append(floor)
        if floor.output.strip() != str(files):
            raise SystemExit(f"parse floor saw {floor.output.strip()} files, not {files}")
        lc_cmd = [py, "-m", "layercheck", str(tree), "--exit-zero", "--quiet", "--verbose"]
        lc = runner.timed("layercheck", lc_cmd, repeat, before=clear)
        rows.append(lc)
        lc_warm = None
        if any(tree.rglob(CACHE_DIR)):
            # Only once layercheck writes a cache is there a warm path to measure.
            lc_warm = runner.timed("layercheck (warm cache)", lc_cmd, repeat)
            rows.append(lc_warm)
        # One file passed, as pre-commit and editors do: the whole project still feeds the
        # index; with a warm cache the other files are neither read nor parsed.
        one_cmd = [*lc_cmd[:3], str(one_service(tree)), *lc_cmd[4:]]
        one = runner.timed("layercheck, one file", one_cmd, repeat, before=clear)
        rows.append(one)
        one_warm = None
        if any(tree.rglob(CACHE_DIR)):
            one_warm = runner.timed("layercheck, one file (warm cache)", one_cmd, repeat)
            rows.append(one_warm)
        f8_lc = f8_all = None
        f8 = [py, "-m", "flake8", str(tree), "--exit-zero"]
        if flake8_repeat > 0:
            _warm_flake8(runner, scratch)
            f8_lc = runner.timed(
                "flake8 --select LC", [*f8, "--select", "LC"], flake8_repeat, clear
            )
            rows.append(f8_lc)
            if flake8_default:
                f8_all = runner.timed("flake8 (default checks)", f8, flake8_repeat, clear)
                rows.append(f8_all)
    return Results(found, rows, floor, lc, lc_warm, one, one_warm, f8_lc, f8_all)


def one_service(tree: Path) -> Path:
    """The file the one-file rows check: the first service module."""
    return min((tree / "app" / "services").rglob("*_service.py"))


def _cache_clearer(tree: Path) -> Callable[[], None]:
    # A cold run must parse everything; a cache left by the previous run would turn
    # "best of N" into a measurement of the warm path.
    def clear() -> None:
        for found in tree.rglob(CACHE_DIR):
            if found.is_dir():
                shutil.rmtree(found)

    return clear


def _findings(runner: Runner, tree: Path) -> Counter[str]:
    command = [sys.executable, "-m", "layercheck", str(tree), "--exit-zero"]
    done = runner.run([*command, "--output-format", "json"])
    if done.returncode != 0:
        raise SystemExit(f"layercheck --output-format json exited {done.returncode}\n{done.stderr}")
    return Counter(str(item["code"]) for item in json.loads(done.stdout))


def _warm_flake8(runner: Runner, scratch: Path) -> None:
    # One run on a lone file outside the project compiles flake8, pycodestyle, pyflakes
    # and the plugin into the bytecode cache, without the plugin indexing the project.
    lone = scratch / "warm_up.py"
    lone.write_text("import os\n\nprint(os.sep)\n")
    done = runner.run([sys.executable, "-m", "flake8", str(lone), "--exit-zero"])
    if done.returncode != 0:
        raise SystemExit(f"flake8 does not run:\n{done.stderr}")
