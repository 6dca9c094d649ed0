"""Local names to qualified names: imports, aliases, relative imports and scopes.

The unit tests drive `layercheck.names`; the project tests go through the real walker
with LC201, which fires exactly when a name resolves to `fastapi.HTTPException` (or a
project subclass of it).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support import check_project, write_project

from layercheck.names import ImportTable, resolve_relative


@pytest.mark.parametrize(
    ("module", "is_package", "level", "target", "expected"),
    [
        ("app.services.users", False, 0, "fastapi", "fastapi"),
        ("app.services.users", False, 1, None, "app.services"),
        ("app.services.users", False, 1, "errors", "app.services.errors"),
        ("app.services.users", False, 2, "errors", "app.errors"),
        ("app.services.users", False, 3, "lib.x", "lib.x"),
        ("app.services.users", False, 4, "x", None),  # beyond the top package
        ("app.services", True, 1, "users", "app.services.users"),  # from an __init__.py
        ("app.services", True, 2, "errors", "app.errors"),
        ("app.services", True, 3, "x", "x"),
        ("app.services", True, 4, "x", None),
        ("app", True, 1, None, "app"),
    ],
)
def test_resolve_relative(
    module: str, is_package: bool, level: int, target: str | None, expected: str | None
) -> None:
    assert resolve_relative(module, is_package, level, target) == expected


def bindings(
    source: str, module: str = "app.services.users", is_package: bool = False
) -> dict[str, str]:
    table = ImportTable(module, is_package)
    found: dict[str, str] = {}
    for node in ast.parse(source).body:
        assert isinstance(node, ast.Import | ast.ImportFrom)
        found.update(table.import_bindings(node))
    return found


def test_import_bindings() -> None:
    assert bindings(
        "import fastapi\n"
        "import fastapi.exceptions\n"
        "import fastapi.exceptions as fe\n"
        "from fastapi import HTTPException as HE, status\n"
        "from . import repo\n"
        "from ..errors import Gone\n"
        "from ...top import thing as t\n"
        "from x import *\n"
    ) == {
        "fastapi": "fastapi",
        "fe": "fastapi.exceptions",
        "HE": "fastapi.HTTPException",
        "status": "fastapi.status",
        "repo": "app.services.repo",
        "Gone": "app.errors.Gone",
        "t": "top.thing",
    }


def test_qualified_names_through_attributes() -> None:
    table = ImportTable("app.x", False)
    for node in ast.parse("import sqlalchemy as sa\nfrom fastapi import HTTPException\n").body:
        assert isinstance(node, ast.Import | ast.ImportFrom)
        for name, qualified in table.import_bindings(node):
            table.bind(name, qualified)

    def qualified(expression: str) -> str | None:
        return table.qualified(ast.parse(expression, mode="eval").body)

    assert qualified("sa.orm.Session") == "sqlalchemy.orm.Session"
    assert qualified("HTTPException") == "fastapi.HTTPException"
    assert qualified("unknown.thing") is None
    assert qualified("f().x") is None


# -- through the walker -----------------------------------------------------------------

ERRORS = "import fastapi\n\n\nclass Gone(fastapi.HTTPException):\n    pass\n"


def flagged(root: Path, files: dict[str, str]) -> set[tuple[str, int]]:
    write_project(root, files)
    result = check_project(root, select=("LC201",))
    return {(f.path.relative_to(root).as_posix(), f.start.row) for f in result.findings}


def test_aliases_and_module_imports(tmp_path: Path) -> None:
    source = (
        "import fastapi\n"
        "import fastapi.exceptions as fe\n"
        "from fastapi import HTTPException as HE\n"
        "from starlette import exceptions\n"
        "Alias = HE\n"
        "\n"
        "def f():\n"
        "    raise fastapi.HTTPException(1)\n"  # 8
        "def g():\n"
        "    raise fe.HTTPException(1)\n"  # 10
        "def h():\n"
        "    raise HE(1)\n"  # 12
        "def i():\n"
        "    raise exceptions.HTTPException(1)\n"  # 14
        "def j():\n"
        "    raise Alias(1)\n"  # 16
    )
    assert flagged(tmp_path, {"app/services/a.py": source}) == {
        ("app/services/a.py", row) for row in (8, 10, 12, 14, 16)
    }


def test_relative_imports_at_each_level(tmp_path: Path) -> None:
    raise_gone = "\n\ndef f():\n    raise Gone()\n"
    files = {
        "app/__init__.py": "",
        "app/errors.py": ERRORS,
        "app/services/__init__.py": "from ..errors import Gone" + raise_gone,
        "app/services/one.py": "from ..errors import Gone" + raise_gone,
        "app/services/sub/__init__.py": "from ...errors import Gone" + raise_gone,
        "app/services/sub/two.py": "from ...errors import Gone" + raise_gone,
        "app/services/sub/deep/__init__.py": "",
        "app/services/sub/deep/three.py": "from ....errors import Gone" + raise_gone,
        "app/services/sub/deep/pkg.py": "from .... import errors\n\n\n"
        "def f():\n    raise errors.Gone()\n",
        # too many dots for the package: resolves to nothing, so no finding
        "app/services/sub/deep/over.py": "from ......errors import Gone" + raise_gone,
    }
    assert flagged(tmp_path, files) == {
        ("app/services/__init__.py", 4),
        ("app/services/one.py", 4),
        ("app/services/sub/__init__.py", 4),
        ("app/services/sub/two.py", 4),
        ("app/services/sub/deep/three.py", 4),
        ("app/services/sub/deep/pkg.py", 5),
    }


def test_re_exports_and_subclasses_across_modules(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/core/__init__.py": "from .errors import Gone as Missing\n",
        "app/core/errors.py": ERRORS,
        "app/core/more.py": "from .errors import Gone\n\n\nclass Lost(Gone):\n    pass\n",
        "app/services/users.py": (
            "from app.core import Missing\nfrom app.core.more import Lost\n\n\n"
            "def f():\n    raise Missing()\n\n\ndef g():\n    raise Lost()\n"
        ),
    }
    assert flagged(tmp_path, files) == {
        ("app/services/users.py", 6),
        ("app/services/users.py", 10),
    }


def test_local_shadowing(tmp_path: Path) -> None:
    source = (
        "from fastapi import HTTPException\n"
        "\n"
        "def parameter(HTTPException):\n"
        "    raise HTTPException()\n"
        "def keyword_only(*, HTTPException=None):\n"
        "    raise HTTPException()\n"
        "def assigned():\n"
        "    HTTPException = ValueError\n"
        "    raise HTTPException()\n"
        "def nested_def():\n"
        "    def HTTPException():\n"
        "        pass\n"
        "    raise HTTPException()\n"
        "def lambda_parameter():\n"
        "    return lambda HTTPException: HTTPException()\n"
        "def loop():\n"
        "    for HTTPException in (ValueError,):\n"
        "        raise HTTPException()\n"
        "def not_shadowed():\n"
        "    raise HTTPException()\n"  # 20
        "def shadow_is_local_to_its_function():\n"
        "    def inner(HTTPException):\n"
        "        return HTTPException\n"
        "    raise HTTPException()\n"  # 24
    )
    assert flagged(tmp_path, {"app/services/a.py": source}) == {
        ("app/services/a.py", 20),
        ("app/services/a.py", 24),
    }


def test_class_scope_is_not_visible_from_methods(tmp_path: Path) -> None:
    source = (
        "class HTTPException(Exception):\n"
        "    pass\n"
        "\n"
        "class Service:\n"
        "    from fastapi import HTTPException\n"
        "    error = HTTPException(1)\n"  # 6: the class body sees its own import
        "\n"
        "    def method(self):\n"
        "        raise HTTPException()\n"  # the module's lookalike, not fastapi's
    )
    assert flagged(tmp_path, {"app/services/a.py": source}) == {("app/services/a.py", 6)}


def test_function_level_imports(tmp_path: Path) -> None:
    source = (
        "def f():\n"
        "    from fastapi import HTTPException as E\n"
        "    raise E(1)\n"  # 3
        "def g():\n"
        "    raise E(2)\n"  # the import above is f's, not g's
        "def h():\n"
        "    import fastapi\n"
        "    def inner():\n"
        "        raise fastapi.HTTPException(3)\n"  # 9: enclosing function's import
    )
    assert flagged(tmp_path, {"app/services/a.py": source}) == {
        ("app/services/a.py", 3),
        ("app/services/a.py", 9),
    }


def test_lookalike_module_level_class(tmp_path: Path) -> None:
    source = "class HTTPException(Exception):\n    pass\n\n\ndef f():\n    raise HTTPException()\n"
    assert flagged(tmp_path, {"app/services/a.py": source}) == set()


def test_global_and_nonlocal_names_are_not_locals() -> None:
    table = ImportTable("app.m", False)
    table.bind("engine", "app.db.engine")
    outer = ast.parse("def f(): pass").body[0]
    table.push(outer, is_class=False)
    table.bind_local("db")
    inner = ast.parse("def g(): pass").body[0]
    table.push(inner, is_class=False)
    table.declare(ast.Global(names=["engine"]))
    table.declare(ast.Nonlocal(names=["db"]))
    table.bind_local("engine")
    table.bind_local("db")
    assert table.lookup("engine") == "app.db.engine"
    scope = table.binding_scope("db")
    assert scope is not None
    assert scope.node is outer
    assert table.declared(inner, "db") == "nonlocal"
    assert table.declared(inner, "engine") == "global"
    assert table.declared(outer, "db") is None


def test_names_bound_in_inner_scopes_and_names_bound_nowhere() -> None:
    # A name never bound inside a def or class is looked up in the module scope alone;
    # one bound inside (by an import there too) is looked up scope by scope.
    table = ImportTable("app.m", False)
    table.module_scope["Session"] = "sqlalchemy.orm.Session"
    function = ast.parse("def f(): pass").body[0]
    table.push(function, is_class=False)
    table.bind("np", "numpy")
    assert table.lookup("np") == "numpy"
    assert table.lookup("len") is None
    assert table.binding_scope("len") is None
    assert table.lookup("Session") == "sqlalchemy.orm.Session"
    module_scope = table.binding_scope("Session")
    assert module_scope is not None
    assert module_scope.node is None
    table.bind_local("Session")
    assert table.lookup("Session") is None
    scope = table.binding_scope("Session")
    assert scope is not None
    assert scope.node is function
    table.pop()
    assert table.lookup("np") is None
    assert table.lookup("Session") == "sqlalchemy.orm.Session"


def test_a_scope_pushed_with_its_locals_is_one_pushed_then_bound() -> None:
    function = ast.parse("def f(a, b): pass").body[0]
    by_steps = ImportTable("app.m", False)
    at_once = ImportTable("app.m", False)
    for table in (by_steps, at_once):
        table.bind("a", "app.x.a")
        table.bind("os", "os")
    by_steps.push(function, is_class=False)
    by_steps.bind_local("a")
    by_steps.bind_local("b")
    before = at_once.generation
    at_once.push_locals(function, ["a", "b"])
    assert at_once.generation > before  # answers kept before the scope are stale
    assert at_once.scopes == by_steps.scopes
    assert at_once.bound_inside == by_steps.bound_inside
    for name in ("a", "b", "os", "len"):
        assert at_once.lookup(name) == by_steps.lookup(name)
        assert at_once.binding_scope(name) == by_steps.binding_scope(name)
