"""Helpers shared by the tests: example projects on disk, markers, running the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.context import RuleContext
from layercheck.discovery import source_file
from layercheck.engine import CheckResult, Engine
from layercheck.index import ProjectIndex
from layercheck.layers import Layer
from layercheck.loading import load_file
from layercheck.rules import CATALOG
from layercheck.rules._base import Example, Need, Rule
from layercheck.source import LineIndex
from layercheck.walker import Walker

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"

DEFAULT_PATHS: Mapping[Layer | None, str] = {
    Layer.ROUTES: "app/routes/example.py",
    Layer.DEPENDENCIES: "app/dependencies/example.py",
    Layer.SERVICES: "app/services/example.py",
    Layer.REPOSITORIES: "app/repositories/example.py",
    Layer.MODELS: "app/models/example.py",
    Layer.SCHEMAS: "app/schemas/example.py",
    Layer.CORE: "app/core/example.py",
    Layer.EXCEPTIONS: "app/exceptions.py",
    Layer.MIGRATIONS: "alembic/versions/0001_example.py",
    None: "app/example.py",
}
_ENV_PY = "from alembic import context\n"
MARKER = re.compile(rb"#\s*error(?::\s*(\d+))?\s*$")


def default_path(rule: type[Rule]) -> str:
    layers = rule.meta.layers
    if not layers:
        return DEFAULT_PATHS[None]
    first = min(layers, key=lambda layer: list(Layer).index(layer))
    return DEFAULT_PATHS[first]


def write_project(root: Path, files: Mapping[str, str | bytes], config: str = "") -> None:
    (root / "pyproject.toml").write_text(f"[tool.layercheck]\n{config}\n", encoding="utf-8")
    for relative, source in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        data = source if isinstance(source, bytes) else source.encode("utf-8")
        target.write_bytes(data)
        if target.parent.name == "versions" and not (target.parent.parent / "env.py").exists():
            (target.parent.parent / "env.py").write_text(_ENV_PY, encoding="utf-8")


def walk_file(
    root: Path,
    files: Mapping[str, str],
    target: str,
    rules: Iterable[Rule],
    needs: Iterable[Need] = (),
) -> None:
    """Writes `files` under `root` and walks `target` with `rules` and the model parts
    `needs` asks for, the index built from every Python file: as a real run walks it."""
    write_project(root, files)
    settings = Workspace(CATALOG, Overrides(), cwd=root).settings_for(root)
    loaded = {
        name: load_file(source_file(root / name, settings))
        for name in files
        if name.endswith(".py")
    }
    index = ProjectIndex(item.facts for item in loaded.values())
    item = loaded[target]
    assert item.tree is not None, item.problem
    assert item.table is not None
    assert item.text is not None
    ctx = RuleContext(
        path=item.file.path,
        module=item.facts.module,
        layer=index.layer_for_facts(item.facts),
        names=item.table,
        index=index,
        settings=settings,
        lines=LineIndex.from_text(item.text),
    )
    Walker(rules, ctx.binders(needs)).walk(item.tree, ctx)


def give_profile_card_from_attributes(schemas: Path) -> None:
    """Edits `bad_app`'s schemas module so that `ProfileCard` reads ORM objects: the
    LC607 finding in the profile service goes."""
    text = schemas.read_text(encoding="utf-8")
    assert "class ProfileCard(BaseModel):" in text
    schemas.write_text(
        text.replace(
            "class ProfileCard(BaseModel):",
            "class ProfileCard(BaseModel):\n    model_config = ConfigDict(from_attributes=True)",
        ).replace("from pydantic import", "from pydantic import ConfigDict,", 1),
        encoding="utf-8",
    )


def example_files(rule: type[Rule], example: Example) -> dict[str, str | bytes]:
    if isinstance(example.source, Mapping):
        return dict(example.source)
    return {example.path or default_path(rule): example.source}


def expected_markers(files: Mapping[str, str | bytes]) -> set[tuple[str, int, int | None]]:
    found: set[tuple[str, int, int | None]] = set()
    for relative, source in files.items():
        data = source if isinstance(source, bytes) else source.encode("utf-8")
        for row, line in enumerate(data.split(b"\n"), start=1):
            match = MARKER.search(line)
            if match:
                column = int(match.group(1)) if match.group(1) else None
                found.add((relative, row, column))
    return found


def check_project(
    root: Path, *, select: tuple[str, ...] | None = None, preview: bool | None = None
) -> CheckResult:
    workspace = Workspace(CATALOG, Overrides(select=select, preview=preview), cwd=root)
    return Engine(workspace).check([root])


Key = tuple[str, str, int, int, str]
"""A finding as two runs are compared: code, path from the root, row, column, message."""


def finding_keys(result: CheckResult, root: Path) -> list[Key]:
    return sorted(
        (
            finding.code,
            finding.path.relative_to(root).as_posix(),
            finding.start.row,
            finding.start.column,
            finding.message,
        )
        for finding in result.findings
    )


def check_uncached(root: Path, select: tuple[str, ...]) -> list[Key]:
    """The findings of the rules `select` (preview ones included) on the project at
    `root`, without the cache: a second run walks again, it does not read the first's."""
    overrides = Overrides(select=select, preview=True, no_cache=True)
    return finding_keys(Engine(Workspace(CATALOG, overrides, cwd=root)).check([root]), root)


def run_cli(
    *args: str | os.PathLike[str], cwd: Path | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "layercheck", *map(str, args)],
        cwd=cwd,
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
