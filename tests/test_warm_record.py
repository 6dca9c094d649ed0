"""The warm record keeps each file's findings in its own compact form (a table of
strings, flat fixes, the project's files as columns): read back, they are the findings
written, in the order a run prints them, and the command line's concise report made
from them is the reporter's, byte for byte."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from layercheck import cli_warm, warm_record
from layercheck.findings_cache import _without_findings, decode_finding, encode_finding
from layercheck.model import Applicability, ChainLink, Edit, Finding, Fix, Location
from layercheck.report import REPORTERS
from layercheck.report._common import display_name, display_path
from layercheck.report.options import ReportOptions
from layercheck.warm_write import encode, from_stored

NAMES = ("app/routes/users.py", "app/services/users.py", "app/services/orders.py", "app/m.py")


def _finding(path: Path, row: int, column: int, code: str, fix: Fix | None = None) -> Finding:
    chain = (ChainLink("app.routes.users", "app.services.users", 3),) if code == "LC102" else ()
    end = Location(row, column + 4)
    return Finding(code, f"{code} at {row}", path, Location(row, column), end, fix, row, chain)


def _edit(row: int, text: str) -> Edit:
    return Edit(Location(row, 1), Location(row, 5), text)


def _project(root: Path) -> dict[Path, list[Finding]]:
    """Files under `root`, aged past the moment a change could hide behind their stat,
    and findings for three of them, each file's out of the order they are printed."""
    for name in NAMES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x = 1\n")
    (root / warm_record.FOLDER_NAME).mkdir()  # made now: writing the record changes no folder
    then = time.time_ns() - 600 * 1_000_000_000
    for path in [*root.rglob("*"), root]:
        os.utime(path, ns=(then, then))
    users, services, orders = (root / name for name in NAMES[:3])
    safe = Fix(Applicability.SAFE, "Use it", (_edit(4, "status"), _edit(9, "")))
    unsafe = Fix(Applicability.UNSAFE, "Drop it", (_edit(2, "pass"),))
    return {
        users: [
            _finding(users, 9, 3, "LC201", safe),
            _finding(users, 2, 7, "LC102"),
            _finding(users, 2, 7, "LC101", unsafe),
            _finding(users, 2, 1, "LC302", Fix(Applicability.SAFE, "Nothing to do", ())),
        ],
        services: [_finding(services, 1, 1, "LC201", safe)],
        orders: [_finding(orders, 5, 2, "LC301", unsafe), _finding(orders, 5, 2, "LC301")],
    }


def _write(root: Path, found: dict[Path, list[Finding]], listed: tuple[str, ...]) -> None:
    before: dict[str, warm_record.Stat] = {}
    for name in NAMES:
        status = (root / name).stat()
        before[str(root / name)] = [status.st_mtime_ns, status.st_size]
    kept = {
        str(root / name): [encode(item) for item in found.get(root / name, [])] for name in listed
    }
    folders = sorted({str((root / name).parent) for name in NAMES} | {str(root)})
    assert warm_record.write(root, os.getcwd(), before, kept.get, folders, [], lambda: True)
    warm_record.forget()


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)
    warm_record.forget()
    return tmp_path


def test_findings_read_back_as_written_in_printed_order(root: Path) -> None:
    found = _project(root)
    _write(root, found, NAMES[:3])
    warm, _ = warm_record.lookup(root)
    assert warm is not None
    for path, findings in found.items():
        printed = sorted(findings, key=lambda item: (item.start.row, item.start.column, item.code))
        assert warm.findings(str(path)) == [encode(item) for item in printed]
    assert warm.findings(str(root / "app/m.py")) is None  # in the project, not held
    assert warm.findings(str(root / "app/other.py")) is None  # not in the project


def test_a_held_file_without_findings_has_none(root: Path) -> None:
    _write(root, _project(root), NAMES)
    warm, _ = warm_record.lookup(root)
    assert warm is not None
    assert warm.findings(str(root / "app/m.py")) == []


def test_a_changed_file_of_the_project_makes_no_record(root: Path) -> None:
    _write(root, _project(root), NAMES)
    (root / "app/m.py").write_text("x = 22\n")
    os.utime(root / "app/m.py", ns=(0, 0))
    assert warm_record.lookup(root)[0] is None
    warm_record.forget()
    (root / "app/m.py").unlink()
    assert warm_record.lookup(root)[0] is None


def test_the_command_may_print_only_a_record_of_every_file(root: Path) -> None:
    """`command` is asked only when every file is held; a record of no file is none."""
    found = _project(root)
    before: dict[str, warm_record.Stat] = {}
    for name in NAMES:
        status = (root / name).stat()
        before[str(root / name)] = [status.st_mtime_ns, status.st_size]
    folders = sorted({str((root / name).parent) for name in NAMES} | {str(root)})
    asked: list[bool] = []

    def command() -> bool:
        asked.append(True)
        return True

    def held(count: int) -> Callable[[str], list[warm_record.Encoded] | None]:
        kept = {
            str(root / name): [encode(item) for item in found.get(root / name, [])]
            for name in NAMES[:count]
        }
        return kept.get

    write = warm_record.write
    assert not write(root, os.getcwd(), before, held(0), folders, [], command)
    folder = warm_record.record_file(root).parent
    left = [path.name for path in folder.iterdir()] if folder.exists() else []
    assert not [name for name in left if "warm-" in name], "nothing written, no temporary left"
    assert write(root, os.getcwd(), before, held(3), folders, [], command)
    warm = warm_record.lookup(root)[0]
    assert warm is not None
    assert not warm.command
    assert asked == []
    assert write(root, os.getcwd(), before, held(4), folders, [], command)
    warm = warm_record.lookup(root)[0]
    assert warm is not None
    assert warm.command
    assert asked == [True]


@pytest.mark.parametrize("quiet", [False, True])
@pytest.mark.parametrize("output_format", ["concise", "json", "grouped", "pylint"])
def test_the_report_from_the_record_is_the_reporters(
    root: Path, quiet: bool, output_format: str
) -> None:
    found = _project(root)
    _write(root, found, NAMES)
    every = sorted((item for items in found.values() for item in items), key=Finding.sort_key)
    expected = REPORTERS[output_format](every, ReportOptions(cwd=root, quiet=quiet))
    held = cli_warm._files([str(root / "app")])
    assert held is not None
    files, strings = held
    if output_format == "concise":
        printed = cli_warm._concise(files, strings, str(root), quiet)
    else:
        printed = cli_warm._report(files, strings, str(root), output_format, quiet)
    assert printed == (expected, len(every))
    assert "[*] 2 fixable" in REPORTERS["concise"](every, ReportOptions(cwd=root))


def test_a_record_of_another_shape_is_no_report(root: Path) -> None:
    _write(root, _project(root), NAMES)
    held = cli_warm._files([str(root)])
    assert held is not None
    files, strings = held
    name = str(root / NAMES[0])
    files[name] = [[*files[name][0][:2], "9", *files[name][0][3:]]]
    assert cli_warm._concise(files, strings, str(root), False) is None
    assert warm_record.resolved(files[name][0], strings) is None


@pytest.mark.parametrize(
    ("name", "cwd"),
    [
        ("/srv/app/routes/users.py", "/srv"),
        ("/srv/app/routes/users.py", "/srv/app/routes/users.py"),
        ("/srv/app/routes/users.py", "/"),
        ("/srv/app/routes/users.py", "/sr"),
        ("/srv/app/routes/users.py", "/srv/app/routes/users"),
        ("/srv/app/routes/users.py", "/elsewhere"),
    ],
)
def test_a_name_is_shown_as_its_path_is(name: str, cwd: str) -> None:
    if os.sep != "/":
        pytest.skip("POSIX names")
    assert display_name(name, cwd) == display_path(Path(name), Path(cwd))


def test_a_finding_as_the_findings_cache_stores_it_is_kept_as_encoded(root: Path) -> None:
    """The record is written from the findings cache's stored values, never decoded:
    they give what the finding decoded gives."""
    for findings in _project(root).values():
        for finding in findings:
            stored = json.loads(json.dumps(encode_finding(finding)))
            assert from_stored(stored) == encode(finding)
            assert from_stored(stored) == encode(decode_finding(stored))


@pytest.mark.parametrize(
    "damage",
    [
        lambda stored: stored[:7],
        lambda stored: [*stored[:3], [1], *stored[4:]],
        lambda stored: [*stored[:5], ["never", "Use it", []], *stored[6:]],
        lambda stored: [*stored[:5], ["safe", "Use it", [[[1, 1], [1]]]], *stored[6:]],
        lambda stored: [*stored[:7], [["a", "b"]]],
        lambda stored: "LC201",
    ],
    ids=["short", "location", "applicability", "edit", "chain", "text"],
)
def test_a_stored_finding_of_another_shape_is_none(
    root: Path, damage: Callable[[list[object]], object]
) -> None:
    [finding, *_] = next(iter(_project(root).values()))
    stored = json.loads(json.dumps(encode_finding(finding)))
    with pytest.raises(ValueError, match="shape"):
        from_stored(damage(stored))


def test_a_record_of_another_install_is_not_this_ones(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two development installs of one version: the record one wrote, its own modules
    unchanged, is not the other's."""
    found = _project(root)
    with monkeypatch.context() as patched:
        patched.setattr(warm_record, "_PACKAGE", str(root / "elsewhere" / "layercheck"))
        _write(root, found, NAMES)
    assert warm_record.lookup(root)[0] is None
    warm_record.forget()
    _write(root, found, NAMES)
    assert warm_record.lookup(root)[0] is not None


def test_a_file_named_and_modified_since_the_record_is_told_before_it_is_read(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = _project(root)
    _write(root, found, NAMES)
    edited = root / NAMES[1]
    edited.write_text("x = 2\n")

    def unread(where: Path, at: Path) -> None:
        raise AssertionError(f"{where} read")

    with monkeypatch.context() as patched:
        patched.setattr(warm_record, "_load", unread)
        assert warm_record.lookup(edited.parent, [str(edited)]) == (
            None,
            warm_record.record_file(root),
        )
    assert warm_record.lookup(edited.parent)[0] is None  # the full check: the same answer


def test_a_file_named_and_dated_ahead_is_left_to_the_full_check(root: Path) -> None:
    found = _project(root)
    ahead = time.time_ns() + 3600 * 1_000_000_000
    named = root / NAMES[1]
    os.utime(named, ns=(ahead, ahead))
    _write(root, found, NAMES)
    warm, _ = warm_record.lookup(named.parent, [str(named)])
    assert warm is not None
    assert warm.findings(str(named)) == [encode(item) for item in found[named]]


@pytest.mark.parametrize("reads", [None, [120, 48, "9f0c2a"]])
@pytest.mark.parametrize("layer", [None, "services", 'odd, [],"\\\\ layer'])
@pytest.mark.parametrize("mtime", [1_733_600_000_123_456_789, -1])
def test_an_entry_with_no_findings_is_read_as_json_reads_it(
    reads: list[object] | None, layer: str | None, mtime: int
) -> None:
    """The warm record's write reads most entries of the findings cache off their text:
    what it reads is what `json` reads, and an entry with findings is left to `json`."""
    values = [mtime, 412, "ab" * 32, "c1" * 16, "d2" * 16, layer, [], reads]
    text = json.dumps(values, separators=(",", ":"))
    read = _without_findings(text)
    assert read is not None
    assert read[:5] == values[:5]
    assert read[6] == []
    finding = _finding(Path("/srv/app/services/users.py"), 4, 2, "LC201")
    found = json.dumps([*values[:6], [encode_finding(finding)], reads], separators=(",", ":"))
    assert _without_findings(found) is None
    for other in ([*values[:2], 'a"b', *values[3:]], values[:7]):
        assert _without_findings(json.dumps(other, separators=(",", ":"))) is None


ODD_NAMES = (
    'app/a "quoted".py',
    "app/é\\back.py",
    "app/x.py",
    "app/x.py.py",
    "app/unlisted.py",
    "app/found.py",
    "app/clean.py",
)


def test_one_files_findings_are_read_without_the_others(root: Path) -> None:
    """`held` reads one file's entry from the findings' text, `found` decodes them all:
    the same lists, whatever the names (quotes, escapes, a name inside another, the
    record's own keys), and a file named alone decodes no other file's."""
    for name in ODD_NAMES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x = 1\n")
    (root / warm_record.FOLDER_NAME).mkdir()
    then = time.time_ns() - 600 * 1_000_000_000
    for path in [*root.rglob("*"), root]:
        os.utime(path, ns=(then, then))
    before: dict[str, warm_record.Stat] = {}
    kept: dict[str, list[warm_record.Encoded]] = {}
    for at, name in enumerate(ODD_NAMES):
        path = root / name
        status = path.stat()
        before[str(path)] = [status.st_mtime_ns, status.st_size]
        found = [_finding(path, row + 1, at + 1, f"LC20{row}") for row in range(at % 3)]
        kept[str(path)] = [encode(item) for item in found]
    folders = sorted({str((root / name).parent) for name in ODD_NAMES} | {str(root)})
    assert warm_record.write(root, os.getcwd(), before, kept.get, folders, [], lambda: True)
    for name in kept:
        warm_record.forget()
        warm, _ = warm_record.lookup(root)
        assert warm is not None
        assert warm.findings(name) == kept[name]
        assert warm._found is None, "no other file's findings decoded"
        assert warm.held(name) == warm.found.get(name)
        assert (warm.held(name) is None) == (not kept[name])
    warm_record.forget()
    warm, _ = warm_record.lookup(root)
    assert warm is not None
    assert warm.held(str(root / "app/other.py")) is None
    assert warm.held(str(root / "app")) is None
    assert set(warm.found) == {name for name, items in kept.items() if items}
