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
