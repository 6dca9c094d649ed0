"""Facts hold each name once, however many files name it: the strings of facts gathered
in one process are interned, and so are those of facts that come back pickled from a
worker process (where every string would otherwise be a new object per file)."""

from __future__ import annotations

import ast
import pickle

from layercheck.extract import extract
from layercheck.facts import FileFacts
from layercheck.names import ImportTable

_SOURCE = """\
from sqlalchemy.orm import Mapped, mapped_column
from app.models.base import Base

class {name}(Base):
    id: Mapped[int] = mapped_column(primary_key=True)
"""


def _facts(module: str, name: str) -> FileFacts:
    tree = ast.parse(_SOURCE.format(name=name))
    table = ImportTable(module, False)
    return extract(
        tree, table, path=f"{module}.py", path_layer=None, is_test=False, detect_routes=True
    )


def _shared(one: FileFacts, other: FileFacts) -> None:
    assert one.imports[0].target == "sqlalchemy.orm.Mapped"
    assert one.imports[0].target is other.imports[0].target
    assert one.imports[0].from_module is other.imports[0].from_module
    assert dict(one.bindings)["Base"] is dict(other.bindings)["Base"]
    assert one.classes[0].attributes[0].annotation is other.classes[0].attributes[0].annotation


def test_two_files_naming_the_same_things_share_the_strings() -> None:
    _shared(_facts("app.models.user", "User"), _facts("app.models.team", "Team"))


def test_facts_from_another_process_share_the_strings_and_are_equal() -> None:
    one, other = _facts("app.models.user", "User"), _facts("app.models.team", "Team")
    # Each file in its own message, as batches from two workers arrive.
    received = [pickle.loads(pickle.dumps(item)) for item in (one, other)]
    assert received == [one, other]
    _shared(*received)
    assert received[0].bindings[0][1] is one.bindings[0][1]
