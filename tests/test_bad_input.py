"""Bad input gives LC001/LC002 or a warning, never a traceback, and the run goes on."""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

import pytest
from projects import LINE, ONLY_LC201, VIOLATION, assert_usage_error
from support import run_cli, write_project

from layercheck import engine, loading
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.facts import FileFacts
from layercheck.model import REPORT_AT
from layercheck.names import ImportTable
from layercheck.rules import CATALOG


def check(root: Path, files: dict[str, str | bytes], *args: str) -> tuple[int, list[str], str]:
    """Write the files next to one LC201 violation; return (exit code, lines, stderr)."""
    write_project(root, {"app/services/users.py": VIOLATION, **files}, ONLY_LC201)
    proc = run_cli("--quiet", *args, cwd=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    assert LINE in lines, "the run must go on with the other files"
    return proc.returncode, [line for line in lines if line != LINE], proc.stderr


def test_syntax_error_is_lc001_at_its_position(tmp_path: Path) -> None:
    code, lines, _ = check(tmp_path, {"app/bad.py": "x = 1\ndef f(:\n    pass\n"})
    assert code == 1
    assert lines == ["app/bad.py:2:7: LC001 SyntaxError: invalid syntax"]


def test_syntax_error_column_counts_characters(tmp_path: Path) -> None:
    _, lines, _ = check(tmp_path, {"app/bad.py": 's = "éé"; x = (:)\n'})
    assert lines == ["app/bad.py:1:16: LC001 SyntaxError: invalid syntax"]


def test_unclosed_bracket(tmp_path: Path) -> None:
    _, lines, _ = check(tmp_path, {"app/bad.py": "x = [\n1,\n"})
    assert len(lines) == 1
    assert lines[0].startswith("app/bad.py:1:5: LC001 SyntaxError:")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"x = 1\ny = '\xff'\nz = 3\n", "invalid utf-8 byte at line 2", id="bad-utf8"),
        pytest.param(b"x = 1\n" * 50 + b"# \xc3\x28\n", "line 51", id="bad-utf8-late"),
        pytest.param(b"x = 1\x00\n", "NUL", id="nul"),
        pytest.param(b"\x7fELF\x02\x01\x01\x00\x00\x00", "NUL", id="binary"),
        pytest.param(b"# -*- coding: klingon -*-\nx = 1\n", "klingon", id="unknown-cookie"),
        pytest.param(
            b"#!/usr/bin/env python\n# vim: set fileencoding=nope :\n", "nope", id="cookie-2"
        ),
        pytest.param(b"\xef\xbb\xbf# coding: latin-1\nx = 1\n", "BOM", id="bom-vs-cookie"),
        pytest.param(b"\xff\xfex\x00=\x001\x00", "", id="utf16"),
    ],
)
def test_undecodable_files_are_lc002(tmp_path: Path, data: bytes, reason: str) -> None:
    code, lines, _ = check(tmp_path, {"app/bad.py": data})
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith("app/bad.py:1:1: LC002 cannot read file: ")
    assert reason in lines[0]


def test_latin1_with_cookie_and_utf8_bom_are_read(tmp_path: Path) -> None:
    latin1 = "# -*- coding: latin-1 -*-\n" + VIOLATION.replace("(404)", "('café')")
    files: dict[str, str | bytes] = {
        "app/services/latin.py": latin1.encode("latin-1"),
        "app/services/bom.py": b"\xef\xbb\xbf" + VIOLATION.encode(),
        "app/services/ok.py": "name = 'café'\n",
    }
    code, lines, _ = check(tmp_path, files)
    assert code == 1
    assert lines == [
        LINE.replace("users.py", "bom.py"),
        LINE.replace("users.py:5", "latin.py:6"),
    ]


def test_columns_count_characters_after_a_non_ascii_prefix(tmp_path: Path) -> None:
    source = "from fastapi import HTTPException\n\ns = 'ééé'; raise HTTPException(1)\n"
    latin1 = "# coding: latin-1\n" + source
    _, lines, _ = check(
        tmp_path,
        {"app/services/chars.py": source, "app/services/latin.py": latin1.encode("latin-1")},
    )
    assert [line.split(": ")[0] for line in lines] == [
        "app/services/chars.py:3:18",
        "app/services/latin.py:4:18",
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_is_lc002(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/secret.py": "x = 1\n"})
    secret = tmp_path / "app/secret.py"
    secret.chmod(0)
    try:
        _, lines, _ = check(tmp_path, {})
    finally:
        secret.chmod(0o644)
    assert lines == ["app/secret.py:1:1: LC002 cannot read file: Permission denied"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_named_like_python_is_lc002_not_a_hang(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION})
    os.mkfifo(tmp_path / "app/pipe.py")
    # Walking skips what is not a file; given explicitly, it is read without blocking.
    assert check(tmp_path, {})[:2] == (1, [])
    code, lines, _ = check(tmp_path, {}, "app/services/users.py", "app/pipe.py")
    assert (code, lines) == (1, ["app/pipe.py:1:1: LC002 cannot read file: not a regular file"])


def test_folder_symlink_loop_is_skipped_with_a_warning(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION})
    (tmp_path / "app/loop").symlink_to(tmp_path / "app")
    (tmp_path / "app/services/up").symlink_to("..")
    code, lines, stderr = check(tmp_path, {})
    assert (code, lines) == (1, [])
    assert "app/loop: symlink loop, skipped" in stderr
    assert "app/services/up: symlink loop, skipped" in stderr


def test_self_referencing_file_symlink_is_skipped_with_a_warning(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION})
    (tmp_path / "app/self.py").symlink_to("self.py")
    (tmp_path / "app/a.py").symlink_to("b.py")
    (tmp_path / "app/b.py").symlink_to("a.py")
    code, lines, stderr = check(tmp_path, {})
    assert (code, lines) == (1, [])
    for name in ("self.py", "a.py", "b.py"):
        assert f"app/{name}: broken or looping symlink, skipped" in stderr


def test_explicit_looping_symlink_is_lc002_not_a_missing_path(tmp_path: Path) -> None:
    """Named explicitly, a symlink that cannot be followed is a file that cannot be read
    (as a dangling one is); while walking a folder it is a warning."""
    write_project(tmp_path, {"app/services/users.py": VIOLATION})
    (tmp_path / "app/self.py").symlink_to("self.py")
    code, lines, stderr = check(tmp_path, {}, "app/services/users.py", "app/self.py")
    assert (code, stderr) == (1, "")
    assert lines == ["app/self.py:1:1: LC002 cannot read file: Too many levels of symbolic links"]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("x = " + "(" * 2000 + "1" + ")" * 2000 + "\n", id="2000-parens"),
        pytest.param("x = " + "+".join(["1"] * 100_000) + "\n", id="100000-terms"),
        pytest.param("x = a" + ".b" * 100_000 + "\n", id="100000-attributes"),
        pytest.param("x = " + "-" * 100_000 + "1\n", id="100000-unary"),
        pytest.param("x = " + "[" * 150 + "]" * 150 + "\n", id="150-lists"),
        pytest.param(
            "from fastapi import HTTPException\nx = " + "+".join(["HTTPException(1)"] * 300) + "\n",
            id="300-calls",
        ),
    ],
)
def test_deep_nesting_is_lc001_or_a_warning(tmp_path: Path, source: str) -> None:
    code, lines, stderr = check(tmp_path, {"app/services/deep.py": source})
    codes = {line.split()[1] for line in lines}
    assert codes <= {"LC001", "LC201"}
    assert code in (1, 2)
    if code == 2:  # an internal error must say so on stderr
        assert "app/services/deep.py" in stderr


def test_empty_files(tmp_path: Path) -> None:
    code, lines, _ = check(
        tmp_path, {"app/empty.py": "", "app/blank.py": "\n\n", "app/services/__init__.py": ""}
    )
    assert (code, lines) == (1, [])


def test_only_bad_files(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/bad.py": b"\x00"})
    proc = run_cli(cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.endswith("Found 1 error.\n")


def test_missing_path(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": VIOLATION})
    assert_usage_error(run_cli("app/services/nope.py", cwd=tmp_path), "nope.py")


def test_not_python_files_are_left_alone(tmp_path: Path) -> None:
    code, lines, _ = check(
        tmp_path, {"app/data.json": "{", "app/script.sh": "\x00", "app/notes.pyc": "\x00"}
    )
    assert (code, lines) == (1, [])


def test_never_imports_the_checked_code(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    source = f"open({str(marker)!r}, 'w').close()\nraise SystemExit(3)\n"
    code, lines, _ = check(tmp_path, {"app/services/side_effect.py": source})
    assert (code, lines) == (1, [])
    assert not marker.exists()


def test_a_crash_while_reading_one_file_spares_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Facts extraction is not the engine's code; if it breaks on one file, the engine
    says so on stderr, exits 2, and still reports the other files."""
    real_extract = loading.extract

    def extract(tree: ast.Module, table: ImportTable, **kwargs: Any) -> FileFacts:
        if str(kwargs["path"]).endswith("boom.py"):
            raise RuntimeError("boom")
        return real_extract(tree, table, **kwargs)

    monkeypatch.setattr(loading, "extract", extract)
    write_project(tmp_path, {"app/services/users.py": VIOLATION, "app/boom.py": "x = 1\n"})
    warnings: list[str] = []
    workspace = Workspace(CATALOG, Overrides(select=("LC201",)), cwd=tmp_path)
    result = engine.Engine(workspace, warn=warnings.append).check([tmp_path])
    assert [f.path.name for f in result.findings] == ["users.py"]
    assert result.internal_errors == 1
    assert warnings == [
        f"internal error in reading {tmp_path / 'app/boom.py'}: RuntimeError('boom'); "
        f"please report it at {REPORT_AT}"
    ]


def test_strings_that_are_no_annotations_print_no_warning(tmp_path: Path) -> None:
    """String constants are parsed to see whether they hold an annotation; what Python
    warns about a docstring while parsing it (`500ing`) is not for the user."""
    source = 'def f():\n    """The service 500ing is a constr() concern."""\n'
    write_project(tmp_path, {"app/schemas/a.py": source})
    proc = run_cli("--preview", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert proc.stderr == ""
