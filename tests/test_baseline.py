"""`--write-baseline`, `--baseline`, the `baseline` key and `--baseline-strict`, on copies
of fixture projects; the fingerprint they share with the GitLab and SARIF formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from projects import ONLY_LC201, VIOLATION, assert_usage_error
from support import run_cli, write_project

SERVICE = "app/services/users.py"
BASELINE = "lc-baseline.json"


def _codes(stdout: str) -> list[str]:
    return [json.loads(line)["code"] for line in stdout.splitlines()]


def test_moved_lines_hide_nothing_new_and_one_new_violation_shows(bad_app: Path) -> None:
    wrote = run_cli("--no-cache", "--write-baseline", BASELINE, ".", cwd=bad_app)
    assert wrote.returncode == 0, wrote.stderr
    total = len(json.loads((bad_app / BASELINE).read_text())["findings"])
    assert wrote.stderr == f"Wrote {total} findings to {BASELINE}.\n"
    clean = run_cli("--no-cache", "--baseline", BASELINE, ".", cwd=bad_app)
    assert (clean.returncode, clean.stdout) == (0, "All checks passed!\n")
    assert f"{total} findings hidden by the baseline" in clean.stderr
    # Move a function with findings below a new one, and shift every line of the file.
    target = bad_app / "app/services/user_service.py"
    text = target.read_text()
    moved = "import logging\n\n\ndef helper() -> int:\n    return 1\n\n\n" + text
    target.write_text(moved)
    args = ("--no-cache", "--baseline", BASELINE, "--output-format", "json-lines", ".")
    assert run_cli(*args, cwd=bad_app).stdout == ""
    target.write_text(moved.replace("return 1\n", "raise HTTPException(500)\n", 1))
    proc = run_cli(*args, cwd=bad_app)
    assert proc.returncode == 1
    assert _codes(proc.stdout) == ["LC201"]
    assert f"{total} findings hidden" in proc.stderr


def test_file_is_sorted_and_stable(bad_app: Path) -> None:
    run_cli("--no-cache", "--write-baseline", BASELINE, cwd=bad_app)
    first = (bad_app / BASELINE).read_text()
    run_cli("--no-cache", "--write-baseline", BASELINE, cwd=bad_app)
    assert (bad_app / BASELINE).read_text() == first
    document = json.loads(first)
    assert document["layercheck-baseline"] == 1
    rows = [(e["path"], e["code"], e["scope"], e["fingerprint"]) for e in document["findings"]]
    assert rows == sorted(rows)
    assert set(document["findings"][0]) == {"code", "fingerprint", "message", "path", "scope"}
    assert first == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_stale_entries_are_listed_and_fail_when_strict(tmp_path: Path) -> None:
    write_project(tmp_path, {SERVICE: VIOLATION}, ONLY_LC201)
    run_cli("--write-baseline", BASELINE, cwd=tmp_path)
    (tmp_path / SERVICE).write_text(VIOLATION.replace("raise HTTPException(404)", "return 1"))
    relaxed = run_cli("--baseline", BASELINE, cwd=tmp_path)
    assert relaxed.returncode == 0
    assert "1 baseline entry match no finding" in relaxed.stderr
    verbose = run_cli("--baseline", BASELINE, "--verbose", cwd=tmp_path)
    assert "stale baseline entry: app/services/users.py: LC201" in verbose.stderr
    assert "(in get)" in verbose.stderr
    strict = run_cli("--baseline", BASELINE, "--baseline-strict", cwd=tmp_path)
    assert strict.returncode == 1
    assert "rewrite it with --write-baseline" in strict.stderr


def test_entries_of_files_not_checked_are_not_stale(tmp_path: Path) -> None:
    write_project(tmp_path, {SERVICE: VIOLATION, "app/services/b.py": VIOLATION}, ONLY_LC201)
    run_cli("--write-baseline", BASELINE, cwd=tmp_path)
    proc = run_cli("--baseline", BASELINE, "--baseline-strict", "app/services/b.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "1 finding hidden by the baseline" in proc.stderr


def test_config_key_and_identical_findings_counted(tmp_path: Path) -> None:
    twice = VIOLATION + "    raise HTTPException(404)\n"
    write_project(tmp_path, {SERVICE: twice}, ONLY_LC201 + f'\nbaseline = "{BASELINE}"')
    run_cli("--write-baseline", BASELINE, cwd=tmp_path)
    assert run_cli(cwd=tmp_path).returncode == 0
    (tmp_path / SERVICE).write_text(twice + "    raise HTTPException(404)\n")
    proc = run_cli("--output-format", "json-lines", cwd=tmp_path)
    assert _codes(proc.stdout) == ["LC201"]
    assert "2 findings hidden" in proc.stderr


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{", "not a layercheck baseline"),
        ('{"findings": []}', "no `layercheck-baseline: 1`"),
        ('{"layercheck-baseline": 1, "findings": [{"code": 1}]}', "entry 0 needs"),
    ],
)
def test_bad_baseline_is_one_line(tmp_path: Path, content: str, needle: str) -> None:
    write_project(tmp_path, {SERVICE: VIOLATION}, ONLY_LC201)
    (tmp_path / BASELINE).write_text(content)
    assert_usage_error(run_cli("--baseline", BASELINE, cwd=tmp_path), BASELINE, needle)


def test_missing_baseline_is_one_line(tmp_path: Path) -> None:
    write_project(tmp_path, {SERVICE: VIOLATION}, ONLY_LC201)
    assert_usage_error(run_cli("--baseline", "nope.json", cwd=tmp_path), "nope.json")


def test_sarif_partial_fingerprints_survive_moved_lines(tmp_path: Path) -> None:
    write_project(tmp_path, {SERVICE: VIOLATION}, ONLY_LC201)

    def prints() -> list[str]:
        log = json.loads(run_cli("--output-format", "sarif", cwd=tmp_path).stdout)
        return [r["partialFingerprints"]["layercheck/v1"] for r in log["runs"][0]["results"]]

    before = prints()
    (tmp_path / SERVICE).write_text("# moved\n\n" + VIOLATION)
    assert prints() == before
    (tmp_path / SERVICE).write_text(VIOLATION.replace("def get(", "def fetch("))
    assert prints() != before


def test_sarif_partial_fingerprints_do_not_depend_on_the_checkout(tmp_path: Path) -> None:
    found = []
    for name in ("one", "two"):
        root = tmp_path / name
        root.mkdir()
        write_project(root, {SERVICE: VIOLATION}, ONLY_LC201)
        log = json.loads(run_cli("--output-format", "sarif", cwd=root).stdout)
        found.append(log["runs"][0]["results"][0]["partialFingerprints"])
    assert found[0] == found[1]
