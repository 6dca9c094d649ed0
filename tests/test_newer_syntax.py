"""A file in syntax newer than the running Python still tells the index what it defines:
it is reported as LC001, and the other files' findings stay as they would be."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from support import check_project, write_project

from layercheck.newer_syntax import downgraded_tree

pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 14), reason="this Python reads all of it: nothing to downgrade"
)

DB = (
    "from typing import NewType\n\n"
    "from sqlalchemy.ext.asyncio import AsyncSession as _AsyncSession\n\n"
    "AsyncSession = NewType('AsyncSession', _AsyncSession)\n\n"
    "type Maker = int\n\n\n"
    "def first[T](items: list[T]) -> T:\n"
    "    return items[0]\n\n\n"
    "class Box[T]:\n"
    "    item: T\n\n\n"
    "def describe(row):\n"
    "    return f'{row['name']}: {row[\"id\"]}'\n\n\n"
    "def check():\n"
    "    try:\n"
    "        pass\n"
    "    except ValueError, TypeError:\n"
    "        pass\n"
)
REPO = (
    "from app.db import AsyncSession\n\n\n"
    "async def save(session: AsyncSession, user) -> None:\n"
    "    session.add(user)\n"
    "    await session.commit()\n"
)


def test_what_a_newer_file_defines_reaches_the_other_files(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/db.py": DB, "app/repositories/users.py": REPO})
    result = check_project(tmp_path)
    found = {(f.code, f.path.relative_to(tmp_path).as_posix()) for f in result.findings}
    assert ("LC502", "app/repositories/users.py") in found
    (problem,) = [f for f in result.findings if f.code == "LC001"]
    assert problem.path == tmp_path / "app/db.py"
    assert "run layercheck on a newer Python for its own findings" in problem.message


def test_a_real_syntax_error_gives_no_facts(tmp_path: Path) -> None:
    broken = "from sqlalchemy.orm import Session as AsyncSession\n\ndef f(:\n    pass\n"
    write_project(tmp_path, {"app/db.py": broken, "app/repositories/users.py": REPO})
    result = check_project(tmp_path)
    codes = sorted(f.code for f in result.findings)
    assert codes == ["LC001"]
    assert "newer Python" not in result.findings[0].message


def test_the_rewrite_keeps_every_statement_on_its_line() -> None:
    source = (
        "x = f'''{a['b']}\n"
        "\n"
        "{c}'''\n"
        "type Alias = dict[str, int]\n"
        "class Repo[T: object]:\n"
        "    def get[U](self) -> U: ...\n"
        "y = t'{x}'\n"
    )
    tree = downgraded_tree(source, "m.py")
    assert tree is not None
    assert isinstance(tree.body[1], ast.Assign)
    assert [n.lineno for n in tree.body] == [1, 4, 5, 7]


def test_what_libcst_cannot_read_either_is_none() -> None:
    assert downgraded_tree("def f(:\n    pass\n", "m.py") is None
