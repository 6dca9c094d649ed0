"""The columns a run holds of every file (stats, settings keys, facts digests) answer as
the maps they replace did."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from layercheck.cache import NO_MTIME, facts_digest
from layercheck.facts import FileFacts
from layercheck.findings_cache import Digests, Keys, Rows, Stats, file_stat, stat_files


def _files(tmp_path: Path, count: int) -> list[str]:
    names = []
    for number in range(count):
        path = tmp_path / f"m{number}.py"
        path.write_text("x = 1\n" * number)
        os.utime(path, ns=(1_700_000_000_000_000_000 + number, 1_700_000_000_000_000_000 + number))
        names.append(str(path))
    return names


def test_stats_answer_as_stat_files_does(tmp_path: Path) -> None:
    names = [*_files(tmp_path, 300), str(tmp_path / "gone.py")]
    stats = Stats(Rows(names))
    expected = stat_files(names)
    assert dict(stats.items()) == expected
    assert list(stats) == list(expected)
    assert len(stats) == len(expected) == 301
    assert stats[str(tmp_path / "gone.py")] is None
    assert stats.get(names[299]) == expected[names[299]]
    assert stats.get("elsewhere.py", "no") == "no"
    assert "elsewhere.py" not in stats
    with pytest.raises(KeyError):
        stats["elsewhere.py"]


def test_a_stat_taken_a_moment_after_a_change_reads_as_no_mtime(tmp_path: Path) -> None:
    path = tmp_path / "new.py"
    path.write_text("x = 1\n")
    stats = Stats(Rows([str(path)]), now=path.stat().st_mtime_ns)
    assert stats[str(path)] == (NO_MTIME, 6)
    assert stats[str(path)] == file_stat(path, path.stat().st_mtime_ns)


def test_keys_hold_each_distinct_key_once() -> None:
    names = [f"/p/m{n}.py" for n in range(1000)]
    given = [("a" * 32, "b" * 32)[n % 3 == 0] for n in range(1000)]
    keys = Keys(Rows(names), given)
    assert dict(keys.items()) == dict(zip(names, given, strict=True))
    assert keys["/p/m3.py"] == "b" * 32
    assert keys.get("/p/other.py") is None
    assert len(keys) == 1000
    with pytest.raises(ValueError, match="one key a row"):
        Keys(Rows(names), given[:-1])


def test_a_path_named_twice_keeps_its_first_row() -> None:
    rows = Rows(["/p/a.py", "/p/b.py", "/p/a.py"])
    assert rows.names == ["/p/a.py", "/p/b.py"]
    assert rows.row("/p/a.py") == 0
    assert rows.row("/p/c.py") is None


def test_digests_answer_as_a_map_set_in_any_order() -> None:
    names = [f"/p/m{n}.py" for n in range(500)]
    digests = Digests(Rows(names))
    expected: dict[str, str] = {}
    for number in range(499, -1, -2):  # every other file, backwards
        facts = FileFacts(names[number], f"m{number}", False, None, False)
        digests[names[number]] = expected[names[number]] = facts_digest(facts)
    assert len(digests) == len(expected) == 250
    assert dict(digests.items()) == expected
    assert list(digests) == [name for name in names if name in expected]  # the rows' order
    assert digests.get(names[0]) is None
    assert names[0] not in digests
    assert digests[names[1]] == expected[names[1]]
    with pytest.raises(KeyError):
        digests[names[0]]
    with pytest.raises(KeyError):
        digests["/p/other.py"] = "0" * 32
    with pytest.raises(TypeError):
        del digests[names[1]]


def test_a_digest_of_another_shape_is_kept_as_given() -> None:
    names = ["/p/a.py", "/p/b.py", "/p/c.py"]
    digests = Digests(Rows(names))
    digests["/p/a.py"] = "ABCDEF" * 5 + "00"  # upper case: its bytes would read back lower
    digests["/p/b.py"] = "not hex"
    digests["/p/c.py"] = "0123456789abcdef" * 2
    assert dict(digests.items()) == {
        "/p/a.py": "ABCDEF" * 5 + "00",
        "/p/b.py": "not hex",
        "/p/c.py": "0123456789abcdef" * 2,
    }
    digests["/p/b.py"] = "fedcba9876543210" * 2  # set again, now of the usual shape
    assert digests["/p/b.py"] == "fedcba9876543210" * 2


def test_stat_columns_are_taken_once(tmp_path: Path) -> None:
    # Taken when made: a change after that is not seen, as a map of stats did not see it.
    names = _files(tmp_path, 2)
    stats = Stats(Rows(names))
    before = stats[names[1]]
    Path(names[1]).write_text("changed = True\n" * 5)
    assert stats[names[1]] == before
