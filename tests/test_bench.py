"""The benchmark's generator writes a project that parses and that layercheck flags.

Only the generator runs here; nothing is timed.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from layercheck_bench.generator import generate
from layercheck_bench.rows import Command, _table


def test_generated_tree_parses_and_has_lc201(tmp_path: Path) -> None:
    root = tmp_path / "project"
    generated = generate(root, files=30, seed=1)

    files = sorted(root.rglob("*.py"))
    assert len(files) == generated.files == 30
    for path in files:
        ast.parse(path.read_bytes(), str(path))

    command = [sys.executable, "-m", "layercheck", str(root), "--exit-zero"]
    done = subprocess.run(
        [*command, "--output-format", "json"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lc201 = [item for item in json.loads(done.stdout) if item["code"] == "LC201"]
    assert lc201
    assert all("/app/services/" in Path(item["filename"]).as_posix() for item in lc201)


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    generate(first, files=30, seed=7)
    generate(second, files=30, seed=7)
    texts = {p.relative_to(first): p.read_bytes() for p in first.rglob("*.py")}
    assert texts == {p.relative_to(second): p.read_bytes() for p in second.rglob("*.py")}


def test_a_row_quoted_against_two_baselines_runs_once_and_gets_a_line_for_each() -> None:
    floor = Command("t: parse floor", [], (), wall=[1.0, 2.0], cpu=[1.0, 1.0], peak_mib=[20])
    flake8 = Command("t: plain flake8 -j2", [], (), wall=[10.0, 10.0], cpu=[4.0, 4.0])
    flake8.peak_mib = [30]
    cold = Command(
        "t: cold --no-cache",
        [],
        ("parse floor", "plain flake8 -j2"),
        wall=[3.0, 4.0],
        cpu=[2.0, 2.0],
        peak_mib=[50, 60],
    )
    lines = _table([floor, flake8, cold]).splitlines()[2:]
    assert lines == [
        "| t: parse floor | 1.50 | 1.00 | 20 | - | - | - |",
        "| t: plain flake8 -j2 | 10.00 | 4.00 | 30 | - | - | - |",
        # the median of the per-round ratios: 3/1 and 4/2
        "| t: cold --no-cache | 3.50 | 2.00 | 60 | parse floor | 2.50 | 2.00 |",
        "| t: cold --no-cache | 3.50 | 2.00 | 60 | plain flake8 -j2 | 0.35 | 0.50 |",
    ]
