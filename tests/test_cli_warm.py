"""The command line's warm path: after a run on a folder wrote the warm record, a run on
the project, a folder of it or one file prints from the record, byte for byte what a run
without any cache prints, with nothing parsed and neither click nor the engine imported.
Any change the findings rest on (an edited file, a new file, the config, a base class in
another module) sends it back to the ordinary path, and the finding follows."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import ONLY_LC201, VIOLATION, run
from support import write_project
from test_flake8_warm import CACHE, ERRORS, FILES, NOT_HTTP

from layercheck import cli_warm, warm_record

PROBE = (
    "import ast, atexit, sys\n"
    "parsed = []\n"
    "real = ast.parse\n"
    "def parse(*args, **kwargs):\n"
    "    parsed.append(1)\n"
    "    return real(*args, **kwargs)\n"
    "ast.parse = parse\n"
    "def said():\n"
    "    heavy = [name for name in ('click', 'layercheck.engine', 'layercheck.rules')\n"
    "             if name in sys.modules]\n"
    "    print(f'probe: parsed {len(parsed)}, imported {heavy}', file=sys.stderr)\n"
    "atexit.register(said)\n"
    "sys.argv[0] = 'layercheck'\n"
    "from layercheck.entry import main\n"
    "main()\n"
)
WARM = "probe: parsed 0, imported []"


CLI_LINES = [
    "app/services/orders.py:5:11: LC201 `Gone` used in a service; raise a domain exception instead",
    "app/services/users.py:5:11: LC201 `HTTPException` used in a service; raise a domain "
    "exception instead",
]
FLAKE8_PROBE = (
    "import sys\n"
    "from flake8.main.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('engine imported:', 'layercheck.engine' in sys.modules, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def flake8(root: Path, *args: str) -> tuple[list[str], bool]:
    """flake8's LC findings, and whether its main process imported the engine."""
    command = (sys.executable, "-c", FLAKE8_PROBE, "--isolated", "--select", "LC", *args)
    proc = run(*command, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    imported = proc.stderr.strip().splitlines()[-1]
    found = sorted(line.removeprefix("./") for line in proc.stdout.splitlines())
    return found, imported.endswith("True")


def age(root: Path) -> None:
    """Every file and folder under root, root too, modified ten minutes ago: outside the
    window in which a change could keep its stamp."""
    then = time.time_ns() - 600 * 1_000_000_000
    for path in [*root.rglob("*"), root]:
        os.utime(path, ns=(then, then))


def layercheck(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], bool]:
    """`layercheck ARGS` in root, and whether the warm path answered (nothing parsed,
    neither click nor the engine nor the rules imported)."""
    proc = run(sys.executable, "-c", PROBE, *args, cwd=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    *said, probe = proc.stderr.splitlines()
    assert probe.startswith("probe: "), proc.stderr
    proc.stderr = "".join(line + "\n" for line in said)
    return proc, probe == WARM


def uncached(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    at = 1 if args[:1] == ("check",) else 0
    proc, warm = layercheck(root, *args[:at], "--no-cache", *args[at:])
    assert not warm
    return proc


def same(proc: subprocess.CompletedProcess[str], other: subprocess.CompletedProcess[str]) -> None:
    assert (proc.stdout, proc.stderr, proc.returncode) == (
        other.stdout,
        other.stderr,
        other.returncode,
    )


def settle(root: Path) -> None:
    """A run on the project's folder that writes the caches and the warm record, for a
    project no file of which changed a moment ago."""
    (root / CACHE).mkdir(exist_ok=True)
    age(root)
    proc, warm = layercheck(root, "app")
    assert proc.returncode == 1, proc.stderr
    assert not warm
    assert warm_record.record_file(root).is_file()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_project(tmp_path, FILES, ONLY_LC201)
    settle(tmp_path)
    return tmp_path


@pytest.mark.parametrize("output_format", sorted(cli_warm.FORMATS))
def test_the_warm_path_prints_what_a_run_without_cache_prints(
    project: Path, output_format: str
) -> None:
    for targets in ([], ["app/services/orders.py"]):
        args = ["--output-format", output_format, *targets]
        proc, warm = layercheck(project, *args)
        assert warm, (args, proc.stderr)
        same(proc, uncached(project, *args))
        assert proc.returncode == 1


@pytest.mark.parametrize("targets", [["."], ["app"], ["app/services"], ["app/errors.py"]])
def test_the_warm_path_on_the_project_a_folder_or_a_file(project: Path, targets: list[str]) -> None:
    proc, warm = layercheck(project, *targets)
    assert warm, proc.stderr
    same(proc, uncached(project, *targets))


def probe(modules: tuple[str, ...]) -> str:
    """A command line that runs layercheck, then prints which of `modules` it imported
    (`probe: [...]`, the last line of its stderr)."""
    return (
        "import sys\n"
        "sys.argv[0] = 'layercheck'\n"
        "from layercheck.entry import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        f"    print('probe:', [m for m in {modules!r} if m in sys.modules], file=sys.stderr)\n"
    )


LIGHT_PROBE = probe(("json", "re", "typing", "pathlib", "dataclasses", "layercheck.report"))


@pytest.mark.parametrize("targets", [["app/services/orders.py"], ["-q", "app"], []])
def test_the_concise_warm_path_imports_only_what_it_prints_with(
    project: Path, targets: list[str]
) -> None:
    """The record read without `json` (its decoder imports `re`, `re` imports `enum`),
    and the lines made without the report package and the model's dataclasses: more
    than the rest of a warm start put together."""
    proc = run(sys.executable, "-c", LIGHT_PROBE, *targets, cwd=project)
    *said, probe = proc.stderr.splitlines()
    assert probe == "probe: []", proc.stderr
    proc.stderr = "".join(line + "\n" for line in said)
    same(proc, uncached(project, *targets))


EDITED_PROBE = probe(("multiprocessing", "layercheck.baseline"))


def test_a_run_on_an_edited_file_imports_no_workers_and_no_baseline(project: Path) -> None:
    """The ordinary path on one file (an editor's save) starts no worker and reads no
    baseline: neither is imported."""
    edited = project / "app/services/orders.py"
    edited.write_text(edited.read_text() + "# edited\n")
    proc = run(sys.executable, "-c", EDITED_PROBE, "app/services/orders.py", cwd=project)
    *said, probe = proc.stderr.splitlines()
    assert probe == "probe: []", proc.stderr
    proc.stderr = "".join(line + "\n" for line in said)
    same(proc, uncached(project, "app/services/orders.py"))


@pytest.mark.parametrize(
    "args",
    [
        ["app/routes/users.py"],
        ["-q", "app/services/users.py"],
        ["--exit-zero", "app"],
        ["check", "--output-format=json", "app/services/users.py", "app/services"],
        ["app/routes", "app/services/users.py", "--", "app/errors.py"],
    ],
    ids=["clean-file", "quiet", "exit-zero", "check-and-repeats", "double-dash"],
)
def test_options_the_warm_path_takes(project: Path, args: list[str]) -> None:
    proc, warm = layercheck(project, *args)
    assert warm, proc.stderr
    same(proc, uncached(project, *args))


@pytest.mark.parametrize(
    "args",
    [
        ["--statistics", "app"],
        ["--select", "LC0", "app"],
        ["--output-format", "full", "app"],
        ["app/missing.py"],
        ["pyproject.toml"],
    ],
    ids=["statistics", "select", "full-format", "missing", "config-file"],
)
def test_other_requests_take_the_ordinary_path(project: Path, args: list[str]) -> None:
    proc, warm = layercheck(project, *args)
    assert not warm
    assert proc.returncode in (0, 1, 2)


def test_an_edited_file_takes_the_ordinary_path(project: Path) -> None:
    target = "app/services/users.py"
    assert layercheck(project, target)[1]
    (project / target).write_text("def get(user):\n    return user\n")
    proc, warm = layercheck(project, target)
    assert not warm
    assert proc.stdout == "All checks passed!\n"
    same(proc, uncached(project, target))


def test_a_new_file_takes_the_ordinary_path(project: Path) -> None:
    assert layercheck(project, "app/services/users.py")[1]
    (project / "app/services/extra.py").write_text(VIOLATION)
    proc, warm = layercheck(project, "app")
    assert not warm
    assert "app/services/extra.py:5:11: LC201" in proc.stdout
    same(proc, uncached(project, "app"))


def test_a_changed_config_takes_the_ordinary_path(project: Path) -> None:
    assert layercheck(project, "app")[1]
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + 'ignore = ["LC201"]\n')
    proc, warm = layercheck(project, "app")
    assert not warm
    assert proc.stdout == "All checks passed!\n"


@pytest.mark.parametrize("name", ["requirements-dev.txt", "pyproject.toml"])
def test_an_edited_settings_file_takes_the_ordinary_path(project: Path, name: str) -> None:
    # A requirements file says which library versions the project uses: what some
    # rules check depends on it, as on the config file.
    settings = project / name
    settings.write_text(settings.read_text() if settings.exists() else "fastapi\n")
    settle(project)
    assert layercheck(project, "app")[1]
    settings.write_text(settings.read_text() + "\n")
    age(project)  # not told apart by a moment-old stat: by the file's own
    proc, warm = layercheck(project, "app")
    assert not warm
    same(proc, uncached(project, "app"))


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [(ERRORS, NOT_HTTP, False), (NOT_HTTP, ERRORS, True)],
    ids=["finding-vanishes", "finding-appears"],
)
def test_a_base_class_changed_in_another_module(
    tmp_path: Path, before: str, after: str, expected: bool
) -> None:
    """`Gone` is defined in app/errors.py, which is not asked for."""
    write_project(tmp_path, {**FILES, "app/errors.py": before}, ONLY_LC201)
    settle(tmp_path)
    target = "app/services/orders.py"
    proc, warm = layercheck(tmp_path, target)
    assert warm
    assert ("LC201 `Gone`" in proc.stdout) is not expected
    (tmp_path / "app/errors.py").write_text(after)
    proc, warm = layercheck(tmp_path, target)
    assert not warm
    assert ("LC201 `Gone`" in proc.stdout) is expected
    same(proc, uncached(tmp_path, target))


def test_the_ordinary_path_writes_the_record_again(project: Path) -> None:
    target = "app/services/orders.py"
    (project / target).write_text(VIOLATION)
    age(project)
    assert not layercheck(project, ".")[1]
    again, warm = layercheck(project, target)
    assert warm
    assert again.stdout.startswith(f"{target}:5:11: LC201 `HTTPException` ")
    same(again, uncached(project, target))


def test_settings_that_fix_keep_the_command_line_off_the_record(tmp_path: Path) -> None:
    """`fix = true` makes a run fix files, which the record does not know how to do:
    flake8, which never fixes, writes the record and reads it; the command line does not."""
    write_project(tmp_path, FILES, ONLY_LC201 + "\nfix = true")
    (tmp_path / CACHE).mkdir()
    age(tmp_path)
    layercheck(tmp_path, "app")
    assert not warm_record.record_file(tmp_path).is_file()
    flake8(tmp_path, "-j1", "app")
    assert flake8(tmp_path, "-j1", "app") == (sorted(CLI_LINES), False)
    proc, warm = layercheck(tmp_path, "app/routes")
    assert not warm
    assert proc.stdout == "All checks passed!\n"


def test_flake8_with_jobs_after_a_run_reads_the_record(project: Path) -> None:
    """flake8's worker processes read the record the command line wrote: its findings
    are the command line's, and a forged one (written as the record writes it) is what
    flake8 prints."""
    assert flake8(project, "-j2", "app")[0] == sorted(CLI_LINES)
    where = warm_record.record_file(project)
    raw = where.read_bytes()
    cut = raw.index(b',"payload":')
    payload = json.loads(raw[cut + len(b',"payload":') : -1])
    name = str(project / "app/routes/users.py")
    strings = payload["strings"]
    strings.extend(["LC999", "forged"])
    code, message = len(strings) - 2, len(strings) - 1
    payload["found"][name] = [[code, message, 1, 1, 1, 2, None, None, []]]
    text = json.dumps(payload, separators=(",", ":"))
    header = json.loads(raw[:cut] + b"}")
    header["checksum"] = warm_record.sealed(text.encode())
    where.write_text(json.dumps(header, separators=(",", ":"))[:-1] + ',"payload":' + text + "}")
    found, _ = flake8(project, "-j2", "app")
    assert found == sorted([*CLI_LINES, "app/routes/users.py:1:1: LC999 forged"])
    proc, warm = layercheck(project, "app/routes/users.py")
    assert warm
    assert proc.stdout.startswith("app/routes/users.py:1:1: LC999 forged\n")


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw.replace(b"LC201", b"LC202"),
        lambda raw: raw[: len(raw) // 2],
        lambda raw: b'{"root":"/elsewhere","format":2' + raw[raw.index(b',"checksum"') :],
    ],
    ids=["edited", "truncated", "foreign"],
)
def test_a_damaged_record_is_ignored_and_written_again(
    project: Path, damage: Callable[[bytes], bytes]
) -> None:
    where = warm_record.record_file(project)
    where.write_bytes(damage(where.read_bytes()))
    proc, warm = layercheck(project, "app")
    assert not warm
    same(proc, uncached(project, "app"))
    again, warm = layercheck(project, "app")
    assert warm
    same(again, proc)


def test_a_run_over_a_folder_of_projects_writes_each_projects_record(tmp_path: Path) -> None:
    """`layercheck corpus/`, where corpus/ is no project but holds two: each project's
    record is written, so flake8's jobs and a later run on either project from the same
    working folder are warm."""
    corpus = tmp_path / "corpus"
    for name in ("one", "two"):
        (corpus / name).mkdir(parents=True)
        write_project(corpus / name, FILES, ONLY_LC201)
        (corpus / name / CACHE).mkdir()
    age(corpus)
    proc, warm = layercheck(tmp_path, "corpus")
    assert proc.returncode == 1, proc.stderr
    assert not warm
    for name in ("one", "two"):
        assert warm_record.record_file(corpus / name).is_file()
        app = f"corpus/{name}/app"
        proc, warm = layercheck(tmp_path, app)
        assert warm, proc.stderr
        same(proc, uncached(tmp_path, app))
        lines = sorted(f"corpus/{name}/{line}" for line in CLI_LINES)
        assert flake8(tmp_path, "-j2", app) == (lines, False)


def test_a_run_a_moment_after_a_save_writes_the_record(project: Path) -> None:
    """An editor saves a file and runs layercheck on the project at once: the record is
    still written, so the next run is warm."""
    target = "app/services/users.py"
    (project / target).write_text(VIOLATION + "# saved\n")
    proc, warm = layercheck(project, "app")
    assert not warm
    again, warm = layercheck(project, "app")
    assert warm
    same(again, proc)
    same(again, uncached(project, "app"))


def _record(root: Path, saved: Path, hashed: dict[str, str]) -> bool:
    """The record of `root`, with `saved` stated a moment after its change (no mtime)."""
    files = sorted(root.rglob("*.py"))
    before: dict[str, warm_record.Stat] = {}
    for path in files:
        status = path.stat()
        mtime = -1 if path == saved else status.st_mtime_ns
        before[str(path)] = [mtime, status.st_size]
    folders = sorted({str(path.parent) for path in files} | {str(root)})
    listed: dict[str, list[warm_record.Encoded]] = {str(path): [] for path in files}
    return warm_record.write(
        root, os.getcwd(), before, listed.get, folders, [], lambda: True, hashed
    )


def test_a_file_saved_a_moment_before_is_kept_by_its_hash(tmp_path: Path) -> None:
    """Its stat may stay the same through another change: its bytes are checked on every
    load, and bytes of the same size behind the same mtime are seen."""
    write_project(tmp_path, FILES, ONLY_LC201)
    (tmp_path / CACHE).mkdir()
    age(tmp_path)
    saved = tmp_path / "app/services/users.py"
    saved.write_text("x = 1\n")
    sha = hashlib.sha256(saved.read_bytes()).hexdigest()
    assert not _record(tmp_path, saved, {})  # no hash: not written
    assert not _record(tmp_path, saved, {str(saved): "0" * 64})  # not those bytes
    assert not warm_record.record_file(tmp_path).exists()
    assert _record(tmp_path, saved, {str(saved): sha})
    assert warm_record.lookup(tmp_path)[0] is not None
    then = saved.stat().st_mtime_ns
    saved.write_text("x = 2\n")
    os.utime(saved, ns=(then, then))
    warm_record.forget()
    assert warm_record.lookup(tmp_path)[0] is None
    saved.write_text("x = 1\n")
    os.utime(saved, ns=(then, then))
    warm_record.forget()
    assert warm_record.lookup(tmp_path)[0] is not None


def test_no_record_past_the_files_that_may_be_hashed(tmp_path: Path) -> None:
    write_project(tmp_path, FILES, ONLY_LC201)
    (tmp_path / CACHE).mkdir()
    age(tmp_path)
    many = [tmp_path / f"app/m{n}.py" for n in range(warm_record.HASHED_AT_MOST + 1)]
    hashed: dict[str, str] = {}
    for path in many:
        path.write_text("x = 1\n")
        hashed[str(path)] = hashlib.sha256(b"x = 1\n").hexdigest()
    os.utime(tmp_path / "app", ns=(0, 0))
    files = sorted(tmp_path.rglob("*.py"))
    before: dict[str, warm_record.Stat] = {
        str(path): [-1 if path in many else path.stat().st_mtime_ns, path.stat().st_size]
        for path in files
    }
    listed: dict[str, list[warm_record.Encoded]] = {str(path): [] for path in files}
    folders = sorted({str(path.parent) for path in files} | {str(tmp_path)})
    write = warm_record.write
    assert not write(tmp_path, os.getcwd(), before, listed.get, folders, [], lambda: True, hashed)
    del before[str(many[0])], hashed[str(many[0])], listed[str(many[0])]
    assert write(tmp_path, os.getcwd(), before, listed.get, folders, [], lambda: True, hashed)
