"""Imports that fixes add: placed where isort/ruff's `I` rules put them (their section,
module order, after the docstring and `__future__` imports), merged into an existing
`from x import ...` in name order, never duplicated, never rebinding a name."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from layercheck import edits
from layercheck.fixes.apply import apply_pass
from layercheck.fixes.unused import drop_unused_imports, place_added_imports
from layercheck.index import ProjectIndex
from layercheck.model import Applicability, Finding, Fix, Location
from layercheck.names import ImportTable
from layercheck.source import LineIndex


@dataclass
class View:
    text: str
    names: ImportTable = field(init=False)
    lines: LineIndex = field(init=False)
    ancestors: list[ast.AST] = field(init=False)
    index: ProjectIndex = field(default_factory=lambda: ProjectIndex([]))

    def __post_init__(self) -> None:
        tree = ast.parse(self.text)
        self.names = ImportTable("app.schemas", False)
        for stmt in tree.body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                for name, qualified in self.names.import_bindings(stmt):
                    self.names.bind(name, qualified)
        self.lines = LineIndex.from_text(self.text)
        self.ancestors = [tree]


def added(text: str, module: str, name: str) -> str:
    found = edits.ensure_import(View(text), module, name)
    assert found is not None
    fix = Fix(Applicability.SAFE, "add", found)
    at = Location(1, 1)
    return apply_pass(text, [Finding("LC999", "m", Path("x.py"), at, at, fix)]).text


@pytest.mark.parametrize(
    ("text", "module", "name", "expected"),
    [
        pytest.param(
            '"""Doc."""\n\nfrom __future__ import annotations\n\nimport os\n\n'
            "from pydantic import BaseModel\n\nfrom app.db import Base\n\nx = 1\n",
            "sqlalchemy",
            "func",
            '"""Doc."""\n\nfrom __future__ import annotations\n\nimport os\n\n'
            "from pydantic import BaseModel\nfrom sqlalchemy import func\n\n"
            "from app.db import Base\n\nx = 1\n",
            id="third-party after the modules it sorts after",
        ),
        pytest.param(
            "import os\n\nfrom sqlalchemy import Column\n# the session\n"
            "from sqlalchemy.orm import Session\n\nx = 1\n",
            "pydantic",
            "BaseModel",
            "import os\n\nfrom pydantic import BaseModel\nfrom sqlalchemy import Column\n"
            "# the session\nfrom sqlalchemy.orm import Session\n\nx = 1\n",
            id="third-party before the modules it sorts before",
        ),
        pytest.param(
            "import os\n\nfrom sqlalchemy import Column\n"
            "# the session\nfrom sqlalchemy.orm import Session\n\nx = 1\n",
            "sqlalchemy.ext",
            "asyncio",
            "import os\n\nfrom sqlalchemy import Column\nfrom sqlalchemy.ext import asyncio\n"
            "# the session\nfrom sqlalchemy.orm import Session\n\nx = 1\n",
            id="a comment stays with the import below it",
        ),
        pytest.param(
            "from __future__ import annotations\n\nfrom pydantic import BaseModel\n\nx = 1\n",
            "typing",
            "Annotated",
            "from __future__ import annotations\n\nfrom typing import Annotated\n\n"
            "from pydantic import BaseModel\n\nx = 1\n",
            id="a new stdlib section before third-party",
        ),
        pytest.param(
            "import os\n\nfrom .base import Schema\n\nx = 1\n",
            "pydantic",
            "ConfigDict",
            "import os\n\nfrom pydantic import ConfigDict\n\nfrom .base import Schema\n\nx = 1\n",
            id="a new third-party section between stdlib and local",
        ),
        pytest.param(
            "from app.models import User\n",
            "sqlalchemy",
            "func",
            "from sqlalchemy import func\n\nfrom app.models import User\n",
            id="before the project's own imports",
        ),
        pytest.param(
            "import os\nimport sys\n\nx = 1\n",
            "sqlalchemy",
            "func",
            "import os\nimport sys\n\nfrom sqlalchemy import func\n\nx = 1\n",
            id="a new last section",
        ),
        pytest.param(
            "import os",
            "sqlalchemy",
            "func",
            "import os\n\nfrom sqlalchemy import func",
            id="at the end of a file without a final line break",
        ),
        pytest.param(
            '"""Doc."""\n\nx = 1\n',
            "sqlalchemy",
            "func",
            '"""Doc."""\n\nfrom sqlalchemy import func\n\nx = 1\n',
            id="the first import, after the docstring",
        ),
        pytest.param(
            "from pydantic import BaseModel, validator\n",
            "pydantic",
            "field_validator",
            "from pydantic import BaseModel, field_validator, validator\n",
            id="merged in name order",
        ),
        pytest.param(
            "from pydantic import (\n    BaseModel,\n    validator,\n)\n",
            "pydantic",
            "ConfigDict",
            "from pydantic import (\n    BaseModel,\n    ConfigDict,\n    validator,\n)\n",
            id="merged in name order, one name per line",
        ),
        pytest.param(
            "from pydantic import validator, BaseModel\n",
            "pydantic",
            "ConfigDict",
            "from pydantic import validator, BaseModel, ConfigDict\n",
            id="unsorted names: appended",
        ),
        pytest.param(
            "from pydantic import BaseModel\n",
            "pydantic",
            "Field",
            "from pydantic import BaseModel, Field\n",
            id="appended when it sorts last",
        ),
    ],
)
def test_import_placement(text: str, module: str, name: str, expected: str) -> None:
    assert added(text, module, name) == expected


def test_an_imported_name_is_not_added_again() -> None:
    assert edits.ensure_import(View("from sqlalchemy import func\n"), "sqlalchemy", "func") == ()


def test_an_equivalent_import_counts() -> None:
    view = View("from typing_extensions import Annotated\n")
    assert edits.ensure_import(view, "typing", "Annotated") is None
    found = edits.ensure_import(
        view, "typing", "Annotated", also=frozenset({"typing_extensions.Annotated"})
    )
    assert found == ()


def test_a_name_bound_to_something_else_gets_no_import() -> None:
    assert edits.ensure_import(View("func = 1\n"), "sqlalchemy", "func") is None
    assert edits.ensure_import(View("from x import func\n"), "sqlalchemy", "func") is None


def test_an_import_is_removed_only_when_the_fix_left_it_unused() -> None:
    before = "from pydantic import BaseModel, validator\n\nv = validator\nB = BaseModel\n"
    after = "from pydantic import BaseModel, validator\n\nv = None\nB = BaseModel\n"
    assert (
        drop_unused_imports(before, after)
        == "from pydantic import BaseModel\n\nv = None\nB = BaseModel\n"
    )
    still = "from pydantic import BaseModel, validator\n\nv = None\nw = validator\nB = BaseModel\n"
    assert drop_unused_imports(before, still) == still
    unused_before = "from pydantic import BaseModel, validator\n\nB = BaseModel\n"
    assert drop_unused_imports(unused_before, unused_before) == unused_before


def test_imports_added_by_one_pass_are_placed_again_in_order() -> None:
    def sections(module: str) -> int:
        return edits.module_section(module, "app.prices", None)

    before = "from pydantic.types import condecimal\n\nx = condecimal\n"
    # Two fixes each opened a new stdlib section at the same place, in finding order.
    after = (
        "from typing import Annotated\n\n"
        "from decimal import Decimal\n\n"
        "from pydantic.types import condecimal\n\nx = condecimal\n"
    )
    assert place_added_imports(before, after, sections) == (
        "from decimal import Decimal\nfrom typing import Annotated\n\n"
        "from pydantic.types import condecimal\n\nx = condecimal\n"
    )
    one = "from typing import Annotated\n\n" + before
    assert place_added_imports(before, one, sections) == one


def test_a_file_with_many_fixes_is_walked_once_per_scope(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each fix asks for the module's quote and its bound names: they are gathered once per
    module and scope, not once per fix (a 10 MB file with thousands of fixes took
    minutes when every fix walked the whole module again)."""
    walks: list[str] = []
    first_quote, bindings = edits._first_quote, edits._bindings

    def counted_quote(view: edits.FileView, tree: ast.Module) -> str:
        walks.append("quote")
        return first_quote(view, tree)

    def counted_bindings(scope: ast.AST, *, nested: bool) -> frozenset[str]:
        walks.append("bindings")
        return bindings(scope, nested=nested)

    monkeypatch.setattr(edits, "_first_quote", counted_quote)
    monkeypatch.setattr(edits, "_bindings", counted_bindings)
    view = View("from pydantic import BaseModel\n\n" + "x = 'a'\n" * 50)
    for _ in range(200):
        assert edits.preferred_quote(view) == "'"
        assert edits.ensure_import(view, "pydantic", "Field") is not None
    assert walks.count("quote") == 1
    assert walks.count("bindings") == 1
