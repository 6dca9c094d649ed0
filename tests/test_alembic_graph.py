"""The revision graph's per-folder tables (`FolderGraph.by_id`, `.labelled`), made once
per graph, give each migration the problems a scan of the whole graph at that file gives."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from support import write_project

from layercheck.alembic_graph import GraphProblem, Problem, graph_of, problems
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.discovery import source_file
from layercheck.index import ProjectIndex
from layercheck.loading import load_file
from layercheck.rules import CATALOG


def _scanned(index: ProjectIndex, path: str) -> list[GraphProblem]:
    """What `problems` answered when it read every file of the graph at each migration."""
    graph = graph_of(index, path)
    item = index.by_path.get(path)
    if graph is None or item is None or item.revision is None:
        return []
    fact = item.revision
    found: list[GraphProblem] = []
    by_id: dict[str, list[str]] = defaultdict(list)
    for other in graph.files:
        if other.revision is not None and other.revision.revision is not None:
            by_id[other.revision.revision].append(other.path)
    own = fact.revision
    if own is not None and len(by_id[own]) > 1:
        others = tuple(p for p in by_id[own] if p != path)
        found.append(GraphProblem(Problem.DUPLICATE, fact.revision_line, own, others))
    if not graph.complete:
        return found
    for down in fact.down_revisions:
        if down not in by_id:
            found.append(GraphProblem(Problem.DANGLING, fact.down_revision_line, down))
    labelled = any(f.revision is not None and f.revision.branch_labels for f in graph.files)
    if own is not None and len(graph.heads) > 1 and own in graph.heads and not labelled:
        found.append(GraphProblem(Problem.HEADS, fact.revision_line, own, graph.heads))
    return found


def _index(root: Path, files: dict[str, str]) -> ProjectIndex:
    write_project(root, files)
    settings = Workspace(CATALOG, Overrides(), cwd=root).settings_for(root)
    return ProjectIndex(
        load_file(source_file(root / name, settings)).facts for name in sorted(files)
    )


def _migration(revision: str, down: str, labels: str = "None") -> str:
    return f'revision = "{revision}"\ndown_revision = {down}\nbranch_labels = {labels}\n'


def test_each_migration_gets_what_a_scan_of_its_graph_gives(tmp_path: Path) -> None:
    files = {
        # A duplicate id, a missing parent and two heads in one folder.
        "core/versions/a1.py": _migration("a1", "None"),
        "core/versions/b2.py": _migration("b2", '"a1"'),
        "core/versions/b2_again.py": _migration("b2", '"a1"'),
        "core/versions/c3.py": _migration("c3", '"a1"'),
        "core/versions/d4.py": _migration("d4", '"zz"'),
        "core/versions/e5.py": _migration("e5", '("b2", "c3")'),
        "core/versions/f6.py": _migration("f6", '"e5"'),
        "core/versions/g7.py": _migration("g7", '"e5"'),
        # Another folder reusing an id, with a labelled branch: its heads are on purpose.
        "tenant/versions/a1.py": _migration("a1", "None"),
        "tenant/versions/x1.py": _migration("x1", '"a1"', '("extra",)'),
        "tenant/versions/y1.py": _migration("y1", '"a1"'),
    }
    index = _index(tmp_path, files)
    answers = {name: problems(index, str(tmp_path / name)) for name in files}
    for name, found in answers.items():
        assert found == _scanned(index, str(tmp_path / name)), name
    kinds = {kind for found in answers.values() for kind in (p.kind for p in found)}
    assert kinds == {Problem.DUPLICATE, Problem.DANGLING, Problem.HEADS}
    assert answers["tenant/versions/x1.py"] == answers["tenant/versions/y1.py"] == []
