"""Applying fixes (`--fix`, `--diff`, `--fix-only`, stdin), on files on disk: what is kept
byte for byte, what is never written, and how overlapping fixes wait for the next pass."""

from __future__ import annotations

import codecs
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from support import run_cli, write_project

from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.engine import Engine
from layercheck.fixes.apply import apply_pass
from layercheck.fixes.relint import Relinter
from layercheck.fixes.run import fix_text
from layercheck.model import Applicability, Edit, Finding, Fix, Location
from layercheck.report._common import summary
from layercheck.rules import CATALOG
from layercheck.writeback import write_fixed

SCHEMA = (
    "from pydantic import BaseModel, ConfigDict\n\n\n"
    "class UserRead(BaseModel):\n"
    "    model_config = ConfigDict(from_attributes=True)\n\n"
    "    id: int\n"
)
ROUTE = (
    "# a comment that must survive\n"
    "from app.schemas.user import UserRead\n\n\n"
    "def read(user):  # keep me\n"
    "    first = UserRead.from_orm(user)   # odd  spacing kept\n"
    "    return first, UserRead.from_orm(user)\n"
)
ROUTE_FIXED = ROUTE.replace("from_orm", "model_validate")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_project(tmp_path, {"app/schemas/user.py": SCHEMA, "app/routes/users.py": ROUTE})
    return tmp_path


def route(root: Path) -> Path:
    return root / "app/routes/users.py"


def _finding(code: str, *edits: Edit, unsafe: bool = False) -> Finding:
    kind = Applicability.UNSAFE if unsafe else Applicability.SAFE
    at = edits[0].start
    return Finding(code, "m", Path("x.py"), at, at, Fix(kind, "fix it", edits))


def _edit(row: int, col: int, end_row: int, end_col: int, content: str) -> Edit:
    return Edit(Location(row, col), Location(end_row, end_col), content)


# -- one pass ----------------------------------------------------------------------------


def test_overlapping_fix_waits_for_the_next_pass() -> None:
    text = "abcdef\n"
    first = _finding("LC1", _edit(1, 2, 1, 4, "XY"))
    second = _finding("LC2", _edit(1, 3, 1, 5, "ZZ"))
    done = apply_pass(text, [second, first])
    assert done.text == "aXYdef\n"
    assert done.applied == [first]
    assert done.deferred == [second]


def test_identical_edits_apply_once_and_insertions_keep_their_order() -> None:
    text = "import a\nx = 1\n"
    add = _edit(2, 1, 2, 1, "import b\n")
    first = _finding("LC1", add, _edit(2, 5, 2, 6, "2"))
    second = _finding("LC1", add, _edit(2, 1, 2, 1, "y = 0\n"))
    done = apply_pass(text, [first, second])
    assert done.text == "import a\nimport b\ny = 0\nx = 2\n"
    assert len(done.applied) == 2


def test_import_lines_added_by_one_pass_are_merged() -> None:
    from layercheck.fixes.unused import merge_added_imports

    before = "from pydantic import BaseSettings\n\nx = 1\n"
    after = (
        "from pydantic_settings import BaseSettings\n"
        "from pydantic_settings import SettingsConfigDict\n\nx = 1\n"
    )
    assert merge_added_imports(before, after) == (
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n\nx = 1\n"
    )
    kept = "from a import b\nfrom a import c\n"
    assert merge_added_imports(kept, kept) == kept  # written by hand


def test_inserted_line_breaks_follow_the_file() -> None:
    done = apply_pass("a = 1\r\nb = 2\r\n", [_finding("LC1", _edit(2, 1, 2, 1, "c = 3\n"))])
    assert done.text == "a = 1\r\nc = 3\r\nb = 2\r\n"


# -- the summary -------------------------------------------------------------------------


def test_summary_counts_hidden_unsafe_fixes() -> None:
    safe = _finding("LC601", _edit(1, 1, 1, 2, "x"))
    risky = _finding("LC403", _edit(1, 1, 1, 2, "x"), unsafe=True)
    assert summary([safe, risky]) == (
        "Found 2 errors.\n[*] 1 fixable with the --fix option "
        "(1 hidden fix can be enabled with the --unsafe-fixes option).\n"
    )
    assert summary([risky]) == (
        "Found 1 error.\nNo fixes available "
        "(1 hidden fix can be enabled with the --unsafe-fixes option).\n"
    )
    assert summary([safe, risky], unsafe_fixes=True) == (
        "Found 2 errors.\n[*] 2 fixable with the --fix option.\n"
    )
    assert summary([risky], fixed=3) == (
        "Found 4 errors (3 fixed, 1 remaining).\nNo fixes available "
        "(1 hidden fix can be enabled with the --unsafe-fixes option).\n"
    )


# -- the command line on files on disk ---------------------------------------------------


def test_fix_rewrites_only_the_edits_and_a_second_run_changes_nothing(project: Path) -> None:
    proc = run_cli("--fix", cwd=project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == "Found 2 errors (2 fixed, 0 remaining).\n"
    assert route(project).read_text(encoding="utf-8") == ROUTE_FIXED
    again = run_cli("--diff", cwd=project)
    assert (again.returncode, again.stdout) == (0, "")


def test_show_fixes_lists_what_was_fixed(project: Path) -> None:
    proc = run_cli("--fix", "--show-fixes", cwd=project)
    assert proc.stdout.startswith(
        "Fixed 2 errors:\n- app/routes/users.py:\n    2 × LC601 (from-orm)\n\n"  # noqa: RUF001
    )


def test_show_fixes_without_fix_lists_available_fixes(project: Path) -> None:
    proc = run_cli("--show-fixes", cwd=project)
    assert "app/routes/users.py:6:13: LC601 fix (safe): Rename to `model_validate`\n" in (
        proc.stdout
    )
    assert route(project).read_text(encoding="utf-8") == ROUTE


def test_diff_writes_nothing_exits_1_and_patch_applies_it(project: Path) -> None:
    proc = run_cli("--diff", cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("--- app/routes/users.py\n+++ app/routes/users.py\n")
    assert proc.stderr == "Would fix 2 errors.\n"
    assert route(project).read_text(encoding="utf-8") == ROUTE
    if shutil.which("patch") is None:
        pytest.skip("needs patch")
    subprocess.run(["patch", "-p0", "-s"], input=proc.stdout, text=True, cwd=project, check=True)
    assert route(project).read_text(encoding="utf-8") == ROUTE_FIXED


def test_fix_only_and_exit_non_zero_on_fix(project: Path) -> None:
    proc = run_cli("--fix-only", "--exit-non-zero-on-fix", cwd=project)
    assert (proc.returncode, proc.stdout) == (1, "Fixed 2 errors.\n")
    again = run_cli("--fix-only", "--exit-non-zero-on-fix", cwd=project)
    assert (again.returncode, again.stdout) == (0, "Fixed 0 errors.\n")


def test_fix_key_in_the_config(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.layercheck]\nfix = true\n", encoding="utf-8")
    assert run_cli(cwd=project).returncode == 0
    assert route(project).read_text(encoding="utf-8") == ROUTE_FIXED
    (project / "pyproject.toml").write_text("[tool.layercheck]\nfix = 1\n", encoding="utf-8")
    bad = run_cli(cwd=project)
    assert bad.returncode == 2
    assert "fix" in bad.stderr


def test_stdin_with_fix_prints_the_fixed_source(project: Path) -> None:
    proc = run_cli(
        "--fix", "--stdin-filename", "app/routes/users.py", "-", cwd=project, stdin=ROUTE.encode()
    )
    assert proc.stdout == ROUTE_FIXED
    assert proc.returncode == 0, proc.stderr
    assert route(project).read_text(encoding="utf-8") == ROUTE


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("crlf", lambda text: text.replace("\n", "\r\n").encode("utf-8")),
        ("bom", lambda text: codecs.BOM_UTF8 + text.encode("utf-8")),
        (
            "latin-1",
            lambda text: ("# -*- coding: latin-1 -*-\n" + text + "s = 'café'\n").encode("latin-1"),
        ),
    ],
)
def test_encoding_bom_line_endings_and_mode_are_kept(
    project: Path, name: str, encode: object
) -> None:
    assert callable(encode)
    path = route(project)
    path.write_bytes(encode(ROUTE))
    os.chmod(path, 0o640)
    assert run_cli("--fix", cwd=project).returncode == 0
    assert path.read_bytes() == encode(ROUTE_FIXED)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    leftovers = [p.name for p in path.parent.iterdir() if p.name != "users.py"]
    assert leftovers == []


# -- the guarantees, below the command line ----------------------------------------------


def _relinter(root: Path) -> Relinter:
    return Relinter(Engine(Workspace(CATALOG, Overrides(), cwd=root)))


def test_a_fix_that_breaks_the_parse_is_never_applied(project: Path) -> None:
    relinter = _relinter(project)
    file = relinter.source_file(route(project))
    broken = Finding(
        "LC601",
        "m",
        file.path,
        Location(6, 13),
        Location(6, 30),
        Fix(Applicability.SAFE, "bad", (_edit(6, 5, 6, 10, "first ="),)),
    )
    warnings: list[str] = []
    result = fix_text(relinter, file, ROUTE, [broken], False, warnings.append)
    assert result.fixed == ROUTE
    assert not result.changed
    assert len(warnings) == 1
    assert "does not parse" in warnings[0]


def test_a_file_changed_on_disk_is_not_overwritten(project: Path) -> None:
    path = route(project)
    original = path.read_bytes()
    path.write_bytes(original + b"# edited meanwhile\n")
    problem = write_fixed(path, original, ROUTE_FIXED)
    assert problem is not None
    assert "changed on disk" in problem
    assert path.read_bytes() == original + b"# edited meanwhile\n"


# -- end to end: the README's demo project -----------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".layercheck_cache" not in path.parts
    }


def test_bad_app_end_to_end(tmp_path: Path) -> None:
    """`--fix --unsafe-fixes` leaves only findings without a fix, every fixed
    file parses, a second run changes nothing, and `--diff` on the original is the same
    change as a patch."""
    from support import FIXTURES

    from layercheck.rules import BY_CODE
    from layercheck.rules._base import FixAvailability

    original = tmp_path / "original"
    fixed = tmp_path / "fixed"
    shutil.copytree(FIXTURES / "bad_app", original)
    shutil.copytree(FIXTURES / "bad_app", fixed)
    before = _tree(original)
    proc = run_cli("--fix", "--unsafe-fixes", "--no-cache", "--output-format", "json", cwd=fixed)
    assert proc.returncode == 1, proc.stderr
    import json

    found = json.loads(proc.stdout)
    left = {item["code"] for item in found}
    assert left, "bad_app keeps findings of rules with no fix"
    # A rule that can fix only some of its findings keeps those it has no fix for (LC607
    # on a schema defined in another file).
    fixable_left = sorted(
        item["code"]
        for item in found
        if BY_CODE[item["code"]].meta.fix is FixAvailability.ALWAYS or item["fix"] is not None
    )
    assert fixable_left == []
    assert {item["code"] for item in found if item["fix"] is None} - {
        code for code in left if BY_CODE[code].meta.fix is FixAvailability.NONE
    } == {"LC607"}
    after = _tree(fixed)
    changed = [name for name in after if after[name] != before[name]]
    assert len(changed) >= 5
    for name in changed:
        compile(after[name], name, "exec")
    again = run_cli("--diff", "--unsafe-fixes", "--no-cache", cwd=fixed)
    assert (again.returncode, again.stdout) == (0, "")
    diff = run_cli("--diff", "--unsafe-fixes", "--no-cache", cwd=original)
    assert diff.returncode == 1
    assert _tree(original) == before
    if shutil.which("patch") is None:
        pytest.skip("needs patch")
    subprocess.run(["patch", "-p0", "-s"], input=diff.stdout, text=True, cwd=original, check=True)
    assert _tree(original) == after
