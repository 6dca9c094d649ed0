"""The language server after a save: the saved file's facts read again and the index
built from them and the kept facts of the others, the same index a rebuild gives; a
file created or deleted has the project's index rebuilt."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import give_profile_card_from_attributes

from layercheck.server.live import LiveChecker

SERVICE = "app/services/profile_service.py"
SCHEMAS = "app/schemas/profile.py"


def _codes(checker: LiveChecker, path: Path) -> list[str]:
    checked = checker.check(path, path.read_text(encoding="utf-8"))
    assert checked is not None
    return sorted(finding.code for finding in checked.findings)


def test_a_saved_file_updates_the_kept_index_as_a_rebuild_would(bad_app: Path) -> None:
    checker = LiveChecker(bad_app)
    service, schemas = bad_app / SERVICE, bad_app / SCHEMAS
    assert "LC607" in _codes(checker, service)
    kept = checker._indexes.index(checker.source_file(service))
    give_profile_card_from_attributes(schemas)
    checker.changed([schemas])
    refreshed = checker._indexes.index(checker.source_file(service))
    assert refreshed is not kept, "a new index"
    assert refreshed.by_path[str(service)] is kept.by_path[str(service)], "others kept"
    assert "LC607" not in _codes(checker, service)
    rebuilt = LiveChecker(bad_app)._indexes.index(checker.source_file(service))
    assert list(refreshed.by_path.items()) == list(rebuilt.by_path.items())
    assert list(refreshed.by_module) == list(rebuilt.by_module)


@pytest.mark.parametrize("change", ["created", "deleted"])
def test_a_file_created_or_deleted_has_the_index_rebuilt(bad_app: Path, change: str) -> None:
    checker = LiveChecker(bad_app)
    service = bad_app / SERVICE
    _codes(checker, service)
    kept = checker._indexes.index(checker.source_file(service))
    other = bad_app / "app/services/added.py"
    if change == "created":
        other.write_text("x = 1\n", encoding="utf-8")
    else:
        other = bad_app / SCHEMAS
        other.unlink()
    checker.changed([other])
    assert checker._indexes.roots() == []
    rebuilt = checker._indexes.index(checker.source_file(service))
    assert rebuilt is not kept
    assert (str(other) in rebuilt.by_path) == (change == "created")


def test_a_save_that_keeps_the_facts_keeps_the_index(bad_app: Path) -> None:
    """A comment or an edit inside a function changes no fact: no index is built again."""
    checker = LiveChecker(bad_app)
    service, schemas = bad_app / SERVICE, bad_app / SCHEMAS
    assert "LC607" in _codes(checker, service)
    kept = checker._indexes.index(checker.source_file(service))
    schemas.write_text(schemas.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    checker.changed([schemas])
    assert checker._indexes.index(checker.source_file(service)) is kept
    assert "LC607" in _codes(checker, service)
    give_profile_card_from_attributes(schemas)  # a fact changes: built again
    checker.changed([schemas])
    assert checker._indexes.index(checker.source_file(service)) is not kept
    assert "LC607" not in _codes(checker, service)
