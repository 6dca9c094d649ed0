"""Facts read back from the facts cache's file decode each non-empty tuple field when it
is first read (`CachedFacts`): they equal, hash, digest and pickle as the facts that were
stored, and a field no one reads stays JSON text."""

from __future__ import annotations

import functools
import pickle
from pathlib import Path
from typing import Any

import pytest
from test_cache import FILES, TARGETS, age, small_project

from layercheck import cache as cache_module
from layercheck import engine as engine_module
from layercheck import spill as spill_module
from layercheck.cache import CachedFacts, FactsCache, facts_digest, read_stamped, to_json
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.discovery import SourceFile, source_file
from layercheck.engine import Engine
from layercheck.facts import FileFacts
from layercheck.loading import bare_facts, load_file
from layercheck.rules import CATALOG

FIXTURES = Path(__file__).parent.parent / "fixtures"


def stored_and_read_back(
    tmp_path: Path, root: Path
) -> list[tuple[SourceFile, FileFacts, FileFacts | object]]:
    """Each file of the project at `root`: its record, its facts, and what a new cache
    object reads back after they were stored and saved."""
    workspace = Workspace(CATALOG, cwd=root)
    kept = FactsCache(tmp_path, root)
    stored: list[tuple[SourceFile, FileFacts]] = []
    for path in sorted(root.rglob("*.py")):
        file = source_file(path, workspace.settings_for(path.parent))
        facts = load_file(file, keep_tree=False).facts
        kept.store(path, file.settings, read_stamped(path)[1], facts)
        stored.append((file, facts))
    kept.save()
    back = FactsCache(tmp_path, root)
    return [
        (file, facts, back.lookup(file.path, file.settings, functools.partial(bare_facts, file)))
        for file, facts in stored
    ]


def test_every_fixture_reads_back_as_it_was_stored(tmp_path: Path) -> None:
    seen = 0
    for config in sorted(FIXTURES.rglob("pyproject.toml")):
        cache_dir = tmp_path / str(seen)
        for file, facts, found in stored_and_read_back(cache_dir, config.parent):
            assert isinstance(found, CachedFacts)
            assert found == facts
            assert facts == found
            assert hash(found) == hash(facts)
            assert to_json(found) == to_json(facts)
            # The digest stored with the entry (made from the fields' texts) is the
            # digest of the facts: the index and the findings cache key on it.
            back = FactsCache(cache_dir, config.parent)
            assert back.digest(file.path) == facts_digest(facts) == facts_digest(found)
            copy = pickle.loads(pickle.dumps(found))
            assert type(copy) is FileFacts
            assert copy == facts
            seen += 1
    assert seen > 50


def test_a_field_is_decoded_when_first_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = FIXTURES / "transitive_app"
    held = [(facts, found) for _, facts, found in stored_and_read_back(tmp_path, root)]
    facts, found = next(pair for pair in held if pair[0].imports and pair[0].bindings)
    assert isinstance(found, CachedFacts)
    imports_slot = FileFacts.__dict__["imports"]
    bindings_slot = FileFacts.__dict__["bindings"]
    with pytest.raises(AttributeError):
        imports_slot.__get__(found, FileFacts)  # still text
    assert found.imports == facts.imports
    assert imports_slot.__get__(found, FileFacts) is found.imports  # decoded once, kept
    with pytest.raises(AttributeError):
        bindings_slot.__get__(found, FileFacts)  # a field not read stays text
    # Read in passing: not kept once as many files as are kept decoded have fields set,
    # kept before (a small project decodes each field once).
    monkeypatch.setattr(cache_module, "KEPT_DECODED", 0)
    assert found.passing("bindings") == facts.bindings
    with pytest.raises(AttributeError):
        bindings_slot.__get__(found, FileFacts)
    monkeypatch.undo()
    assert found.passing("bindings") == facts.bindings
    assert bindings_slot.__get__(found, FileFacts) == facts.bindings


def test_spilled_facts_from_the_cache_give_the_findings_of_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spill_module, "DECODED", 2)  # every project here spills its fresh facts
    project = small_project(tmp_path)
    assert len(FILES) > 2

    def found(no_cache: bool) -> list[tuple[str, str, int]]:
        workspace = Workspace(CATALOG, Overrides(no_cache=no_cache), cwd=project)
        result = Engine(workspace, jobs=1).check([project / name for name in TARGETS])
        assert not result.errors
        return [(f.path.name, f.code, f.start.row) for f in result.findings]

    expected = found(no_cache=True)
    assert expected
    assert found(no_cache=False) == expected  # facts stored
    (project / TARGETS[0]).write_text((project / TARGETS[0]).read_text() + "\n# edited\n")
    age(project)
    kept: list[str] = []
    keep = spill_module.FactsSpill.keep

    def spying(spill: spill_module.FactsSpill, facts: Any, path: str | None = None) -> Any:
        kept.append(str(path))
        return keep(spill, facts, path)

    monkeypatch.setattr(spill_module.FactsSpill, "keep", spying)
    assert found(no_cache=False) == found(no_cache=True)  # the others' facts from the cache
    # Only the edited file's facts were spilled: cached facts decode as they are read,
    # and are not decoded whole to be pickled.
    assert Path(kept[0]).name == Path(TARGETS[0]).name
    assert len(kept) == 1 + len(FILES)  # the edited file, then the --no-cache run's


def test_a_record_read_to_check_it_is_kept_for_the_first_files_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = FIXTURES / "transitive_app"
    held = [(facts, found) for _, facts, found in stored_and_read_back(tmp_path, root)]
    with_fields = [(facts, found) for facts, found in held if facts.imports]
    assert with_fields
    for facts, found in with_fields:
        assert isinstance(found, CachedFacts)
        assert found._record is not None  # a small project: every record kept
        assert found.imports == facts.imports
    monkeypatch.setattr(cache_module, "KEPT_DECODED", 0)
    again = [(facts, found) for _, facts, found in stored_and_read_back(tmp_path / "b", root)]
    for facts, found in again:
        assert isinstance(found, CachedFacts)
        assert found._record is None  # read from the records file when asked for
        assert found == facts


def test_the_engine_asks_the_cache_about_the_path_as_the_bare_facts_say_it(
    tmp_path: Path,
) -> None:
    """The facts cache checks an entry's path-derived fields against the values the
    engine gives without building the file's bare facts: the same values, for every
    file of every fixture (packages, layers given by globs, outer folder words, tests,
    Alembic revisions)."""
    seen = 0
    for config in sorted(FIXTURES.rglob("pyproject.toml")):
        root = config.parent
        workspace = Workspace(CATALOG, cwd=root)
        for path in sorted(root.rglob("*.py")):
            file = source_file(path, workspace.settings_for(path.parent))
            assert engine_module._path_header(file) == cache_module.header_values(bare_facts(file))
            seen += 1
    assert seen > 100
