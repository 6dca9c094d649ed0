"""The architecture as layercheck sees it: each module of the project with its layer, the
imports between modules (the project's own), and the findings that sit on an import
line (LC101, LC102, LC104's first link, LC705, ...) marking that import as a violation.
Built from the same engine run as `layercheck PATH`, so the picture and the report agree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from layercheck.config.workspace import Workspace
from layercheck.discovery import discover
from layercheck.engine import Engine
from layercheck.index import ProjectIndex
from layercheck.layers import Layer

IMPORT_RULES: Final = frozenset({"LC101", "LC102", "LC104", "LC706"})
"""The rules that judge an import between modules of the project."""
UNLAYERED = "unlayered"
"""The band of modules no path word or glob gives a layer."""


def layer_order(levels: Sequence[Iterable[Layer]] = ()) -> list[str]:
    """Bands top to bottom: the project's `layer-order` (its own layers included), then
    the built-in layers it leaves out (the shared ones, migrations), the rest."""
    builtin = list(Layer)
    order: list[str] = []
    for level in levels:
        within = sorted(
            level,
            key=lambda layer: (
                builtin.index(layer) if layer in builtin else len(builtin),
                layer.value,
            ),
        )
        order.extend(layer.value for layer in within if layer.value not in order)
    order.extend(layer.value for layer in builtin if layer.value not in order)
    return [*order, UNLAYERED]


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    layer: str
    path: Path


@dataclass(frozen=True, slots=True)
class Import:
    importer: str
    imported: str
    line: int
    codes: tuple[str, ...] = ()
    """The rules that report this import (empty: the import is fine)."""
    messages: tuple[str, ...] = ()


@dataclass
class Diagram:
    modules: dict[str, Module] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)
    order: list[str] = field(default_factory=layer_order)
    """The bands, top to bottom."""

    def bands(self) -> list[str]:
        seen = {module.layer for module in self.modules.values()}
        extra = sorted(seen - set(self.order))
        return [*self.order[:-1], *extra, self.order[-1]]

    def layer_edges(self) -> list[tuple[str, str, int, Counter[str]]]:
        """(from layer, to layer, imports, violations by code), between different
        layers, in band order."""
        counts: Counter[tuple[str, str]] = Counter()
        codes: dict[tuple[str, str], Counter[str]] = {}
        for item in self.imports:
            pair = (self.modules[item.importer].layer, self.modules[item.imported].layer)
            if pair[0] == pair[1]:
                continue
            counts[pair] += 1
            codes.setdefault(pair, Counter()).update(item.codes)
        rank = {name: number for number, name in enumerate(self.bands())}
        ordered = sorted(counts, key=lambda pair: (rank[pair[0]], rank[pair[1]]))
        return [(a, b, counts[(a, b)], codes[(a, b)]) for a, b in ordered]

    def layers(self) -> list[tuple[str, int]]:
        """The bands that hold modules, with how many."""
        sizes = Counter(module.layer for module in self.modules.values())
        return [(name, sizes[name]) for name in self.bands() if sizes[name]]


def build(paths: Sequence[Path], workspace: Workspace) -> Diagram:
    """The diagram of the projects the paths belong to (their files and, for a project
    with a root, every file of it)."""
    engine = Engine(workspace)
    result = engine.check(list(paths))
    on_line: dict[tuple[Path, int], list[tuple[str, str]]] = {}
    for finding in result.findings:
        if finding.code not in IMPORT_RULES:
            continue
        on_line.setdefault((finding.path, finding.start.row), []).append(
            (finding.code, finding.message)
        )
    diagram = Diagram()
    targets = discover(paths, workspace).files
    if targets:
        diagram.order = layer_order(targets[0].settings.layer_order.levels)
    for root, files in engine.projects(targets).items():
        index = ProjectIndex(engine.project_facts(root, files))
        for facts in index.by_module.values():
            layer = index.layer_of_path(facts.path)
            diagram.modules[facts.module] = Module(
                facts.module, layer.value if layer else UNLAYERED, Path(facts.path)
            )
        for name, facts in sorted(index.by_module.items()):
            for target, line in index.imports_of(name, type_checking=True):
                if target not in index.by_module:
                    continue
                marks = on_line.get((Path(facts.path), line), [])
                diagram.imports.append(
                    Import(
                        name,
                        target,
                        line,
                        tuple(sorted({code for code, _ in marks})),
                        tuple(message for _, message in marks),
                    )
                )
    return diagram
