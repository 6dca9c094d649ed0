"""The facts cache: a file whose facts feed the index but that is not reported on is not
read or parsed again while its stamp (or hash) says it is unchanged; anything wrong with
the cache costs at most one warning, never the run.

Files are made older than the cache's "racy" window first: a file modified within it is
hashed on the next run whatever its stamp says, which would hide what is tested here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from projects import ONLY_LC201, run_flake8
from support import FIXTURES, run_cli, write_project

from layercheck import cache, engine, findings_cache, loading
from layercheck.cache import FactsCache, from_json, read_stamped, to_json
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.discovery import source_file
from layercheck.engine import Engine
from layercheck.facts import ClassFact, FileFacts, FunctionFact, RevisionFact
from layercheck.layers import Layer
from layercheck.loading import load_file
from layercheck.rules import CATALOG

ERRORS = "from fastapi import HTTPException\n\n\nclass AppError(HTTPException):\n    pass\n"
DOMAIN = ERRORS.replace("(HTTPException):", "(ValueError)   :")
"""The same size as ERRORS: AppError is no longer an HTTPException (no LC201)."""
USERS = "from app.core.errors import AppError\n\n\ndef get(user):\n    raise AppError(404)\n"
CLEAN = "def get(user):\n    return user\n"
ORDERS = CLEAN + "#" * (len(USERS) - len(CLEAN) - 1) + "\n"
"""Clean, and the same size as USERS."""
FILES = {
    "app/__init__.py": "",
    "app/core/errors.py": ERRORS,
    "app/services/users.py": USERS,
    "app/services/orders.py": ORDERS,
    "app/repositories/users.py": "def find(session):\n    return None\n",
    "app/models/user.py": "class User:\n    pass\n",
}
TARGETS = ("app/services/users.py", "app/services/orders.py")
FINDING = "app/services/users.py:5:11: LC201"
CACHE = ".layercheck_cache"


def age(root: Path, seconds: int = 600) -> None:
    """Every file under root modified `seconds` ago: outside the racy window."""
    then = time.time_ns() - seconds * 1_000_000_000
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(then, then))


def replace_keeping_stamp(path: Path, text: str) -> None:
    """New bytes, same size and mtime_ns: only reading the file can tell."""
    before = path.stat()
    data = text.encode()
    assert len(data) == before.st_size
    path.write_bytes(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def findings(root: Path, *args: str) -> list[str]:
    proc = run_cli("--quiet", *args, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stderr == ""
    return [
        line.split(" ", 2)[0] + " " + line.split(" ", 2)[1] for line in proc.stdout.splitlines()
    ]


def cache_files(root: Path) -> list[Path]:
    return sorted((root / CACHE).glob("facts-*.json"))


def findings_files(root: Path) -> list[Path]:
    return sorted((root / CACHE).glob("findings-*.json"))


def entries(root: Path) -> dict[str, dict[str, object]]:
    """The entries of the project's one cache file: its base, a JSON document on the
    first line, updated by the segments on the lines after it."""
    (found,) = cache_files(root)
    base, *segments = found.read_bytes().splitlines()
    document = json.loads(base)
    assert document["root"] == str(root)
    files: dict[str, dict[str, object]] = document["payload"]
    for line in segments:
        files.update(json.loads(line)["payload"])
    return {name: entry for name, entry in files.items() if entry is not None}


def small_project(tmp_path: Path) -> Path:
    """The small project of these tests (FILES, LC201 only), aged out of the racy window."""
    root = tmp_path / "project"
    root.mkdir()
    write_project(root, FILES, ONLY_LC201)
    age(root)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return small_project(tmp_path)


# -- facts <-> JSON ---------------------------------------------------------------------


def fixture_facts() -> Iterator[FileFacts]:
    for config in sorted(FIXTURES.rglob("pyproject.toml")):
        workspace = Workspace(CATALOG, cwd=config.parent)
        for path in sorted(config.parent.rglob("*.py")):
            file = source_file(path, workspace.settings_for(path.parent))
            yield load_file(file, keep_tree=False).facts


def test_facts_of_every_fixture_survive_a_json_round_trip() -> None:
    every = list(fixture_facts())
    text = json.dumps([to_json(facts) for facts in every])
    back = [from_json(item) for item in json.loads(text)]
    assert back == every
    assert all(type(facts.imports) is tuple for facts in back)
    # The fixtures exercise every shape the codec has: enums, None and nested dataclasses.
    layers = {facts.path_layer for facts in back}
    assert None in layers
    assert Layer.MIGRATIONS in layers
    assert any(not facts.parsed for facts in back)
    assert any(isinstance(facts.revision, RevisionFact) for facts in back)
    classes = [cls for facts in back for cls in facts.classes]
    assert all(isinstance(cls, ClassFact) for cls in classes)
    assert any(cls.attributes for cls in classes)
    assert any(cls.config for cls in classes)
    functions = [fn for facts in back for fn in facts.functions]
    assert all(isinstance(fn, FunctionFact) for fn in functions)
    assert any(fn.produces is None for fn in functions)
    assert any(fn.produces is not None and fn.yields_calls for fn in functions)


def test_malformed_facts_are_refused() -> None:
    facts = next(fixture_facts())
    good = json.loads(json.dumps(to_json(facts)))
    assert isinstance(good, list)
    for bad in (None, {}, "x", good[:-1], [*good, 1], [*good[:3], "nowhere", *good[4:]]):
        with pytest.raises(ValueError, match="malformed facts"):
            from_json(bad)


def test_the_format_follows_the_facts_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    before = cache.format_id()

    @dataclasses.dataclass(frozen=True)
    class Other:
        name: str

    cache.format_id.cache_clear()
    monkeypatch.setattr(cache, "FileFacts", Other)
    try:
        assert cache.format_id() != before
    finally:
        cache.format_id.cache_clear()


# -- warm runs ------------------------------------------------------------------------------


def test_a_warm_run_takes_the_facts_of_files_it_does_not_report_on(project: Path) -> None:
    assert findings(project, *TARGETS) == [FINDING]
    assert (project / CACHE / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (
        (project / CACHE / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert set(entries(project)) == {str(project / name) for name in FILES}
    assert not [p for p in (project / CACHE).iterdir() if p.name.endswith(".tmp")]

    # AppError stops being an HTTPException, behind an unchanged (mtime, size): only a run
    # that reads errors.py can know. The warm run does not read it, --no-cache does.
    replace_keeping_stamp(project / "app/core/errors.py", DOMAIN)
    assert findings(project, *TARGETS) == [FINDING]
    assert findings(project, *TARGETS, "--no-cache") == []
    # A target's findings are trusted by its stamp too, as ruff trusts its cache.
    replace_keeping_stamp(project / "app/core/errors.py", ERRORS)
    replace_keeping_stamp(project / "app/services/orders.py", USERS)
    assert findings(project, *TARGETS) == [FINDING]
    assert findings(project, *TARGETS, "--no-cache") == [
        FINDING.replace("users", "orders"),
        FINDING,
    ]


def test_a_changed_file_is_parsed_again(project: Path) -> None:
    assert findings(project, *TARGETS) == [FINDING]
    errors = project / "app/core/errors.py"
    errors.write_text(DOMAIN)  # same size, new mtime: hashed, differs, parsed
    assert findings(project, *TARGETS) == []
    errors.write_text(ERRORS + "\n")  # another size
    assert findings(project, *TARGETS) == [FINDING]
    digest = hashlib.sha256(errors.read_bytes()).hexdigest()
    assert entries(project)[str(errors)]["sha256"] == digest


def test_a_touched_file_is_hashed_not_parsed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = Workspace(CATALOG, cwd=project)
    targets = [project / name for name in TARGETS]
    Engine(workspace, jobs=1).check(targets)
    errors = project / "app/core/errors.py"
    later = time.time_ns() - 100 * 1_000_000_000
    os.utime(errors, ns=(later, later))
    parsed = spy_parse(monkeypatch)
    result = Engine(Workspace(CATALOG, cwd=project), jobs=1).check(targets)
    assert [f.code for f in result.findings] == ["LC201"]
    # Same facts, same index: the targets' findings come from the findings cache.
    assert parsed == []
    assert entries(project)[str(errors)]["mtime_ns"] == later  # the stamp caught up


def spy_parse(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    real = loading.parse

    def parse(text: str, filename: str) -> object:
        parsed.append(filename)
        return real(text, filename)

    monkeypatch.setattr(loading, "parse", parse)
    return parsed


def spy_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    read: list[Path] = []
    real_stamped, real_plain = cache.read_stamped, loading.read_regular_file

    def stamped(path: Path) -> tuple[bytes, cache.Stamp]:
        read.append(path)
        return real_stamped(path)

    def plain(path: Path) -> tuple[bytes, os.stat_result]:
        read.append(path)
        return real_plain(path)

    monkeypatch.setattr(cache, "read_stamped", stamped)
    monkeypatch.setattr(engine, "read_stamped", stamped)
    monkeypatch.setattr(findings_cache, "read_stamped", stamped)
    monkeypatch.setattr(loading, "read_regular_file", plain)
    return read


@pytest.mark.parametrize("jobs", [1, 2], ids=["one-process", "workers"])
def test_a_warm_run_reads_and_parses_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    targets = [project / name for name in TARGETS]
    cold = Engine(Workspace(CATALOG, cwd=project), jobs=jobs).check(targets)
    read, parsed = spy_reads(monkeypatch), spy_parse(monkeypatch)
    warm = Engine(Workspace(CATALOG, cwd=project), jobs=jobs).check(targets)
    assert warm.findings == cold.findings
    assert [f.code for f in warm.findings] == ["LC201"]
    # Nothing changed: no file read or parsed, in this process or any other.
    assert read == []
    assert parsed == []
    # Worker or not, a stale non-target is taken from the cache.
    replace_keeping_stamp(project / "app/core/errors.py", DOMAIN)
    stale = Engine(Workspace(CATALOG, cwd=project), jobs=jobs).check(targets)
    assert stale.findings == cold.findings


@pytest.mark.parametrize("fixture", ["bad_app", "errors_app"])
def test_warm_cold_and_uncached_runs_find_the_same(tmp_path: Path, fixture: str) -> None:
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root, ignore=shutil.ignore_patterns(CACHE))
    age(root)
    services = sorted(p.relative_to(root).as_posix() for p in root.glob("app/services/*.py"))
    assert services
    for args in (("--preview",), ("--preview", *services)):
        command = ("--output-format", "json", "--exit-zero", *args)
        shutil.rmtree(root / CACHE, ignore_errors=True)
        cold = run_cli(*command, cwd=root)
        assert cache_files(root)
        warm = run_cli(*command, cwd=root)
        uncached = run_cli(*command, "--no-cache", cwd=root)
        for proc in (cold, warm, uncached):
            assert (proc.returncode, proc.stderr) == (0, "")
        assert json.loads(cold.stdout), "the fixture has findings"
        assert warm.stdout == cold.stdout == uncached.stdout


# -- invalidation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"\x80\x81 not json",
        b"[]",
        b'{"layercheck": "0.1.0"}',
        "truncated",
        "edited",
    ],
    ids=["empty", "binary", "list", "no-files", "truncated", "edited-by-hand"],
)
def test_a_damaged_cache_file_is_ignored_and_rewritten(project: Path, damage: bytes | str) -> None:
    assert findings(project, *TARGETS) == [FINDING]
    (path,) = cache_files(project)
    (results,) = findings_files(project)
    for damaged, edit in ((path, b'"mtime_ns":'), (results, b"\t[")):
        good = damaged.read_bytes()
        if damage == "truncated":
            damaged.write_bytes(good[: len(good) // 2])
        elif damage == "edited":
            # Valid JSON (an entry's line, in the findings file), right version, the
            # checksum no longer matches.
            assert edit in good
            damaged.write_bytes(good.replace(edit, edit + b"1", 1))
            if damaged == path:
                json.loads(damaged.read_bytes())
        else:
            assert isinstance(damage, bytes)
            damaged.write_bytes(damage)
    replace_keeping_stamp(project / "app/core/errors.py", DOMAIN)
    # Nothing of the damaged files is believed: errors.py is read again.
    assert findings(project, *TARGETS) == []
    assert str(project / "app/core/errors.py") in entries(project)
    assert findings_files(project)


def test_other_settings_do_not_use_the_entries(project: Path) -> None:
    assert findings(project, *TARGETS) == [FINDING]
    replace_keeping_stamp(project / "app/core/errors.py", DOMAIN)
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + "detect-routes = false\n")
    assert findings(project, *TARGETS) == []


def test_another_version_does_not_use_the_entries(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets = [project / name for name in TARGETS]
    workspace = Workspace(CATALOG, cwd=project)
    settings = workspace.settings_for(project)
    key = cache.settings_key(settings)
    Engine(workspace, jobs=1).check(targets)
    replace_keeping_stamp(project / "app/core/errors.py", DOMAIN)
    (path,) = cache_files(project)

    assert len(FactsCache(project / CACHE, project)) == len(FILES)
    monkeypatch.setattr(cache, "VERSION", "999.0")
    assert cache.settings_key(settings) != key
    assert cache.cache_file(project / CACHE, project) != path
    assert len(FactsCache(project / CACHE, project)) == 0
    result = Engine(Workspace(CATALOG, cwd=project), jobs=1).check(targets)
    assert result.findings == []  # errors.py was read again

    # The version inside the file counts too, not only its name.
    monkeypatch.setattr(cache, "cache_file", lambda directory, root: path)
    assert len(FactsCache(project / CACHE, project)) == 0


def path_layer(entry: dict[str, object]) -> object:
    """The path layer an entry stores (a field stored as it is: the tuple fields are in
    the records file)."""
    stored = entry["facts"]
    assert isinstance(stored, list)
    return stored[[field.name for field in dataclasses.fields(FileFacts)].index("path_layer")]


def test_what_a_path_says_is_checked_again_on_a_hit(project: Path) -> None:
    """A file's layer and module name come from the files around it too: an Alembic
    `env.py` next to `versions/` makes the migrations, `__init__.py` files the module
    names outside the src roots. A hit must still agree with them."""
    revision = project / "alembic/versions/0001_first.py"
    revision.parent.mkdir(parents=True)
    revision.write_text("x = 1\n")
    age(project)
    assert findings(project, *TARGETS) == [FINDING]
    assert path_layer(entries(project)[str(revision)]) is None
    (project / "alembic/env.py").write_text("from alembic import context\n")
    assert findings(project, *TARGETS) == [FINDING]
    assert path_layer(entries(project)[str(revision)]) == Layer.MIGRATIONS.value


def test_entries_of_deleted_files_are_dropped(project: Path) -> None:
    assert findings(project, *TARGETS) == [FINDING]
    (project / "app/models/user.py").unlink()
    assert findings(project, *TARGETS) == [FINDING]
    assert str(project / "app/models/user.py") not in entries(project)
    assert str(project / "app/core/errors.py") in entries(project)


# -- options and failures -------------------------------------------------------------------


def test_no_cache_neither_reads_nor_writes(project: Path) -> None:
    assert findings(project, *TARGETS, "--no-cache") == [FINDING]
    assert not (project / CACHE).exists()


def test_cache_dir_option_and_config_key(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    assert findings(project, *TARGETS, "--cache-dir", str(elsewhere)) == [FINDING]
    assert not (project / CACHE).exists()
    assert len(list(elsewhere.glob("facts-*.json"))) == 1
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + 'cache-dir = "build/lc"\n')
    assert findings(project, *TARGETS) == [FINDING]
    assert len(list((project / "build/lc").glob("facts-*.json"))) == 1
    # Relative to the working folder, as ruff's --cache-dir.
    assert findings(project, *TARGETS, "--cache-dir", "here") == [FINDING]
    assert len(list((project / "here").glob("facts-*.json"))) == 1


def test_an_unwritable_cache_dir_warns_once(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        write_project(tmp_path / name, FILES, ONLY_LC201)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder\n")
    proc = run_cli("a", "b", "--quiet", "--cache-dir", str(blocker / "cache"), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        f"a/{FINDING} `AppError` used in a service; raise a domain exception instead",
        f"b/{FINDING} `AppError` used in a service; raise a domain exception instead",
    ]
    warnings = proc.stderr.splitlines()
    assert len(warnings) == 1, proc.stderr
    assert warnings[0].startswith(f"layercheck: warning: cannot write the cache in {blocker}")


def test_stdin_never_stores_the_stdin_file(project: Path) -> None:
    users = project / "app/services/users.py"
    source = USERS.replace("get(user)", "get(someone)").encode()
    proc = run_cli(
        "--quiet", "--stdin-filename", "app/services/users.py", "-", cwd=project, stdin=source
    )
    assert proc.returncode == 1, proc.stderr
    assert "users.py:5:11: LC201" in proc.stdout
    stored = entries(project)
    assert str(users) not in stored
    assert str(project / "app/core/errors.py") in stored
    # After a run that stores users.py from disk, stdin leaves that entry alone.
    assert findings(project, "app/services/users.py") == [FINDING]
    before = entries(project)[str(users)]
    run_cli("--stdin-filename", "app/services/users.py", "-", cwd=project, stdin=source)
    assert entries(project)[str(users)] == before
    assert before["sha256"] == hashlib.sha256(users.read_bytes()).hexdigest()


def test_the_flake8_plugin_uses_the_cache(project: Path) -> None:
    def lc201() -> list[str]:
        proc = run_flake8("--select", "LC", "app/services/users.py", cwd=project)
        assert proc.returncode in (0, 1), proc.stderr
        return [line.split(" ")[1] for line in proc.stdout.splitlines()]

    assert lc201() == ["LC201"]
    assert str(project / "app/core/errors.py") in entries(project)
    replace_keeping_stamp(project / "app/core/errors.py", DOMAIN)
    assert lc201() == ["LC201"]  # from the cache
    shutil.rmtree(project / CACHE)
    assert lc201() == []


def test_a_file_read_while_it_may_still_change_is_hashed_next_time(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.py"
    fresh.write_text("x = 1\n")
    data, stamp = read_stamped(fresh)
    assert data == b"x = 1\n"
    assert stamp.mtime_ns == cache.NO_MTIME
    age(tmp_path)
    assert read_stamped(fresh)[1].mtime_ns == fresh.stat().st_mtime_ns


def test_settings_carry_the_options(project: Path, tmp_path: Path) -> None:
    overrides = Overrides(no_cache=True, cache_dir=tmp_path / "x")
    settings = Workspace(CATALOG, overrides, cwd=project).settings_for(project)
    assert (settings.cache, settings.cache_dir) == (False, tmp_path / "x")
    default = Workspace(CATALOG, cwd=project).settings_for(project)
    assert (default.cache, default.cache_dir) == (True, project / CACHE)
