"""Queries over the project's import graph, import-linter / grimp style.

The graph holds the project's own modules only, with an edge for each module a module
imports (the line of its first import), built once per index from
`ProjectIndex.imports_of`. Chains are found breadth first, so the chain reported is a
shortest one; `chains()` lists distinct chains by "pop and repeat" (find the shortest
chain, remove its links, search again), as import-linter does. Every search keeps a set
of visited modules, so import cycles end.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from layercheck.config.allowed_imports import NO_ALLOWED_IMPORTS, AllowedImports
from layercheck.layers import Layer
from layercheck.model import ChainLink

if TYPE_CHECKING:
    from layercheck.index import ProjectIndex

Chain = tuple[ChainLink, ...]


def import_graph(
    index: ProjectIndex,
    *,
    type_checking: bool = False,
    allowed: AllowedImports = NO_ALLOWED_IMPORTS,
) -> ImportGraph:
    """The index's import graph, built once per index, `type_checking` choice and list of
    allowed imports (import-linter's `ignore_imports`: their edges are left out)."""
    key = f"import-graph:{type_checking}:" + "\n".join(allowed.written)
    return index.shared(
        key,
        lambda index: ImportGraph.from_index(index, type_checking=type_checking, allowed=allowed),
    )


def render(chain: Iterable[ChainLink]) -> str:
    """`app.routes.users -> app.utils.helpers -> app.repositories.user`."""
    links = list(chain)
    if not links:
        return ""
    return " -> ".join([links[0].importer, *(link.imported for link in links)])


class ImportGraph:
    """Project modules and the project modules each one imports, in source order."""

    def __init__(self, edges: Mapping[str, Mapping[str, int]] | None = None) -> None:
        self._edges: dict[str, dict[str, int]] = {}
        self._importers: dict[str, list[str]] | None = None
        self._distances: dict[tuple[frozenset[str], frozenset[str]], dict[str, int]] = {}
        self._layers: dict[str, Layer | None] = {}
        self._by_layers: dict[frozenset[Layer], frozenset[str]] = {}
        for importer, imported in (edges or {}).items():
            self._edges.setdefault(importer, {})
            for target, line in imported.items():
                self.add_import(importer=importer, imported=target, line=line)

    @classmethod
    def from_index(
        cls,
        index: ProjectIndex,
        *,
        type_checking: bool = False,
        allowed: AllowedImports = NO_ALLOWED_IMPORTS,
    ) -> ImportGraph:
        """Imports under `if TYPE_CHECKING:` count only when `type_checking` is true;
        the imports `allowed` accepts do not count."""
        graph = cls()
        for module in sorted(index.by_module):
            graph._edges.setdefault(module, {})
            graph._layers[module] = index.layer_of_path(index.by_module[module].path)
            for target, line in index.imports_of(module, type_checking=type_checking):
                if not allowed.allows(module, target):
                    graph.add_import(importer=module, imported=target, line=line)
        return graph

    # -- building ------------------------------------------------------------------------
    def add_import(self, *, importer: str, imported: str, line: int = 0) -> None:
        if importer == imported:
            return
        self._edges.setdefault(importer, {}).setdefault(imported, line)
        self._edges.setdefault(imported, {})
        self._changed()

    def remove_import(self, *, importer: str, imported: str) -> None:
        if self._edges.get(importer, {}).pop(imported, None) is not None:
            self._changed()

    def copy(self) -> ImportGraph:
        graph = ImportGraph(self._edges)
        graph._layers = dict(self._layers)
        return graph

    def _changed(self) -> None:
        self._importers = None
        self._distances.clear()

    # -- reading -------------------------------------------------------------------------
    @property
    def modules(self) -> frozenset[str]:
        return frozenset(self._edges)

    def imports_of(self, module: str) -> Mapping[str, int]:
        """Imported module -> line of its first import, in source order."""
        return self._edges.get(module, {})

    def importers_of(self, module: str) -> list[str]:
        if self._importers is None:
            importers: dict[str, list[str]] = {}
            for importer in sorted(self._edges):
                for imported in self._edges[importer]:
                    importers.setdefault(imported, []).append(importer)
            self._importers = importers
        return self._importers.get(module, [])

    def in_layers(self, layers: frozenset[Layer]) -> frozenset[str]:
        """The modules whose layer is one of `layers`."""
        found = self._by_layers.get(layers)
        if found is None:
            found = self._by_layers[layers] = frozenset(
                module for module in self._edges if self._layers.get(module) in layers
            )
        return found

    def _link(self, importer: str, imported: str) -> ChainLink:
        return ChainLink(importer=importer, imported=imported, line=self._edges[importer][imported])

    # -- chains --------------------------------------------------------------------------
    def shortest_chain(
        self, *, importer: str, imported: str, avoid: frozenset[str] = frozenset()
    ) -> Chain | None:
        """A shortest chain of imports from `importer` to `imported` that passes through
        none of the modules in `avoid` (the two ends may be in it), or None."""
        if importer == imported or importer not in self._edges:
            return None
        previous: dict[str, str] = {importer: importer}
        queue = deque([importer])
        while queue:
            module = queue.popleft()
            for target in self._edges[module]:
                if target in previous:
                    continue
                previous[target] = module
                if target == imported:
                    return self._walk_back(previous, target)
                if target not in avoid:
                    queue.append(target)
        return None

    def _walk_back(self, previous: Mapping[str, str], end: str) -> Chain:
        links: list[ChainLink] = []
        module = end
        while previous[module] != module:
            links.append(self._link(previous[module], module))
            module = previous[module]
        return tuple(reversed(links))

    def chains(
        self,
        *,
        importer: str,
        imported: str,
        avoid: frozenset[str] = frozenset(),
        limit: int = 100,
    ) -> list[Chain]:
        """Distinct chains from `importer` to `imported`, shortest first: find a shortest
        chain, remove its links from a copy of the graph, and repeat."""
        work = self.copy()
        found: list[Chain] = []
        while len(found) < limit:
            chain = work.shortest_chain(importer=importer, imported=imported, avoid=avoid)
            if chain is None:
                break
            found.append(chain)
            for link in chain:
                work.remove_import(importer=link.importer, imported=link.imported)
        return found

    def distances(
        self, *, targets: frozenset[str], avoid: frozenset[str] = frozenset()
    ) -> Mapping[str, int]:
        """Module -> number of links in its shortest chain to any of `targets` (0 for a
        target) that passes through none of `avoid`: one breadth-first search over the
        importers, cached until the graph changes."""
        key = (targets, avoid)
        cached = self._distances.get(key)
        if cached is not None:
            return cached
        found: dict[str, int] = {}
        queue: deque[str] = deque()
        for target in sorted(targets):
            if target in self._edges:
                found[target] = 0
                queue.append(target)
        while queue:
            module = queue.popleft()
            for importer in self.importers_of(module):
                if importer in found:
                    continue
                found[importer] = found[module] + 1
                if importer not in avoid:
                    queue.append(importer)
        self._distances[key] = found
        return found

    def nearest_chain(
        self, *, importer: str, targets: frozenset[str], avoid: frozenset[str] = frozenset()
    ) -> Chain | None:
        """A shortest chain from `importer` to the nearest of `targets` that passes
        through none of `avoid`, or None. At each step the first import in source order
        that stays on a shortest chain is taken, so the answer is stable."""
        distance = self.distances(targets=targets, avoid=avoid)
        left = distance.get(importer)
        if not left:
            return None
        links: list[ChainLink] = []
        module = importer
        while left:
            step = next(self._steps(module, left - 1, distance, avoid), None)
            if step is None:  # pragma: no cover - distances guarantee a step
                return None
            links.append(self._link(module, step))
            module, left = step, left - 1
        return tuple(links)

    def _steps(
        self,
        module: str,
        wanted: int,
        distance: Mapping[str, int],
        avoid: frozenset[str],
    ) -> Iterator[str]:
        for target in self._edges[module]:
            if distance.get(target) != wanted:
                continue
            if wanted == 0 or target not in avoid:
                yield target
