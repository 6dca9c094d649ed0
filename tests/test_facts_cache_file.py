"""The facts cache's file: a run that changed a few entries appends them as a segment,
leaving the rest of the file as it was; a damaged or truncated segment makes the whole
file unknown, with the same findings; the file is written anew when the segments would
outgrow a quarter of the base, or when another process replaced it since it was read."""

from __future__ import annotations

import gc
import json
import os
import pickle
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from test_cache import (
    CACHE,
    DOMAIN,
    ERRORS,
    FILES,
    TARGETS,
    age,
    cache_files,
    entries,
    small_project,
)

from layercheck import cache
from layercheck.cache import FactsCache, facts_digest
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.discovery import source_file
from layercheck.engine import CheckResult, Engine
from layercheck.facts import FileFacts
from layercheck.loading import load_file
from layercheck.rules import CATALOG


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return small_project(tmp_path)


def run(root: Path, *, cache_on: bool = True) -> CheckResult:
    engine = Engine(Workspace(CATALOG, Overrides(no_cache=not cache_on), cwd=root), jobs=1)
    return engine.check([root / name for name in TARGETS])


def codes(result: CheckResult) -> list[tuple[str, str]]:
    return [(f.path.name, f.code) for f in result.findings]


def lines(root: Path) -> list[bytes]:
    (found,) = cache_files(root)
    data = found.read_bytes()
    assert data.endswith(b"\n")
    return data.splitlines()


def facts_of(root: Path, relative: str) -> FileFacts:
    workspace = Workspace(CATALOG, cwd=root)
    path = root / relative
    return load_file(source_file(path, workspace.settings_for(path.parent)), keep_tree=False).facts


def test_one_changed_file_appends_only_its_entry(project: Path) -> None:
    assert codes(run(project)) == [("users.py", "LC201")]
    (base,) = lines(project)
    errors = project / "app/core/errors.py"
    errors.write_text(DOMAIN)
    assert codes(run(project)) == []
    first, segment = lines(project)
    assert first == base  # the other entries are neither encoded nor written again
    changed = json.loads(segment)["payload"]
    assert list(changed) == [str(errors)]
    # Read back, the segment wins over the base.
    assert entries(project)[str(errors)]["sha256"] == changed[str(errors)]["sha256"]
    held = FactsCache(project / CACHE, project)
    assert len(held) == len(FILES)
    assert held.digest(errors) == facts_digest(facts_of(project, "app/core/errors.py"))
    # Nothing changed: nothing written.
    assert codes(run(project)) == []
    assert lines(project) == [first, segment]


def test_after_an_edit_each_file_is_stated_once_for_both_caches(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The findings cache states the project's files; the facts cache's lookups take
    those stats instead of stating every file again."""
    run(project)
    errors = project / "app/core/errors.py"
    errors.write_text(DOMAIN)
    age(project)
    stated: Counter[str] = Counter()
    real = os.stat

    def stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        stated[os.fspath(path)] += 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    found = codes(run(project))
    monkeypatch.undo()
    assert found == codes(run(project, cache_on=False)) == []
    # Not the targets: discovery states the paths named on the command line too.
    others = [name for name in FILES if name not in TARGETS]
    assert {name: stated[str(project / name)] for name in others} == dict.fromkeys(others, 1)
    # The edit was seen through those stats: the entry stored again.
    held = FactsCache(project / CACHE, project)
    assert held.digest(errors) == facts_digest(facts_of(project, "app/core/errors.py"))


def test_facts_looked_up_with_given_stats_hash_a_file_whose_stat_cannot_tell(
    project: Path,
) -> None:
    """A stat given with its mtime untrusted (a file modified a moment ago) is never
    taken for the stored one: the file is read and its hash decides; a file given as
    gone is a miss."""
    run(project)
    workspace = Workspace(CATALOG, cwd=project)
    path = project / "app/core/errors.py"
    file = source_file(path, workspace.settings_for(path.parent))
    facts = facts_of(project, "app/core/errors.py")
    size = path.stat().st_size
    racy = FactsCache(project / CACHE, project, {str(path): (cache.NO_MTIME, size)})
    assert racy.lookup(path, file.settings, lambda: facts) == facts
    path.write_text(DOMAIN)  # the same size: only the hash tells
    again = FactsCache(project / CACHE, project, {str(path): (cache.NO_MTIME, size)})
    found = again.lookup(path, file.settings, lambda: facts)
    assert isinstance(found, tuple)
    assert found[0] == DOMAIN.encode()
    gone = FactsCache(project / CACHE, project, {str(path): None})
    assert gone.lookup(path, file.settings, lambda: facts) is None


def test_a_dropped_entry_is_appended_as_null(project: Path) -> None:
    run(project)
    (project / "app/models/user.py").unlink()
    run(project)
    _, segment = lines(project)
    assert json.loads(segment)["payload"] == {str(project / "app/models/user.py"): None}
    assert str(project / "app/models/user.py") not in entries(project)
    assert len(FactsCache(project / CACHE, project)) == len(FILES) - 1


@pytest.mark.parametrize("damage", ["edited", "truncated", "unterminated"])
def test_a_damaged_segment_makes_the_file_unknown_with_the_same_findings(
    project: Path, damage: str
) -> None:
    errors = project / "app/core/errors.py"
    run(project)
    errors.write_text(DOMAIN)
    run(project)
    (path,) = cache_files(project)
    base, segment = path.read_bytes().splitlines()
    if damage == "edited":  # valid JSON, the checksum no longer matches
        broken = segment.replace(b'"size":', b'"size":1', 1)
        json.loads(broken)
        path.write_bytes(base + b"\n" + broken + b"\n")
    elif damage == "truncated":
        path.write_bytes(base + b"\n" + segment[: len(segment) // 2] + b"\n")
    else:  # a writer stopped before the line's end
        path.write_bytes(base + b"\n" + segment)
    assert len(FactsCache(project / CACHE, project)) == 0
    errors.write_text(ERRORS)
    age(project)
    assert codes(run(project)) == codes(run(project, cache_on=False)) == [("users.py", "LC201")]
    # Written anew: one base with every entry.
    assert len(lines(project)) == 1
    assert set(entries(project)) == {str(project / name) for name in FILES}


def test_segments_outgrowing_a_quarter_of_the_base_are_folded_into_a_new_base(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = project / "app/core/errors.py"
    run(project)
    errors.write_text(DOMAIN)
    run(project)
    assert len(lines(project)) == 2
    # A base so small against its segments that any segment outgrows its share.
    monkeypatch.setattr(cache, "SEGMENTS_SHARE", 1_000_000)
    errors.write_text(ERRORS)
    assert codes(run(project)) == [("users.py", "LC201")]
    (base,) = lines(project)
    assert (
        json.loads(base)["payload"][str(errors)]["sha256"]
        == entries(project)[str(errors)]["sha256"]
    )


def test_a_file_replaced_since_it_was_read_is_not_appended_to(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = project / "app/core/errors.py"
    run(project)
    settings = Workspace(CATALOG, cwd=project).settings_for(errors.parent)
    mine = FactsCache(project / CACHE, project)
    # Another process writes a new base (renamed over the file) after this one read it.
    (project / "app/models/user.py").unlink()
    other = FactsCache(project / CACHE, project)
    other.prune([])
    with monkeypatch.context() as patch:
        patch.setattr(cache, "SEGMENTS_SHARE", 1_000_000)
        other.save()
    assert len(FactsCache(project / CACHE, project)) == len(FILES) - 1
    errors.write_text(DOMAIN)
    stamp = cache.read_stamped(errors)[1]
    facts = facts_of(project, "app/core/errors.py")
    mine.store(errors, settings, stamp, facts)
    mine.save()
    # Not appended after the other file's base: a new one, whole and readable.
    assert len(lines(project)) == 1
    assert len(FactsCache(project / CACHE, project)) == len(FILES)
    assert FactsCache(project / CACHE, project).digest(errors) == facts_digest(facts)


def test_a_cold_run_writes_its_entries_as_they_come_into_the_file_a_held_cache_writes(
    tmp_path: Path,
) -> None:
    """Streamed (nothing held) or held and written at once, the same bytes."""
    root = small_project(tmp_path)
    settings = Workspace(CATALOG, cwd=root).settings_for(root)
    files = [
        (root / name, facts_of(root, name), cache.read_stamped(root / name)[1]) for name in FILES
    ]
    streamed = FactsCache(tmp_path / "a", root)
    streamed.stream()
    held = FactsCache(tmp_path / "b", root)
    for path, facts, stamp in files:
        for each in (streamed, held):
            each.store(path, settings, stamp, facts)
    assert streamed._entries == {}, "not held"
    assert len(streamed) == len(FILES)
    assert all(streamed.digest(path) == held.digest(path) for path, _, _ in files)
    streamed.save()
    held.save()
    assert streamed.path.read_bytes() == held.path.read_bytes()
    assert not any(item.name.endswith(".tmp") for item in (tmp_path / "a").iterdir())
    again = FactsCache(tmp_path / "a", root)
    assert len(again) == len(FILES)
    path, facts, _ = files[0]
    found: Any = again.lookup(path, settings, lambda: facts)
    assert found == facts


def test_facts_encoded_where_they_were_gathered_are_stored_as_the_facts_themselves(
    tmp_path: Path,
) -> None:
    """A worker encodes the facts for the cache (the parent never builds them as
    objects): the same entries, records and digests as from the facts."""
    root = small_project(tmp_path)
    settings = Workspace(CATALOG, cwd=root).settings_for(root)
    given = FactsCache(tmp_path / "a", root)
    encoded = FactsCache(tmp_path / "b", root)
    for name in FILES:
        path, facts = root / name, facts_of(root, name)
        stamp = cache.read_stamped(path)[1]
        given.store(path, settings, stamp, facts)
        sent = pickle.loads(pickle.dumps(cache.encode_facts(facts)))
        assert sent.digest == facts_digest(facts)
        encoded.store(path, settings, stamp, sent)
    given.save()
    encoded.save()
    assert given.path.read_bytes() == encoded.path.read_bytes()
    assert given.records_path.read_bytes() == encoded.records_path.read_bytes()
    again = FactsCache(tmp_path / "b", root)
    for name in FILES:
        facts = facts_of(root, name)
        found: Any = again.lookup(root / name, settings, lambda facts=facts: facts)
        assert found == facts


def test_a_stream_never_saved_leaves_nothing_behind(tmp_path: Path) -> None:
    root = small_project(tmp_path)
    settings = Workspace(CATALOG, cwd=root).settings_for(root)
    name = "app/core/errors.py"
    streamed = FactsCache(tmp_path / "c", root)
    streamed.stream()
    streamed.store(root / name, settings, cache.read_stamped(root / name)[1], facts_of(root, name))
    assert any(item.name.endswith(".tmp") for item in (tmp_path / "c").iterdir())
    del streamed
    gc.collect()
    assert not any(item.name.endswith(".tmp") for item in (tmp_path / "c").iterdir())


# -- the records file: each entry's tuple fields, read when asked for ------------------------


def records_of(root: Path) -> Path:
    (path,) = (root / CACHE).glob("records-*.json")
    return path


@pytest.mark.parametrize("damage", ["changed", "truncated", "missing"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_damaged_records_file_gives_the_same_findings(
    project: Path, damage: str, jobs: int
) -> None:
    def found() -> list[tuple[str, str]]:
        engine = Engine(Workspace(CATALOG, cwd=project), jobs=jobs)
        result = engine.check([project / name for name in TARGETS])
        assert not result.errors
        return codes(result)

    expected = codes(run(project, cache_on=False))
    assert found() == expected
    path = records_of(project)
    data = path.read_bytes()
    if damage == "changed":  # every record's bytes, the length kept
        path.write_bytes(bytes(byte ^ 1 for byte in data))
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.unlink()
    # An edit elsewhere: the project's facts are looked up, each record checked.
    errors = project / "app/core/errors.py"
    errors.write_text(errors.read_text() + "# edited\n")
    age(project)
    assert found() == expected
    # The entries whose record did not hold were stored again, with a record that does.
    held = FactsCache(project / CACHE, project)
    workspace = Workspace(CATALOG, cwd=project)
    for name in FILES:
        file = source_file(project / name, workspace.settings_for((project / name).parent))
        facts = facts_of(project, name)
        assert held.lookup(file.path, file.settings, lambda facts=facts: facts) == facts
    assert found() == expected


def test_an_entry_names_its_record_and_holds_no_text(project: Path) -> None:
    run(project)
    name = str(project / "app/core/errors.py")
    entry = entries(project)[name]
    stored = entry["facts"]
    assert isinstance(stored, list)
    assert not any(type(value) is str and value.startswith("[") for value in stored)
    offset, length, _ = entry["at"]  # type: ignore[misc]
    record = records_of(project).read_bytes()[offset : offset + length]
    # The class list is in the record, and the entry keeps the lengths of the texts.
    assert b'"AppError"' in record
    assert "AppError" not in json.dumps(stored)
    assert sum(value for value in stored if type(value) is int and value > 1) == length


def test_facts_read_their_fields_from_the_records_file_their_run_opened(
    project: Path,
) -> None:
    run(project)
    workspace = Workspace(CATALOG, cwd=project)
    path = project / "app/core/errors.py"
    file = source_file(path, workspace.settings_for(path.parent))
    held = FactsCache(project / CACHE, project)
    found = held.lookup(path, file.settings, lambda: facts_of(project, "app/core/errors.py"))
    assert isinstance(found, cache.CachedFacts)
    del held
    # Another run's new records file replaces the name: these facts keep what they read.
    records = records_of(project)
    records.with_name("other").write_bytes(b"\0" * records.stat().st_size)
    records.with_name("other").replace(records)
    assert found == facts_of(project, "app/core/errors.py")


def test_the_records_of_dropped_entries_are_left_out_of_a_new_records_file(
    project: Path,
) -> None:
    run(project)
    before = records_of(project).read_bytes()
    offset, length, _ = entries(project)[str(project / "app/models/user.py")]["at"]  # type: ignore[misc]
    dropped = before[offset : offset + length]
    (project / "app/models/user.py").unlink()
    errors = project / "app/core/errors.py"
    for text in (DOMAIN, ERRORS) * 6:
        errors.write_text(text)
        age(project)
        run(project)
    # Appended while the records nobody names stay under a quarter of those named, else
    # a new file with only the records named: it does not grow with each run.
    after = records_of(project).read_bytes()
    assert len(after) < 2 * len(before)
    assert dropped not in after
    assert str(project / "app/models/user.py") not in entries(project)
    assert codes(run(project)) == codes(run(project, cache_on=False))
