"""Helpers shared by the layer-boundary rules: what an import statement brings in."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from typing import Final, cast

from layercheck.facts import ImportFact
from layercheck.layers import Layer
from layercheck.rules._base import RuleContext

# -- imports -----------------------------------------------------------------------------


def import_facts(node: ast.Import | ast.ImportFrom, ctx: RuleContext) -> Iterator[ImportFact]:
    """One ImportFact per name an import statement brings in, shaped as extract.py shapes
    module-level imports, so that `ProjectIndex.import_module` can resolve it."""
    type_checking = ctx.under_type_checking()
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield ImportFact(alias.name, None, node.lineno, type_checking)
        return
    base = ctx.names.absolute(node.level, node.module)
    if base is None:
        return
    for alias in node.names:
        target = base if alias.name == "*" else f"{base}.{alias.name}"
        yield ImportFact(target, base, node.lineno, type_checking)


def imported_layers(
    node: ast.Import | ast.ImportFrom, ctx: RuleContext
) -> tuple[tuple[str, Layer], ...]:
    """(project module, its layer) for each distinct project module with a layer that an
    import statement brings in, in source order.

    `from pkg import x` is module `pkg.x` when that module exists, else the module that
    defines `x` (package re-exports are followed). Third-party modules have no layer.
    Imports under `if TYPE_CHECKING:` count only with `include-type-checking-imports`;
    imports that `allow-imports` accepts do not count.
    """
    # Asked by each layer rule at the same import, where the answer is the same.
    kept = cast(dict[ast.AST, tuple[tuple[str, Layer], ...]] | None, ctx.per_file.get(_LAYERS))
    if kept is None:
        kept = {}
        ctx.per_file[_LAYERS] = kept
    found = kept.get(node)
    if found is None:
        found = kept[node] = tuple(_imported_layers(node, ctx))
    return found


_LAYERS: Final = "layering.imported-layers"


def _imported_layers(
    node: ast.Import | ast.ImportFrom, ctx: RuleContext
) -> list[tuple[str, Layer]]:
    if not ctx.settings.include_type_checking_imports and ctx.under_type_checking():
        return []
    found: list[tuple[str, Layer]] = []
    seen: set[str] = set()
    allowed = ctx.settings.allow_imports
    for fact in import_facts(node, ctx):
        module = ctx.index.import_module(fact)
        if module is None or module in seen or module == ctx.module:
            continue
        if allowed.allows(ctx.module, module, fact.target):
            continue
        seen.add(module)
        layer = ctx.index.layer_of_module(module)
        if layer is not None and not _same_component(module, ctx):
            found.append((module, layer))
    return found


def quoted(names: Iterable[str]) -> str:
    """`a`, `b`: names for a message."""
    return ", ".join(f"`{name}`" for name in names)


def _same_component(module: str, ctx: RuleContext) -> bool:
    """True when the imported module takes its layer from a folder that also holds the
    importing file: `feedback/service/models.py` importing `feedback/service/enums.py`
    stays inside the `service/` package, whatever that folder's name says."""
    facts = ctx.index.by_module.get(module)
    # None when its layer comes from its content or its own name, not from a folder
    folder = ctx.index.layer_folder(facts.path) if facts is not None else None
    if folder is None:
        return False
    return str(ctx.path).startswith(folder.rstrip("/") + "/")
