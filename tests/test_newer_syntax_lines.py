"""The line-by-line downgrade of newer syntax gives the tree libcst's rewrite gives (the
index is built from it), or None to leave the file to libcst."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from support import check_project, write_project

from layercheck.newer_syntax import downgraded_tree
from layercheck.newer_syntax_lines import downgraded_lines

pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 14), reason="this Python reads all of it: nothing to downgrade"
)

SAME = {
    "except": (
        "def f(row):\n"
        "    try:\n"
        "        return f'{row} is' f\" {row!r}\"\n"
        "    except ValueError, errors.Bad:  # both\n"
        "        raise\n"
    ),
    "generics": (
        "class Repo[T: dict[str, int], *Ts, **P](Base[T]):\n"
        "    async def get[U: (int, str)](self, key: U) -> U: ...\n"
        "def first[T](items: list[T]) -> T:\n"
        "    return items[0]\n"
    ),
    "type parameters over lines": (
        "class Service[\n"
        "    Model: Base,  # type: ignore[type-arg]\n"
        "    Create: (Schema, dict[str, int]),\n"
        "](\n"
        "    Reader[Model],\n"
        "):\n"
        "    def get[\n"
        "        T,\n"
        "    ](self, key: T) -> T:\n"
        "        return f'{key}'\n"
        "class Mixin[\n"
        "    ID,\n"
        "]:\n"
        "    pass\n"
        "x = 1\n"
    ),
    "aliases": (
        "type Alias = dict[str, int]\n"
        "type Pair[K, V] = tuple[K, V]\n"
        "if True:\n"
        "    type Inner=(\n"
        "        int | None\n"
        "    )\n"
    ),
    "f-strings": (
        "type Alias = int\n"
        "x = f'''{a}\n"
        "\n"
        "{b}'''\n"
        "y = ('plain ' f'{x}'\n"
        '     \'tail\' """doc\n'
        '""")\n'
        "z = call(f'{x:{width}}', key=f'é{x}', other=1)\n"
    ),
    "f-strings deep in statements over lines": (
        "type Alias = int\n"
        "def f(a):\n"
        "    if a:\n"
        "        return call(\n"
        "            a,\n"
        "            'head '\n"
        "            F'{a}'\n"
        "            rf'{a}\\d',\n"
        "        )\n"
        "    return {k: [Fr'{v}' for v in a] for k in a}\n"
    ),
}
LIBCST_DECIDES = {
    "type parameters with a string": "class Repo[\n    T: Literal['a'],\n]:\n    pass\n",
    "type parameters never closed": "class Repo[\n    T,\n",
    "a line in a string": "x = '''\nexcept A, B:\n'''\ntype Y = int\n",
    "newer f-string": "type Y = int\nx = f'{a['b']}'\n",
    "t-string": "type Y = int\ny = t'{x}'\n",
    "nothing newer": "x = 1\n",
    "except* (libcst reads none)": "try:\n    pass\nexcept* KeyError, TypeError:\n    pass\n",
    "f-string with bytes": "type Y = int\nx = (f'{a}' b'')\n",
}


@pytest.mark.parametrize("source", list(SAME.values()), ids=list(SAME))
def test_the_same_tree_as_libcst(source: str) -> None:
    with pytest.raises(SyntaxError):
        ast.parse(source)
    lines, full = downgraded_lines(source, "m.py"), downgraded_tree(source, "m.py")
    assert lines is not None
    assert full is not None
    assert ast.dump(lines) == ast.dump(full)
    statements = [
        (node.lineno, type(node)) for node in ast.walk(lines) if isinstance(node, ast.stmt)
    ]
    assert statements == [(n.lineno, type(n)) for n in ast.walk(full) if isinstance(n, ast.stmt)]


@pytest.mark.parametrize("source", list(LIBCST_DECIDES.values()), ids=list(LIBCST_DECIDES))
def test_what_it_cannot_tell_is_left_to_libcst(source: str) -> None:
    assert downgraded_lines(source, "m.py") is None


def test_a_file_rewritten_by_lines_never_loads_libcst(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(text: str, filename: str) -> ast.Module | None:
        raise AssertionError("libcst was asked")

    monkeypatch.setitem(sys.modules, "layercheck.newer_syntax", type(sys)("stand-in"))
    sys.modules["layercheck.newer_syntax"].downgraded_tree = refused  # type: ignore[attr-defined]
    errors = (
        "from fastapi import HTTPException\n\n\n"
        "class AppError(HTTPException):\n"
        "    pass\n\n\n"
        "def parse(x):\n"
        "    try:\n"
        "        return int(x)\n"
        "    except ValueError, TypeError:\n"
        "        return None\n"
    )
    users = "from app.core.errors import AppError\n\n\ndef get(user):\n    raise AppError(404)\n"
    write_project(tmp_path, {"app/core/errors.py": errors, "app/services/users.py": users})
    found = {(f.code, f.path.name) for f in check_project(tmp_path).findings}
    assert ("LC001", "errors.py") in found
    assert ("LC201", "users.py") in found, "AppError is known to be an HTTPException"
