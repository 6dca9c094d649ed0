"""`tree_walk.walk` is `ast.walk` without its generators: the same nodes, in the same
order, on real sources and on trees with fields left unset."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from layercheck.tree_walk import walk

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _parses(path: Path) -> bool:
    try:
        ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return False  # the fixtures of unreadable and unparsable files
    return True


SOURCES = [path for path in sorted(FIXTURES.rglob("*.py")) if _parses(path)]


def _same(tree: ast.AST) -> bool:
    return [id(node) for node in walk(tree)] == [id(node) for node in ast.walk(tree)]


def test_the_fixtures_are_read() -> None:
    assert len(SOURCES) > 20


@pytest.mark.parametrize("path", SOURCES, ids=[str(p.relative_to(FIXTURES)) for p in SOURCES])
def test_the_nodes_of_every_fixture_in_ast_walks_order(path: Path) -> None:
    assert _same(ast.parse(path.read_bytes()))


def test_every_kind_of_child() -> None:
    source = (
        "async def f(a, /, b=1, *c, d: int = 2, **e) -> list[int]:\n"
        "    x = [y async for y in g() if y]\n"
        "    match x:\n"
        "        case {'k': v, **rest} | [1, *_]:\n"
        "            return {k: v for k, v in rest.items()}\n"
        "    try:\n"
        "        del x[1:2], x.a\n"
        "    except* (OSError, ValueError) as err:\n"
        "        raise RuntimeError(f'{err!r:>10}') from err\n"
        "    global q\n"
        "    return lambda z=None: (z, -z, not z, z if z else ~z)\n"
    )
    tree = ast.parse(source)
    assert _same(tree)
    # Operators and contexts are nodes too, as ast.walk yields them.
    assert any(isinstance(node, ast.Load) for node in walk(tree))


def test_a_tree_built_by_hand_with_fields_unset() -> None:
    call = ast.Call(func=ast.Name(id="f", ctx=ast.Load()), args=[ast.Constant(1), "raw"])
    # `keywords` is never set: both skip it; a list item that is no node is no child.
    assert _same(ast.Expr(value=call))
    assert [type(node) for node in walk(call)] == [ast.Call, ast.Name, ast.Constant, ast.Load]
