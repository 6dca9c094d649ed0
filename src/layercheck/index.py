"""ProjectIndex: what all files together say (layers, class hierarchy, re-exports)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from layercheck.facts import FileFacts, ImportFact
from layercheck.layers import Layer

ROUTER_CLASSES: Final = frozenset(
    {
        "fastapi.APIRouter",
        "fastapi.routing.APIRouter",
        "fastapi.FastAPI",
        "fastapi.applications.FastAPI",
    }
)
_MAX_HOPS: Final = 32


class ProjectIndex:
    def __init__(self, facts: Iterable[FileFacts]) -> None:
        self.by_path: dict[str, FileFacts] = {}
        self.by_module: dict[str, FileFacts] = {}
        for item in facts:
            self.by_path[item.path] = item
            if item.module:
                self.by_module[item.module] = item
        self._bindings: dict[str, dict[str, str]] = {
            module: dict(item.bindings) for module, item in self.by_module.items()
        }
        self._bases: dict[str, tuple[str, ...]] = {
            f"{item.module}.{cls.name}": cls.bases
            for item in self.by_module.values()
            for cls in item.classes
        }
        self._inherits_cache: dict[tuple[str, frozenset[str]], bool] = {}
        self._layers: dict[str, Layer | None] = {}
        routers = self._router_instances()
        for path, item in self.by_path.items():
            self._layers[path] = self._final_layer(item, routers)

    # -- names -------------------------------------------------------------------------
    def module_of(self, dotted: str) -> str | None:
        """The longest prefix of `dotted` that is a module of this project."""
        name = dotted
        while name:
            if name in self.by_module:
                return name
            name = name.rpartition(".")[0]
        return None

    def resolve(self, qualified: str) -> str:
        """Follow re-exports and aliases: `app.errors.Gone` -> `app.errors.base.Gone`."""
        seen: set[str] = set()
        current = qualified
        for _ in range(_MAX_HOPS):
            if current in seen:
                break
            seen.add(current)
            module = self.module_of(current)
            if module is None or module == current:
                break
            rest = current[len(module) + 1 :]
            head, _, tail = rest.partition(".")
            target = self._bindings[module].get(head)
            if target is None or target == f"{module}.{head}":
                break
            current = f"{target}.{tail}" if tail else target
        return current

    def import_module(self, fact: ImportFact) -> str | None:
        """The project module an import statement brings in (grimp: module before name)."""
        found = self.module_of(fact.target)
        if found is not None and fact.from_module is not None and found != fact.target:
            resolved = self.resolve(fact.target)
            found = self.module_of(resolved) or found
        return found

    # -- classes -----------------------------------------------------------------------
    def is_project_class(self, qualified: str) -> bool:
        return self.resolve(qualified) in self._bases

    def inherits(self, qualified: str, targets: frozenset[str]) -> bool:
        """True when `qualified` is one of `targets` or a project class deriving from one,
        through any number of modules, aliases and re-exports."""
        key = (qualified, targets)
        cached = self._inherits_cache.get(key)
        if cached is not None:
            return cached
        result = False
        pending = [qualified]
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            resolved = self.resolve(name)
            if name in targets or resolved in targets:
                result = True
                break
            if resolved in seen:
                continue
            seen.add(resolved)
            pending.extend(self._bases.get(resolved, ()))
        self._inherits_cache[key] = result
        return result

    # -- layers ------------------------------------------------------------------------
    def _router_instances(self) -> set[str]:
        found: set[str] = set()
        for item in self.by_module.values():
            for name, callee in item.instances:
                if self.inherits(callee, ROUTER_CLASSES):
                    found.add(f"{item.module}.{name}")
        return found

    def _final_layer(self, item: FileFacts, routers: set[str]) -> Layer | None:
        if item.is_test:
            return None
        if item.defines_revision or item.path_layer is Layer.MIGRATIONS:
            return Layer.MIGRATIONS
        if item.detect_routes and any(
            self.resolve(receiver) in routers for receiver in item.route_receivers
        ):
            return Layer.ROUTES
        return item.path_layer

    def layer_of_path(self, path: str) -> Layer | None:
        return self._layers.get(path)

    def layer_for_facts(self, item: FileFacts) -> Layer | None:
        """The layer of a file, from the index if it is there, else from its own facts."""
        if item.path in self._layers:
            return self._layers[item.path]
        return self._final_layer(item, self._router_instances())

    def layer_of_module(self, dotted: str) -> Layer | None:
        module = self.module_of(dotted)
        if module is None:
            return None
        return self._layers.get(self.by_module[module].path)
