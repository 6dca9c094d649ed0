"""Package __init__ modules: a bare docstring, re-exported models (Alembic needs every
table imported) and router aggregates."""

from __future__ import annotations

from collections.abc import Sequence

from layercheck_bench.source import Source


def package_init(doc: str) -> str:
    return f'"""{doc}"""\n'


def reexport(module: str, doc: str, items: Sequence[tuple[str, str]], relative: bool) -> str:
    """An __init__ that re-exports names (models for Alembic's metadata, routers)."""
    src = Source(module + ".__init__", relative=relative, docstring=f'"""{doc}"""', future=False)
    for mod, name in items:
        src.imp(mod, name)
    src.add("", "__all__ = [", *(f'    "{name}",' for _, name in sorted(items)), "]")
    return src.render()


def router_aggregate(module: str, doc: str, routers: Sequence[tuple[str, str]]) -> str:
    src = Source(module + ".__init__", relative=False, docstring=f'"""{doc}"""', future=False)
    src.imp("fastapi", "APIRouter")
    for mod, alias in routers:
        src.imp(mod, f"router as {alias}")
    name = "api_router" if module == "app.routes" else "router"
    src.add("", f"{name} = APIRouter()")
    src.add(*(f"{name}.include_router({alias})" for _, alias in routers))
    return src.render()
