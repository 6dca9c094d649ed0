"""The warning about module names that miss the project's imports is kept in the cache
folder with a hash of what it reads: a run whose imports are unchanged (a function added
to one file) takes it from there; a changed import, or a record that cannot be trusted,
computes it again, with the same warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cache import age
from test_import_roots import _project

from layercheck import cache, roots_record
from layercheck.config.workspace import Workspace
from layercheck.discovery import source_file
from layercheck.engine import Engine
from layercheck.facts import FileFacts
from layercheck.loading import load_file
from layercheck.rules import CATALOG

TARGET = "server/app/routes/u0.py"


def warnings_of(root: Path) -> list[str]:
    result = Engine(Workspace(CATALOG, cwd=root), jobs=1).check([root / TARGET])
    return [line for line in result.warnings if "name no module" in line]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    _project(tmp_path)
    age(tmp_path)
    return tmp_path


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the warning was computed (not taken from the record)."""
    calls: list[int] = []
    real = roots_record.misrooted_imports_warning

    def counted(facts: list[FileFacts]) -> str | None:
        calls.append(len(facts))
        return real(facts)

    monkeypatch.setattr(roots_record, "misrooted_imports_warning", counted)
    return calls


def test_unchanged_imports_take_the_warning_from_the_record(
    project: Path, computed: list[int]
) -> None:
    (first,) = warnings_of(project)
    assert len(computed) == 1
    (project / TARGET).write_text(
        (project / TARGET).read_text() + "\n\ndef added() -> None:\n    pass\n"
    )
    assert warnings_of(project) == [first]
    assert len(computed) == 1


def test_after_an_edit_only_the_files_read_have_their_imports_hashed(
    project: Path, computed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each facts-cache entry keeps the hash of what the warning reads of its file: the
    key reads no cached file's imports (the file edited is read again, not cached)."""
    (first,) = warnings_of(project)
    (project / TARGET).write_text(
        (project / TARGET).read_text() + "\n\ndef added() -> None:\n    pass\n"
    )
    keyed: list[int] = []
    read: list[str] = []
    real_key = roots_record.inputs_key
    real_text, real_read = cache.CachedFacts.text_of, cache.CachedFacts._read

    def inputs_key(facts: list[FileFacts], code: str) -> str:
        keyed.append(len(facts))
        try:
            return real_key(facts, code)
        finally:
            keyed.append(-1)

    def text_of(self: cache.CachedFacts, name: str) -> str | None:
        if len(keyed) % 2:  # within the key (the index and the rules read some)
            read.append(self.path)
        return real_text(self, name)

    def decoded(self: cache.CachedFacts, name: str) -> object:
        if len(keyed) % 2 and name == "imports":
            read.append(self.path)
        return real_read(self, name)

    monkeypatch.setattr(roots_record, "inputs_key", inputs_key)
    monkeypatch.setattr(cache.CachedFacts, "text_of", text_of)
    monkeypatch.setattr(cache.CachedFacts, "_read", decoded)
    assert warnings_of(project) == [first]
    assert keyed[0] > 20
    assert read == []
    assert len(computed) == 1
    # The digest kept with an entry is the one its facts give.
    monkeypatch.undo()
    held = cache.FactsCache(project / ".layercheck_cache", project)
    workspace = Workspace(CATALOG, cwd=project)
    other = next(path for path in (project / "server").rglob("*.py") if path != project / TARGET)
    file = source_file(other, workspace.settings_for(other.parent))
    found = held.lookup(other, file.settings, lambda: load_file(file, keep_tree=False).facts)
    assert isinstance(found, cache.CachedFacts)
    assert found.roots is not None
    assert found.roots == cache.imports_digest(found.loaded())


def test_a_changed_import_computes_the_warning_again(project: Path, computed: list[int]) -> None:
    (first,) = warnings_of(project)
    (project / TARGET).write_text("import os\n")
    changed = warnings_of(project)
    assert len(computed) == 2
    assert changed != [first]  # one import fewer counted
    assert len(changed) == 1


def test_a_damaged_record_is_ignored(project: Path, computed: list[int]) -> None:
    (first,) = warnings_of(project)
    (record,) = (project / ".layercheck_cache").glob("roots-*.json")
    record.write_bytes(record.read_bytes().replace(b"name no module", b"name a module"))
    (project / TARGET).write_text((project / TARGET).read_text() + "\n\nX = 1\n")
    assert warnings_of(project) == [first]
    assert len(computed) == 2


def test_a_run_on_one_file_after_one_on_the_project_takes_its_warning(
    project: Path, computed: list[int]
) -> None:
    """The targets come first in a run's facts: the key reads them in the paths' order."""
    result = Engine(Workspace(CATALOG, cwd=project), jobs=1).check([project])
    (first,) = [line for line in result.warnings if "name no module" in line]
    assert len(computed) == 1
    (project / TARGET).write_text(
        (project / TARGET).read_text() + "\n\ndef added() -> None:\n    pass\n"
    )
    assert warnings_of(project) == [first]
    assert len(computed) == 1
