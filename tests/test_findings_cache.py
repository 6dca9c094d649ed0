"""The findings cache: a file reported on whose bytes, settings and project index are
unchanged is neither read nor parsed; a change in another file that changes the index
(a base class) makes its findings appear or vanish; a changed config or layercheck
version invalidates everything; results are the same with one worker or several, with
the cache or without."""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest
from support import FIXTURES, run_cli, write_project
from test_cache import (
    DOMAIN,
    ERRORS,
    ORDERS,
    TARGETS,
    USERS,
    age,
    findings_files,
    replace_keeping_stamp,
    small_project,
    spy_parse,
    spy_reads,
)

from layercheck import engine, envelope, findings_cache
from layercheck.cache import Stamp
from layercheck.config.loading import read_config
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.engine import CheckResult, Engine
from layercheck.facts import FileFacts
from layercheck.index import IndexState, ProjectIndex
from layercheck.layers import Layer
from layercheck.model import Finding, Location
from layercheck.parallel import FileOutcome
from layercheck.reads_file import ReadsAt, ReadsFile, encode_reads
from layercheck.rules import CATALOG


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return small_project(tmp_path)


def run(root: Path, *, jobs: int = 1, cache: bool = True) -> CheckResult:
    overrides = Overrides(no_cache=not cache)
    engine = Engine(Workspace(CATALOG, overrides, cwd=root), jobs=jobs)
    return engine.check([root / name for name in TARGETS])


def shown(result: CheckResult) -> list[tuple[str, int, str]]:
    return [(f.path.name, f.start.row, f.code) for f in result.findings]


LC201 = [("users.py", 5, "LC201")]


def test_a_warm_run_reads_and_parses_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shown(run(project)) == LC201
    read, parsed = spy_reads(monkeypatch), spy_parse(monkeypatch)
    warm = run(project)
    assert shown(warm) == LC201
    # Only the file with a finding is read, for its source lines; nothing is parsed.
    assert read == []
    assert parsed == []
    assert warm.layers == run(project, cache=False).layers


def test_a_finding_follows_a_base_class_in_another_module(project: Path) -> None:
    errors = project / "app/core/errors.py"
    assert shown(run(project)) == LC201
    errors.write_text(DOMAIN)  # AppError is no HTTPException any more
    assert shown(run(project)) == []
    assert shown(run(project)) == []
    errors.write_text(ERRORS)  # and is again
    assert shown(run(project)) == LC201
    age(project)
    assert shown(run(project)) == LC201


def test_an_edit_that_keeps_the_index_keeps_the_other_findings(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shown(run(project)) == LC201
    models = project / "app/models/user.py"
    models.write_text(models.read_text() + "# a comment: the same facts\n")
    age(project)
    parsed = spy_parse(monkeypatch)
    assert shown(run(project)) == LC201
    assert sorted(parsed) == [str(models)]  # its facts, nothing else


def spy_index(monkeypatch: pytest.MonkeyPatch) -> list[ProjectIndex]:
    """The indexes the engine builds from now on."""
    built: list[ProjectIndex] = []
    real = engine.ProjectIndex

    def build(facts: Iterable[FileFacts], state: IndexState | None = None) -> ProjectIndex:
        built.append(real(facts, state))
        return built[-1]

    monkeypatch.setattr(engine, "ProjectIndex", build)
    return built


def test_a_file_saved_a_moment_before_the_run_is_hashed_alone_on_the_next(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor saves a file and runs layercheck at once: its stamp cannot be trusted,
    so the run keeps the hash of the bytes the index read; the next run hashes that one
    file and builds no index."""
    assert shown(run(project)) == LC201
    users = project / "app/services/users.py"
    users.write_text(USERS + "# saved a moment ago\n")
    assert shown(run(project)) == LC201
    read, parsed, built = spy_reads(monkeypatch), spy_parse(monkeypatch), spy_index(monkeypatch)
    assert shown(run(project)) == LC201
    assert (read, parsed, built) == ([users], [], [])


def test_a_file_changed_again_within_its_stamp_is_seen(project: Path) -> None:
    """The hash, not the stamp, tells: new bytes of the same size and mtime."""
    assert shown(run(project)) == LC201
    users = project / "app/services/users.py"
    users.write_text(USERS + "#\n")
    assert shown(run(project)) == LC201
    replace_keeping_stamp(users, ORDERS + "#\n")
    assert shown(run(project)) == []
    assert shown(run(project, cache=False)) == []


def test_past_a_few_files_saved_a_moment_ago_the_index_is_built_again(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkout of a branch changes many files at once: their bytes are not held for
    the facts pass, and the next run tells them apart by building the index."""
    monkeypatch.setattr(engine, "_READ_EARLY", 0)
    assert shown(run(project)) == LC201
    users = project / "app/services/users.py"
    users.write_text(USERS + "# saved a moment ago\n")
    assert shown(run(project)) == LC201
    built = spy_index(monkeypatch)
    assert shown(run(project)) == LC201
    assert len(built) == 1


def test_a_changed_config_invalidates_everything(project: Path) -> None:
    assert shown(run(project)) == LC201
    config = project / "pyproject.toml"
    config.write_text(config.read_text().replace('"LC201"', '"LC202"'))
    read_config.cache_clear()  # this process read the config once already
    assert shown(run(project)) == []


def test_another_version_invalidates_everything(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shown(run(project)) == LC201
    (stored,) = findings_files(project)
    document = _header(stored)
    monkeypatch.setattr(findings_cache, "VERSION", "999.0")
    monkeypatch.setattr(findings_cache, "cache_file", lambda directory, root: stored)
    parsed = spy_parse(monkeypatch)
    assert shown(run(project)) == LC201
    assert sorted(parsed) == sorted(str(project / name) for name in TARGETS)
    assert _header(stored)["layercheck"] == "999.0" != document["layercheck"]


def _header(path: Path) -> dict[str, object]:
    header: dict[str, object] = json.loads(path.read_text().split(',"payload":', 1)[0] + "}")
    return header


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_same_findings_with_workers_and_the_cache(project: Path, jobs: int) -> None:
    uncached = run(project, cache=False)
    cold = run(project, jobs=jobs)
    warm = run(project, jobs=jobs)
    assert shown(uncached) == shown(cold) == shown(warm) == LC201
    assert uncached.findings == cold.findings == warm.findings
    assert uncached.layers == cold.layers == warm.layers


def test_jobs_option(project: Path) -> None:
    one = run_cli("-j", "1", "--no-cache", "--quiet", cwd=project)
    two = run_cli("--jobs", "2", "--quiet", cwd=project)
    assert (one.returncode, one.stdout) == (two.returncode, two.stdout) == (1, two.stdout)
    assert "users.py:5:11: LC201" in two.stdout
    bad = run_cli("-j", "0", cwd=project)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def test_shards_by_path_add_up_to_one_full_run(tmp_path: Path) -> None:
    """CI sharding: each shard passes its own paths, shares the cache folder (the facts,
    so the index is built once) and reports only its own files."""
    root = tmp_path / "bad_app"
    shutil.copytree(FIXTURES / "bad_app", root, ignore=shutil.ignore_patterns(".layercheck*"))
    age(root)
    shared = str(tmp_path / "shared-cache")
    full = run_cli("--output-format", "json", "--exit-zero", "--preview", "--no-cache", cwd=root)
    paths = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py"))
    assert len(paths) > 4
    paths.append("pyproject.toml")  # its own findings (LC004) need a shard that names it
    union: list[object] = []
    for shard in (paths[0::3], paths[1::3], paths[2::3]):
        proc = run_cli(
            "--output-format",
            "json",
            "--exit-zero",
            "--preview",
            "--cache-dir",
            shared,
            *shard,
            cwd=root,
        )
        assert (proc.returncode, proc.stderr) == (0, "")
        union.extend(json.loads(proc.stdout))
    expected = json.loads(full.stdout)
    assert expected, "the fixture has findings"
    assert sorted(union, key=_canonical) == sorted(expected, key=_canonical)


def _canonical(item: object) -> str:
    return json.dumps(item, sort_keys=True)


def test_ignore_noqa_and_declared_library_versions_are_part_of_the_key(tmp_path: Path) -> None:
    """Neither is a config key, yet both change findings: a warm cache must not hide a
    noqa'd finding from `--ignore-noqa`, nor keep Pydantic 2 findings quiet once the
    project moves to Pydantic 2."""
    write_project(
        tmp_path,
        {
            "requirements.txt": "pydantic<2\n",
            "app/services/users.py": (
                "from fastapi import HTTPException\n\n"
                "from app.schemas.user import User\n\n\n"
                "def f(user: User):\n"
                "    user.dict()\n"
                "    raise HTTPException(404)  # noqa: LC201\n"
            ),
            "app/schemas/user.py": (
                "from pydantic import BaseModel\n\n\nclass User(BaseModel):\n    name: str\n"
            ),
        },
    )

    def codes(*args: str) -> list[str]:
        proc = run_cli(
            "--output-format", "json", "--select", "LC201,LC602", *args, ".", cwd=tmp_path
        )
        assert proc.returncode in (0, 1), proc.stderr
        return sorted(item["code"] for item in json.loads(proc.stdout))

    assert codes() == []
    assert codes("--ignore-noqa") == ["LC201"]
    assert codes() == []
    (tmp_path / "requirements.txt").write_text("pydantic>=2\n", encoding="utf-8")
    assert codes() == codes("--no-cache") == ["LC602"]


def test_a_change_no_finding_read_rechecks_no_other_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index changes (a function more in a repository), but no question the targets'
    findings asked of it gets another answer: their findings come from the cache."""
    assert shown(run(project)) == LC201
    repository = project / "app/repositories/users.py"
    repository.write_text(repository.read_text() + "\n\ndef add(session, user):\n    pass\n")
    age(project)
    parsed = spy_parse(monkeypatch)
    assert shown(run(project)) == LC201
    assert sorted(parsed) == [str(repository)]  # its facts, no target's rules


def test_a_changed_base_class_rechecks_only_the_files_that_read_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert shown(run(project)) == LC201
    errors, users = project / "app/core/errors.py", project / "app/services/users.py"
    for text, expected in ((DOMAIN, []), (ERRORS, LC201)):
        errors.write_text(text)
        age(project)
        parsed = spy_parse(monkeypatch)
        assert shown(run(project)) == expected
        # errors.py for its facts; users.py, which raises AppError, for its findings;
        # not orders.py, which asks nothing about AppError.
        assert sorted(parsed) == sorted([str(errors), str(users)])
        assert shown(run(project, cache=False)) == expected


def _holds(reads: ReadsFile, at: object, asked: dict[str, str]) -> bool:
    return reads.hold(at, lambda question, answer: asked.get(question) == answer)


def _written(tmp_path: Path, files: int, per_file: int) -> tuple[Path, dict[str, ReadsAt]]:
    path = tmp_path / "reads.json"
    reads = ReadsFile(path, {})
    named = {
        f"f{n}": reads.add(encode_reads([(f"q{n * per_file + k}", "a") for k in range(per_file)]))
        for n in range(files)
    }
    return path, reads.finish(named)


def test_each_files_reads_are_one_record_written_as_they_come_and_read_alone(
    tmp_path: Path,
) -> None:
    """A cold run holds no read: each file's are on disk as soon as they arrive, and a
    reader parses only the record of the file it asks about."""
    path, named = _written(tmp_path, 40, 4)
    answers = {f"q{n}": "a" for n in range(160)}
    loaded = ReadsFile(path, named)
    assert all(_holds(loaded, named[f"f{n}"], answers) for n in range(40))
    assert not _holds(loaded, named["f3"], {**answers, "q12": "b"})
    assert not _holds(loaded, None, answers), "a file with no record holds nothing"
    fresh = tmp_path / "fresh.json"
    writing = ReadsFile(fresh, {})
    at = writing.add(encode_reads([("q0", "a")]))
    assert at[1] == len(encode_reads([("q0", "a")]))
    # On disk already, in the new file that is renamed over the old one at the end.
    (temporary,) = tmp_path.glob(".fresh.json.*.tmp")
    assert temporary.stat().st_size == at[1]
    assert not fresh.exists()
    assert writing.finish({"f": at}) == {"f": at}
    assert fresh.stat().st_size == at[1]
    assert not temporary.exists()


def test_the_reads_of_one_file_checked_again_are_appended_the_rest_left_alone(
    tmp_path: Path,
) -> None:
    """An editor saving one file of a large project: nothing else is read or rewritten."""
    path, named = _written(tmp_path, 40, 4)
    before = path.read_bytes()
    answers = {f"q{n}": "a" for n in range(160)}
    again = ReadsFile(path, named)
    named = again.finish({**named, "f3": again.add(encode_reads([("q12", "a"), ("q999", "b")]))})
    assert path.read_bytes().startswith(before)
    loaded = ReadsFile(path, named)
    assert all(_holds(loaded, named[f"f{n}"], answers) for n in range(40) if n != 3)
    assert _holds(loaded, named["f3"], {**answers, "q999": "b"})
    assert not _holds(loaded, named["f3"], answers), "the new record replaces the old"


def test_files_with_the_same_reads_share_one_record(tmp_path: Path) -> None:
    path = tmp_path / "reads.json"
    reads = ReadsFile(path, {})
    same = [(f'["inherits","app.models.m{n}.Model",["x.Base"]]', "a") for n in range(300)]
    named = reads.finish(
        {"f0": reads.add(encode_reads(same)), "f1": reads.add(encode_reads(list(same)))}
    )
    assert named["f0"] == named["f1"]
    assert path.stat().st_size == named["f0"][1]
    assert named["f0"][1] * 4 < len(json.dumps(same)), "stored compressed"
    loaded = ReadsFile(path, named)
    asked = dict(same)
    assert _holds(loaded, named["f0"], asked)
    assert _holds(loaded, named["f1"], asked)
    assert not _holds(loaded, named["f1"], {**asked, same[0][0]: "b"})


def test_a_damaged_record_holds_nothing_and_the_others_still_hold(tmp_path: Path) -> None:
    path, named = _written(tmp_path, 40, 4)
    offset = named["f5"][0]
    data = bytearray(path.read_bytes())
    data[offset + 3] ^= 1
    path.write_bytes(bytes(data))
    answers = {f"q{n}": "a" for n in range(160)}
    loaded = ReadsFile(path, named)
    assert not _holds(loaded, named["f5"], answers)
    assert _holds(loaded, named["f4"], answers)
    assert _holds(loaded, named["f6"], answers)
    assert not _holds(loaded, [offset, named["f5"][1] + 1, named["f5"][2]], answers)
    path.write_bytes(bytes(data[: named["f6"][0]]))  # cut short
    assert not _holds(ReadsFile(path, named), named["f7"], answers)


def test_the_reads_file_is_written_anew_when_dead_records_outgrow_a_quarter(
    tmp_path: Path,
) -> None:
    path, named = _written(tmp_path, 8, 1)
    sizes = []
    for round_ in range(12):  # each file checked again, one a run, with a new answer
        reads = ReadsFile(path, named)
        name = f"f{round_ % 8}"
        named = reads.finish(
            {**named, name: reads.add(encode_reads([(f"q{round_ % 8}", f"b{round_}")]))}
        )
        sizes.append(path.stat().st_size)
    live = sum(at[1] for at in named.values())
    assert max(sizes) <= live + live // 4 + max(at[1] for at in named.values())
    assert any(later < earlier for earlier, later in itertools.pairwise(sizes))
    loaded = ReadsFile(path, named)
    for round_ in range(4, 12):
        assert _holds(loaded, named[f"f{round_ % 8}"], {f"q{round_ % 8}": f"b{round_}"})
    # A file gone from the entries leaves its record behind at the next new file.
    reads = ReadsFile(path, {})
    kept = {name: at for name, at in named.items() if name != "f7"}
    kept = reads.finish({**kept, "f0": reads.add(encode_reads([("q0", "c")]))})
    assert sorted(kept) == [f"f{n}" for n in range(7)]
    assert path.stat().st_size == sum(at[1] for at in {tuple(at) for at in kept.values()})
    loaded = ReadsFile(path, kept)
    assert _holds(loaded, kept["f0"], {"q0": "c"})
    assert _holds(loaded, kept["f3"], {"q3": "b11"})


@pytest.mark.parametrize("sized", [False, True])
def test_a_findings_file_of_the_former_format_is_ignored(
    project: Path, monkeypatch: pytest.MonkeyPatch, sized: bool
) -> None:
    """The payload was one JSON document, `[{name: entry text, ...}, project, index,
    notes, found]`: such a file, even one that says it is of this format (and gives its
    payload's length), is an empty cache, never a crash."""
    assert shown(run(project)) == LC201
    (found,) = findings_files(project)
    header_text, payload = found.read_text().split(',"payload":', 1)
    lines = payload.split("\n")
    named = (line.split("\t", 1) for line in lines if line.startswith('"'))
    results = {json.loads(name): entry for name, entry in named}
    (record,) = (json.loads(line) for line in lines if line.startswith("["))
    old = json.dumps([results, *record], separators=(",", ":"))
    header = json.loads(header_text + "}")
    header["sha256"] = hashlib.sha256(old.encode()).hexdigest()
    if sized:
        header["length"] = f"{len(old.encode()):020d}"
    else:
        del header["length"]
    found.write_text(json.dumps(header, separators=(",", ":"))[:-1] + ',"payload":' + old + "}")
    parsed = spy_parse(monkeypatch)
    assert shown(run(project)) == LC201
    assert parsed, "checked again"
    parsed = spy_parse(monkeypatch)
    assert shown(run(project)) == LC201
    assert not parsed, "the file written again"


SETTINGS = (
    "from pydantic_settings import BaseSettings\n\n\n"
    "class Settings(BaseSettings):\n    debug: bool = False\n"
)
NO_SETTINGS = "class Settings:\n    debug: bool = False\n"


def test_a_settings_package_follows_a_settings_class_in_another_module(tmp_path: Path) -> None:
    """LC801 asks one derived answer (is this module where settings are read?), built
    from every class of the project: a `BaseSettings` subclass added to or removed from
    another module of the package moves the finding, with the cache as without it."""
    root = tmp_path / "project"
    root.mkdir()
    files = {
        "app/__init__.py": "",
        "app/config/__init__.py": "",
        "app/config/base.py": SETTINGS,
        "app/config/env.py": 'import os\n\nTOKEN = os.environ.get("TOKEN")\n',
    }
    write_project(root, files, 'select = ["LC801"]')
    age(root)

    def codes() -> tuple[list[tuple[str, int, str]], list[tuple[str, int, str]]]:
        engine = Engine(Workspace(CATALOG, Overrides(), cwd=root), jobs=1)
        cached = shown(engine.check([root]))
        plain = Engine(Workspace(CATALOG, Overrides(no_cache=True), cwd=root), jobs=1)
        return cached, shown(plain.check([root]))

    assert codes() == ([], [])
    (root / "app/config/base.py").write_text(NO_SETTINGS)
    age(root)
    assert codes() == ([("env.py", 3, "LC801")], [("env.py", 3, "LC801")])
    (root / "app/config/base.py").write_text(SETTINGS)
    age(root)
    assert codes() == ([], [])


def test_a_new_revision_in_another_file_moves_a_cached_migrations_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration reads the Alembic graph as one answer (`index.whole`), not one question
    a file of the project: a revision added elsewhere still makes an unchanged head's
    finding appear, and removed, go, with the cache as without it."""
    versions = tmp_path / "alembic/versions"
    versions.mkdir(parents=True)
    (tmp_path / "alembic/env.py").write_text("from alembic import context\n")
    (tmp_path / "pyproject.toml").write_text("[tool.layercheck]\n")
    (versions / "a1_users.py").write_text('revision = "a1"\ndown_revision = None\n')
    (versions / "b2_email.py").write_text('revision = "b2"\ndown_revision = "a1"\n')

    def heads(cache: bool) -> list[str]:
        overrides = Overrides(select=("LC705",), no_cache=not cache)
        found = Engine(Workspace(CATALOG, overrides, cwd=tmp_path)).check([tmp_path])
        return sorted(f.path.name for f in found.findings)

    assert heads(cache=True) == []
    age(tmp_path)
    assert heads(cache=True) == []
    (versions / "c3_tags.py").write_text('revision = "c3"\ndown_revision = "a1"\n')
    parsed = spy_parse(monkeypatch)
    assert heads(cache=True) == ["b2_email.py", "c3_tags.py"] == heads(cache=False)
    assert str(versions / "b2_email.py") in parsed
    (versions / "c3_tags.py").unlink()
    assert heads(cache=True) == [] == heads(cache=False)


def _findings_of(root: Path, n: int) -> list[Finding]:
    path = root / f"m{n}.py"
    message = f'message {n}: "{path}" \\ é'
    return (
        [Finding("LC201", message, path, Location(n + 1, 0), Location(n + 1, 4))] if n % 2 else []
    )


def _store_outcomes(cache: findings_cache.FindingsCache, root: Path, count: int) -> None:
    """`count` files' outcomes and reads, some with findings whose text needs escaping."""
    for n in range(count):
        path = root / f"m{n}.py"
        layer = Layer.SERVICES if n % 3 else None
        outcome = FileOutcome(str(path), layer, _findings_of(root, n))
        reads = cache.write_reads(encode_reads([(f"q{n % 4}", "answer")]))
        cache.store(Stamp(1_000 + n, 10 + n, f"{n:064x}"), "key", "index", outcome, reads)
    names = [str(root / f"m{n}.py") for n in range(count)]
    stats: dict[str, findings_cache.FileStat | None] = {
        name: (1_000 + n, 10 + n) for n, name in enumerate(names)
    }
    cache.record_project(dict.fromkeys(names, "key"), stats, "index", ["a note"])


def test_a_streamed_findings_file_reads_back_as_a_held_one(tmp_path: Path) -> None:
    """A cold run writes each entry as it is stored (nothing held): the same bytes as
    the entries held and written at once, and the same outcomes read back."""
    root = tmp_path / "project"
    streamed = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    streamed.stream()
    held = findings_cache.FindingsCache(tmp_path / "b", root, "rules")
    for each in (streamed, held):
        _store_outcomes(each, root, 7)
    assert streamed._results == {}, "not held"
    assert len(held._results) == 7
    streamed.save()
    held.save()
    assert streamed.path.read_bytes() == held.path.read_bytes()
    assert streamed.reads_path.read_bytes() == held.reads_path.read_bytes()
    assert not any(item.name.endswith(".tmp") for item in (tmp_path / "a").iterdir())
    again = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    assert again._results == held._results
    assert again.notes() == ["a note"]
    # Where each entry's reads are, read off its text's end, as the whole entry says.
    parsed = {name: json.loads(text)[-1] for name, text in again._results.items()}
    assert again._named() == {name: tuple(at) for name, at in parsed.items() if at is not None}
    assert len(again._named()) == 7
    for n in range(7):
        path = root / f"m{n}.py"
        outcome = again.outcome(path, "key", "index", (1_000 + n, 10 + n))
        assert outcome is not None
        assert outcome.findings == _findings_of(root, n)
        assert outcome.layer == (Layer.SERVICES if n % 3 else None)
        assert again.stamp_of(path) == (10 + n, f"{n:064x}")
        # Another index: the entry holds through its reads, read from the record named.
        holds = again.outcome(path, "key", "other", (1_000 + n, 10 + n), holds=lambda q, a: True)
        assert holds is not None
        assert (
            again.outcome(path, "key", "third", (1_000 + n, 10 + n), holds=lambda q, a: False)
            is None
        )


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 64])
def test_a_findings_file_read_a_piece_at_a_time_reads_as_a_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    """The file is read in pieces that may cut a name, an entry or an escape anywhere:
    the same entries as read whole; a byte changed anywhere is an empty cache."""
    root = tmp_path / "project"
    held = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    _store_outcomes(held, root, 5)
    held.save()
    monkeypatch.setattr(envelope, "_CHUNK", piece)
    again = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    assert again._results == held._results
    assert again.notes() == ["a note"]
    assert (
        again.unchanged(
            dict.fromkeys(held._project, "key"),
            {name: (1_000 + n, 10 + n) for n, name in enumerate(held._project)},
        )
        == "index"
    )
    data = held.path.read_bytes()
    start = data.index(b'"payload":')
    for at in range(start + 10, len(data), max(1, len(data) // 40)):
        changed = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
        held.path.write_bytes(changed)
        damaged = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
        assert damaged._results == {}
        assert damaged.notes() == []


def test_a_stream_never_saved_leaves_the_findings_file_as_it_was(tmp_path: Path) -> None:
    """A run that stops half-way (its cache dropped before `save`) damages nothing:
    the file of the last run is still there, whole, and no temporary file is left."""
    root = tmp_path / "project"
    directory = tmp_path / "cache"
    before = findings_cache.FindingsCache(directory, root, "other rules")
    _store_outcomes(before, root, 3)
    before.save()
    kept = before.path.read_bytes()
    streamed = findings_cache.FindingsCache(directory, root, "rules")
    streamed.stream()
    _store_outcomes(streamed, root, 5)
    assert any(item.name.endswith(".tmp") for item in directory.iterdir())
    del streamed
    gc.collect()
    assert not any(item.name.endswith(".tmp") for item in directory.iterdir())
    assert before.path.read_bytes() == kept
    again = findings_cache.FindingsCache(directory, root, "other rules")
    assert again.outcome(root / "m1.py", "key", "index", (1_001, 11)) is not None


def _edit_one(cache: findings_cache.FindingsCache, root: Path, count: int, n: int) -> None:
    """File `n` changed (its stamp, its findings) and checked against another index: what
    a run on one file after an edit stores."""
    path = root / f"m{n}.py"
    finding = Finding("LC202", "edited", path, Location(1, 0), Location(1, 2))
    reads = cache.write_reads(encode_reads([("q-edited", "answer")]))
    cache.store(
        Stamp(5_000, 99, "e" * 64), "key", "index2", FileOutcome(str(path), None, [finding]), reads
    )
    names = [str(root / f"m{k}.py") for k in range(count)]
    stats: dict[str, findings_cache.FileStat | None] = {
        name: (1_000 + k, 10 + k) for k, name in enumerate(names)
    }
    stats[str(path)] = (5_000, 99)
    cache.record_project(dict.fromkeys(names, "key"), stats, "index2", ["a note"])


def test_one_changed_entry_is_appended_and_reads_back_as_a_file_written_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that changed one entry appends it, and the project's changed record, as a
    segment: the file's bytes before it are not written again (nor is the file written
    whole), and it reads back as the same entries written whole."""
    root = tmp_path / "project"
    cache = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    _store_outcomes(cache, root, 40)
    cache.save()
    before = cache.path.read_bytes()
    inode = cache.path.stat().st_ino
    written: list[Path] = []
    real = findings_cache.write_sealed

    def spy(path: Path, *args: object, **kwargs: bool) -> int:
        written.append(path)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(findings_cache, "write_sealed", spy)
    edited = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    _edit_one(edited, root, 40, 7)
    edited.save()
    after = edited.path.read_bytes()
    assert written == [], "not written whole"
    assert edited.path.stat().st_ino == inode
    assert after.startswith(before)
    assert after.count(b"\n") == before.count(b"\n") + 1
    assert len(after) - len(before) < len(before) // 8, "the changed entry only"
    whole = findings_cache.FindingsCache(tmp_path / "b", root, "rules")
    _store_outcomes(whole, root, 40)
    _edit_one(whole, root, 40, 7)
    again = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    assert again._results == whole._results
    assert again._project == whole._project
    assert (again._index, again._notes, again._found) == ("index2", ["a note"], [])
    outcome = again.outcome(root / "m7.py", "key", "index2", (5_000, 99))
    assert outcome is not None
    assert [f.code for f in outcome.findings] == ["LC202"]
    stats = {name: (record[0], record[1]) for name, record in whole._project.items()}
    assert again.unchanged(dict.fromkeys(whole._project, "key"), stats) == "index2"
    # Another edit appends another segment; a third run reads both.
    _edit_one(again, root, 40, 8)
    again.save()
    assert written == []
    assert again.path.read_bytes().count(b"\n") == before.count(b"\n") + 2
    third = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    assert third.outcome(root / "m8.py", "key", "index2", (5_000, 99)) is not None
    assert third.outcome(root / "m7.py", "key", "index2", (5_000, 99)) is not None
    assert third.outcome(root / "m9.py", "key", "index", (1_009, 19)) is not None


def test_past_a_quarter_of_the_file_the_segments_are_written_into_a_new_one(
    tmp_path: Path,
) -> None:
    root = tmp_path / "project"
    cache = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    _store_outcomes(cache, root, 8)
    cache.save()
    for n in range(8):
        edited = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
        _edit_one(edited, root, 8, n)
        edited.save()
    lines = cache.path.read_bytes().count(b"\n")
    assert lines < 8 + 1 + 8, "written anew on the way"
    last = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    assert last.outcome(root / "m7.py", "key", "index2", (5_000, 99)) is not None


def test_a_damaged_or_cut_segment_is_an_empty_cache_and_a_cut_between_them_the_older_file(
    tmp_path: Path,
) -> None:
    """Each segment carries its checksum: a byte changed or cut anywhere in one makes
    the whole file an empty cache (never a wrong entry, never a crash); a file cut where
    a segment starts (a run that stopped before appending) is the file before it."""
    root = tmp_path / "project"
    cache = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    _store_outcomes(cache, root, 6)
    cache.save()
    before = cache.path.read_bytes()
    edited = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    _edit_one(edited, root, 6, 3)
    edited.save()
    after = edited.path.read_bytes()
    for at in range(len(before), len(after)):
        changed = after[:at] + bytes([after[at] ^ 0x01]) + after[at + 1 :]
        for damaged in (changed, after[:at]):
            if damaged == before:
                continue
            edited.path.write_bytes(damaged)
            loaded = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
            assert loaded._results == {}
            assert loaded.notes() == []
    edited.path.write_bytes(before)
    older = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    assert older.outcome(root / "m3.py", "key", "index", (1_003, 13)) is not None
    assert older.outcome(root / "m3.py", "key", "index2", (5_000, 99)) is None


def test_one_file_after_an_edit_decodes_no_other_entry_and_writes_no_whole_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editor on save: a run on the file just edited gives the findings of a run
    without the cache and of a full run, parses no other file's entry (where each
    entry's reads are is read off its text's end) and appends to the findings file
    instead of writing it whole."""
    assert shown(run(project)) == LC201
    users = project / "app/services/users.py"
    users.write_text(USERS + "# an edit\n")
    age(project)
    decoded: list[str] = []
    real_entry = findings_cache.FindingsCache._entry

    def entry(self: findings_cache.FindingsCache, name: str) -> list[object] | None:
        decoded.append(name)
        return real_entry(self, name)

    written: list[Path] = []
    real_write = findings_cache.write_sealed

    def write(path: Path, *args: object, **kwargs: bool) -> int:
        written.append(path)
        return real_write(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(findings_cache.FindingsCache, "_entry", entry)
    monkeypatch.setattr(findings_cache, "write_sealed", write)
    # A project of a few files: its segments may be as large as its base.
    monkeypatch.setattr("layercheck.cache.SEGMENTS_SHARE", 1)
    (found,) = findings_files(project)
    before = found.read_bytes()

    def one(cache: bool) -> list[tuple[str, int, str]]:
        overrides = Overrides(no_cache=not cache)
        return shown(Engine(Workspace(CATALOG, overrides, cwd=project)).check([users]))

    assert one(cache=True) == [("users.py", 5, "LC201")]
    assert set(decoded) <= {str(users)}
    assert written == []
    assert found.read_bytes().startswith(before)
    assert one(cache=False) == [("users.py", 5, "LC201")]
    monkeypatch.undo()
    assert shown(run(project)) == shown(run(project, cache=False)) == LC201


def test_the_entries_read_are_held_as_places_and_read_back_whatever_the_file_became(
    tmp_path: Path,
) -> None:
    """A loaded base holds where each entry is, not its text, and reads it back from the
    file as it was read: the same texts after another process appended a segment to
    that file and after another file was renamed over it."""
    root = tmp_path / "project"
    held = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    _store_outcomes(held, root, 6)
    held.save()
    texts = dict(held._results)
    again = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    places = again._results
    assert isinstance(places, findings_cache._Entries)
    assert all(isinstance(value, int) for value in places._map.values()), "no text held"
    inode = held.path.stat().st_ino
    other = findings_cache.FindingsCache(tmp_path / "a", root, "rules")
    _edit_one(other, root, 6, 2)
    other.save()
    assert held.path.stat().st_ino == inode, "appended to the file read"
    assert dict(again._results) == texts
    replacement = held.path.with_name("replacement")
    replacement.write_bytes(b"another file\n" * 100)
    replacement.replace(held.path)
    assert dict(again._results) == texts
    outcome = again.outcome(root / "m4.py", "key", "index", (1_004, 14))
    assert outcome is not None
    assert outcome.findings == _findings_of(root, 4)
    # A stored entry is held as its text; the others stay where they are.
    _edit_one(again, root, 6, 3)
    assert isinstance(places._map[str(root / "m3.py")], str)
    assert isinstance(places._map[str(root / "m5.py")], int)
