"""The benchmark's generator writes a project that parses and that layercheck flags.

Only the generator runs here; nothing is timed.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from layercheck_bench.generator import generate
from layercheck_bench.memory import (
    Peak,
    command,
    parse_jobs,
    parse_sizes,
    run_memory,
    table,
)
from layercheck_bench.rows import Command, _table
from layercheck_bench.timing import child_env


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


def test_memory_table_gives_the_growth_per_thousand_files_for_each_choice_of_jobs() -> None:
    peaks = [
        Peak(2000, "default", 8.0, 10.0, 45.0),
        Peak(2000, "1", 10.0, 10.0, 50.0),
        Peak(10000, "default", 40.0, 50.0, 93.0),
        Peak(10000, "1", 50.0, 50.0, 114.0),
    ]
    lines = table(peaks).splitlines()
    assert lines[2].endswith("| 45.0 | - |")
    assert lines[4].endswith("| 93.0 | 6.0 |")
    assert lines[5].endswith("| 114.0 | 8.0 |")


def test_memory_table_gives_cached_runs_a_column_and_growth_of_their_own() -> None:
    peaks = [
        Peak(2000, "default", 8.0, 10.0, 45.0),
        Peak(2000, "default", 9.0, 12.0, 55.0, cached=True),
        Peak(10000, "default", 40.0, 50.0, 93.0),
        Peak(10000, "default", 45.0, 60.0, 111.0, cached=True),
    ]
    lines = table(peaks).splitlines()
    assert lines[0].startswith("| files | jobs | cache | wall s |")
    assert lines[3] == "| 2,000 | default | cold, written | 9.0 | 12.0 | 55.0 | - |"
    assert lines[4].endswith("| --no-cache | 40.0 | 50.0 | 93.0 | 6.0 |")
    assert lines[5].endswith("| 111.0 | 7.0 |")


def test_memory_sizes_and_jobs_are_checked() -> None:
    assert parse_sizes("10000, 2000") == [2000, 10000]
    assert parse_jobs("default,1") == ["default", "1"]
    for bad in ("0", "", "x"):
        with pytest.raises(ValueError, match="sizes must be"):
            parse_sizes(bad)
    for bad in ("0", "", "two"):
        with pytest.raises(ValueError, match="jobs"):
            parse_jobs(bad)


def test_memory_runs_layercheck_on_each_size_and_deletes_the_trees(tmp_path: Path) -> None:
    peaks = run_memory([30, 60], ["1"], tmp_path, 1, child_env(tmp_path / "pycache"))
    assert [(peak.files, peak.jobs) for peak in peaks] == [(30, "1"), (60, "1")]
    assert all(peak.peak_mib > 5 and peak.cpu > 0 for peak in peaks)
    assert not (tmp_path / "gen-30").exists()
    assert not (tmp_path / "gen-60").exists()


def test_memory_with_the_cache_runs_cold_with_a_new_cache_folder_each_time(
    tmp_path: Path,
) -> None:
    env = child_env(tmp_path / "pycache")
    peaks = run_memory([30], ["1"], tmp_path, 1, env, cached=True)
    assert [(peak.files, peak.cached) for peak in peaks] == [(30, False), (30, True)]
    assert all(peak.peak_mib > 5 for peak in peaks)
    assert command(tmp_path, "1", tmp_path / "c")[3:6] == [
        "--cache-dir",
        str(tmp_path / "c"),
        "--exit-zero",
    ]
    assert "--no-cache" in command(tmp_path, "default")
    assert not (tmp_path / "gen-30").exists()
