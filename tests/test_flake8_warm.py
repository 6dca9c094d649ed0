"""The flake8 plugin with the caches the command line wrote: the real `flake8` in a
subprocess. Warm, it answers from its warm findings without importing the engine; a
change anywhere its findings rest on sends it back to the engine."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from projects import LINE, ONLY_LC201, VIOLATION, run
from support import FIXTURES, run_cli, write_project

from layercheck import flake8_warm, warm_record

ERRORS = "import fastapi\n\n\nclass Gone(fastapi.HTTPException):\n    pass\n"
NOT_HTTP = "import fastapi\n\n\nclass Gone(Exception):\n    pass\n"
ORDERS = "from ..errors import Gone\n\n\ndef f(x):\n    raise Gone()\n"
GONE = (
    "app/services/orders.py:5:11: LC201 `Gone` used in a service; raise a domain exception instead"
)
FILES = {
    "app/__init__.py": "",
    "app/errors.py": ERRORS,
    "app/services/__init__.py": "",
    "app/services/users.py": VIOLATION,
    "app/services/orders.py": ORDERS,
    "app/routes/users.py": "def get():\n    return 1\n",
}
CACHE = ".layercheck_cache"
PROBE = (
    "import sys\n"
    "from flake8.main.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('engine imported:', 'layercheck.engine' in sys.modules, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def age(root: Path, seconds: int = 600) -> None:
    """Every file and folder under root, root too, modified `seconds` ago: outside the
    window in which a change could keep its stamp."""
    then = time.time_ns() - seconds * 1_000_000_000
    for path in [*root.rglob("*"), root]:
        os.utime(path, ns=(then, then))


def settle(root: Path) -> list[str]:
    """The command line's findings, with its caches written for a project no file of
    which changed a moment ago."""
    (root / CACHE).mkdir(exist_ok=True)
    age(root)
    return cli_lines(root)


def cli_lines(root: Path, *targets: str) -> list[str]:
    proc = run_cli("--quiet", *(targets or ("app",)), cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    return sorted(line.replace(" [*] ", " ", 1) for line in proc.stdout.splitlines())


def flake8(root: Path, *args: str) -> tuple[list[str], bool]:
    """flake8's LC findings, and whether the engine was imported to find them: in one
    process, unless `args` ask for more jobs."""
    command = (sys.executable, "-c", PROBE, "--isolated", "--select", "LC", "-j1", *args)
    proc = run(*command, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    imported = proc.stderr.strip().splitlines()[-1]
    assert imported in ("engine imported: True", "engine imported: False")
    found = sorted(line.removeprefix("./") for line in proc.stdout.splitlines())
    return found, imported.endswith("True")


def ticket(root: Path) -> Path:
    return flake8_warm.ticket_file(root)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_project(tmp_path, FILES, ONLY_LC201)
    return tmp_path


def test_bad_app_cold_then_warm_same_as_the_command_line(tmp_path: Path) -> None:
    root = tmp_path / "bad_app"
    shutil.copytree(FIXTURES / "bad_app", root)
    ours = [
        line
        for line in settle(root)
        if not any(f" {code} " in line for code in ("LC001", "LC002", "LC004"))
    ]
    assert ours, "bad_app has findings"
    cold, imported = flake8(root, "app")
    assert (cold, imported) == (ours, True)
    assert ticket(root).is_file()
    # flake8 decodes app/core/messages.py, which is no UTF-8, where layercheck reports
    # LC002: that file is checked on flake8's tree, the others come from the warm path.
    assert flake8(root, "app") == (ours, True)
    for target in ("app/services/slug_service.py", "app/routes/posts.py"):
        mine = [line for line in ours if line.startswith(target)]
        assert mine
        assert flake8(root, target) == (mine, False)


def test_one_file_warm_reads_only_its_findings(project: Path) -> None:
    assert settle(project) == sorted([GONE, LINE])
    # The command line's run on a folder wrote the warm record.
    assert flake8(project, "app/services/orders.py") == ([GONE], False)
    assert flake8(project, "app/routes/users.py") == ([], False)


def test_a_file_changed_since_is_checked_again(project: Path) -> None:
    settle(project)
    flake8(project, "app")
    assert flake8(project, "app") == (sorted([GONE, LINE]), False)
    (project / "app/routes/users.py").write_text(VIOLATION.replace("404", "4040"))
    found, imported = flake8(project, "app")
    assert imported
    assert found == sorted([GONE, LINE]) == cli_lines(project)
    (project / "app/services/users.py").write_text("def get(user):\n    return user\n")
    found, imported = flake8(project, "app")
    assert (found, imported) == ([GONE], True)
    assert found == cli_lines(project)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [(ERRORS, NOT_HTTP, []), (NOT_HTTP, ERRORS, [GONE])],
    ids=["finding-vanishes", "finding-appears"],
)
def test_a_base_class_changed_in_another_module(
    project: Path, before: str, after: str, expected: list[str]
) -> None:
    """`Gone` is defined in app/errors.py, which flake8 is not asked to check."""
    (project / "app/errors.py").write_text(before)
    settle(project)
    target = "app/services/orders.py"
    flake8(project, target)
    assert flake8(project, target) == ([GONE] if before == ERRORS else [], False)
    (project / "app/errors.py").write_text(after)
    assert flake8(project, target) == (expected, True)
    assert cli_lines(project, target) == expected


def test_a_changed_config_sends_it_back_to_the_engine(project: Path) -> None:
    settle(project)
    flake8(project, "app")
    assert flake8(project, "app") == (sorted([GONE, LINE]), False)
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + 'ignore = ["LC201"]\n')
    assert flake8(project, "app") == ([], True)


def test_a_new_file_sends_it_back_to_the_engine(project: Path) -> None:
    """A new module may change what another's findings read (here nothing; the point is
    the list of files is no longer the one the warm findings were written for)."""
    settle(project)
    flake8(project, "app")
    assert flake8(project, "app/services/users.py") == ([LINE], False)
    (project / "app/services/extra.py").write_text(VIOLATION)
    found, imported = flake8(project, "app/services/users.py")
    assert (found, imported) == ([LINE], True)


def test_parallel_jobs_leave_the_caches_as_they_were(project: Path) -> None:
    files = {**FILES, **{f"app/services/more{n}.py": VIOLATION for n in range(4)}}
    write_project(project, files, ONLY_LC201)
    expected = settle(project)
    (project / "app/errors.py").write_text(NOT_HTTP)
    cache = project / CACHE
    before = {path.name: path.read_bytes() for path in cache.iterdir()}
    (project / "app/services/new.py").write_text(VIOLATION)  # the walk is not as recorded
    found, _ = flake8(project, "--jobs", "2", "app")
    assert GONE in expected
    assert GONE not in found  # `Gone` is no HTTPException any more
    assert {path.name: path.read_bytes() for path in cache.iterdir()} == before
    assert found == cli_lines(project)


def test_warm_findings_of_another_layercheck_do_not_hold(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settle(project)
    flake8(project, "app")
    path = project / "app/services/users.py"
    monkeypatch.chdir(project)
    flake8_warm.forget()
    warm, where = flake8_warm.lookup(path.parent)
    assert where == ticket(project)
    assert warm is not None
    assert flake8_warm.findings(warm, str(path)) == [(5, 10, LINE.split(": ", 1)[1])]
    flake8_warm.forget()
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert flake8_warm.lookup(path.parent) == (None, where)
    monkeypatch.undo()
    monkeypatch.chdir(project)
    flake8_warm.forget()
    # Another version keeps its own file: this one finds none.
    monkeypatch.setattr(warm_record, "__version__", "0.0.0")
    assert flake8_warm.lookup(path.parent) == (None, None)
    flake8_warm.forget()


def test_a_damaged_file_is_ignored(project: Path) -> None:
    settle(project)
    flake8(project, "app")
    where = ticket(project)
    where.write_bytes(where.read_bytes().replace(b"LC201", b"LC202"))
    assert flake8(project, "app") == (sorted([GONE, LINE]), True)
    # Written again from the findings cache, which still holds.
    assert flake8(project, "app") == (sorted([GONE, LINE]), False)
