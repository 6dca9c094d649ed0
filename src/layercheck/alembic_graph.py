"""Alembic revision graphs, one per Alembic folder, built from the project index.

An Alembic folder is the folder that holds `env.py` and `versions/`: every migration in
its `versions/` tree (nested folders included, as the engine sees them) belongs to it. A
file that defines both `revision` and `down_revision` outside any `versions/` folder
belongs to the folder that holds it. Two Alembic folders of one project (dispatch's
`core/` and `tenant/`) are separate graphs: the same revision id in both is not a
duplicate, and a `down_revision` must name a revision of its own folder.
"""

from __future__ import annotations

import enum
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from layercheck.facts import FileFacts
from layercheck.index import ProjectIndex, whole
from layercheck.layers import Layer

_VERSIONS: Final = "versions"
_DEPTH: Final = 3
"""How far above a migration its `versions/` folder may be (the engine's reach)."""
ALEMBIC_MARKERS: Final = ("alembic.ini", "script.py.mako")


class Problem(enum.Enum):
    DUPLICATE = "duplicate"
    DANGLING = "dangling"
    HEADS = "heads"


@dataclass(frozen=True, slots=True)
class GraphProblem:
    kind: Problem
    line: int
    """The `revision =` line (duplicate, heads) or the `down_revision =` line (dangling)."""
    revision: str
    """The duplicate id, the missing id, or the head."""
    others: tuple[str, ...] = ()
    """Duplicate: the other files with that id; heads: every head of the folder."""


@dataclass(frozen=True, slots=True)
class FolderGraph:
    folder: str
    files: tuple[FileFacts, ...]
    complete: bool
    """Every migration of the folder is in the index with a literal revision id; without
    that, a missing revision or an extra head could be an artefact of what was left out."""
    heads: tuple[str, ...]
    by_id: dict[str, tuple[str, ...]]
    """The files that define each revision id: asked at every migration, so made once
    per graph rather than from every file of the graph at each (quadratic in the number
    of migrations, and each file's facts read back from the spill)."""
    labelled: bool
    """Some revision has `branch_labels`: the folder keeps several heads on purpose."""


def alembic_folder(path: str) -> str:
    """The Alembic folder a migration belongs to: the parent of the nearest `versions/`
    folder above it, else the folder that holds it."""
    current = Path(path).parent
    for _ in range(_DEPTH):
        if current.name == _VERSIONS:
            return str(current.parent)
        if current.parent == current:
            break
        current = current.parent
    return str(Path(path).parent)


def is_alembic_env(path: Path) -> bool:
    """An Alembic `env.py`: next to a `versions/` folder, or in a folder that holds an
    `alembic.ini` or the `script.py.mako` template."""
    if path.name != "env.py":
        return False
    folder = path.parent
    if (folder / _VERSIONS).is_dir():
        return True
    return any((folder / marker).is_file() for marker in ALEMBIC_MARKERS)


def _migrations(index: ProjectIndex) -> dict[str, list[FileFacts]]:
    groups: dict[str, list[FileFacts]] = defaultdict(list)
    for path, item in index.by_path.items():
        if index.layer_of_path(path) is Layer.MIGRATIONS:
            groups[alembic_folder(path)].append(item)
    return groups


def _on_disk(folder: str) -> set[str]:
    """Python files that may be migrations of a folder: its `versions/` tree as deep as
    the engine looks, or, for a folder without one, the folder's own files."""
    versions = os.path.join(folder, _VERSIONS)
    if not os.path.isdir(versions):
        return {
            entry.path
            for entry in os.scandir(folder)
            if entry.name.endswith(".py") and entry.is_file()
        }
    found: set[str] = set()
    pending = [(versions, 0)]
    while pending:
        current, depth = pending.pop()
        for entry in os.scandir(current):
            if entry.is_dir() and depth < _DEPTH - 1 and entry.name != "__pycache__":
                pending.append((entry.path, depth + 1))
            elif entry.name.endswith(".py") and entry.is_file():
                found.add(entry.path)
    return found


def _complete(folder: str, files: list[FileFacts], index: ProjectIndex) -> bool:
    """Every revision and parent of the folder is known, so a missing one is missing."""
    if any(
        item.revision is not None
        and (item.revision.revision is None or not item.revision.down_revision_known)
        for item in files
    ):
        return False
    try:
        disk = _on_disk(folder)
    except OSError:
        return False
    return all(path in index.by_path and index.by_path[path].parsed for path in disk)


def _heads(files: list[FileFacts]) -> tuple[str, ...]:
    """Revisions no other revision names as its parent, less those whose ancestry runs
    into a missing revision: that break is reported where it is, and the revisions it
    cuts off are not heads of their own."""
    parents: dict[str, set[str]] = defaultdict(set)
    for item in files:
        if item.revision is not None and item.revision.revision is not None:
            parents[item.revision.revision].update(item.revision.down_revisions)
    named = {down for downs in parents.values() for down in downs}

    def is_broken(start: str) -> bool:
        pending, seen = [start], set()
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            if current not in parents:
                return True
            pending.extend(parents[current])
        return False

    return tuple(r for r in sorted(parents) if r not in named and not is_broken(r))


def graphs(index: ProjectIndex) -> dict[str, FolderGraph]:
    """Every Alembic folder's graph, computed once per index."""
    return _graphs(index)


@whole("alembic-graphs")
def _graphs(index: ProjectIndex) -> dict[str, FolderGraph]:
    found: dict[str, FolderGraph] = {}
    for folder, files in _migrations(index).items():
        revisions = [item for item in files if item.revision is not None]
        if not revisions:
            continue
        ordered = tuple(sorted(revisions, key=lambda f: f.path))
        by_id: dict[str, list[str]] = defaultdict(list)
        for item in ordered:
            if item.revision is not None and item.revision.revision is not None:
                by_id[item.revision.revision].append(item.path)
        found[folder] = FolderGraph(
            folder=folder,
            files=ordered,
            complete=_complete(folder, files, index),
            heads=_heads(revisions),
            by_id={revision: tuple(paths) for revision, paths in by_id.items()},
            # Labelled branches (`branch_labels`) keep several heads on purpose.
            labelled=any(f.revision is not None and f.revision.branch_labels for f in ordered),
        )
    return found


def graph_of(index: ProjectIndex, path: str) -> FolderGraph | None:
    return graphs(index).get(alembic_folder(path))


def problems(index: ProjectIndex, path: str) -> list[GraphProblem]:
    """What is wrong with the revision graph at one migration file."""
    graph = graph_of(index, path)
    item = index.by_path.get(path)
    if graph is None or item is None or item.revision is None:
        return []
    fact = item.revision
    found: list[GraphProblem] = []
    by_id = graph.by_id
    own = fact.revision
    if own is not None and len(by_id.get(own, ())) > 1:
        others = tuple(p for p in by_id[own] if p != path)
        found.append(GraphProblem(Problem.DUPLICATE, fact.revision_line, own, others))
    if not graph.complete:
        return found
    for down in fact.down_revisions:
        # `own` counts as known even when this file is not of the graph.
        if down not in by_id and down != own:
            found.append(GraphProblem(Problem.DANGLING, fact.down_revision_line, down))
    if own is not None and len(graph.heads) > 1 and own in graph.heads and not graph.labelled:
        found.append(GraphProblem(Problem.HEADS, fact.revision_line, own, graph.heads))
    return found
