"""`allow-imports`: the import edges the layer rules accept, and LC004 for an entry that
matches no import, on copies of the bad_app fixture project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from projects import assert_usage_error
from support import run_cli

from layercheck.config.allowed_imports import AllowedImport, AllowedImportError, ModuleGlob

REPO_TO_SERVICE = "app.repositories.post_repo -> app.services.slug_service"
ROUTE_TO_REPO = "app.routes.* -> app.repositories.post_repo"
DEAD = "app.legacy.** -> *"


def _allow(root: Path, *entries: str) -> int:
    """Replace the fixture's `allow-imports` (the last key of `[tool.layercheck]`, the
    file's last table); the row of the first entry."""
    config = root / "pyproject.toml"
    head = config.read_text().split("[tool.layercheck]\n")[0] + "[tool.layercheck]\n"
    listed = "".join(f'    "{entry}",\n' for entry in entries)
    config.write_text(head + f"allow-imports = [\n{listed}]\n")
    return len(head.splitlines()) + 2


def _found(root: Path, *args: str) -> list[tuple[str, str, int]]:
    proc = run_cli("--select", "LC1,LC004", "--output-format", "json-lines", *args, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    found = [json.loads(line) for line in proc.stdout.splitlines()]
    return [
        (item["code"], Path(item["filename"]).relative_to(root).as_posix(), item["location"]["row"])
        for item in found
    ]


def test_allowed_edges_are_not_reported_and_a_dead_entry_is(bad_app: Path) -> None:
    before = _found(bad_app, "--no-cache", ".")
    assert ("LC102", "app/repositories/post_repo.py", 5) in before
    assert ("LC101", "app/routes/posts.py", 9) in before
    row = _allow(bad_app, REPO_TO_SERVICE, ROUTE_TO_REPO, DEAD)
    after = _found(bad_app, "--no-cache", ".")
    assert ("LC102", "app/repositories/post_repo.py", 5) not in after
    assert ("LC101", "app/routes/posts.py", 9) not in after
    assert ("LC004", "pyproject.toml", row + 2) in after
    assert [item for item in after if item[0] == "LC004"] == [("LC004", "pyproject.toml", row + 2)]
    # The rest is as it was.
    hidden = {("LC102", "app/repositories/post_repo.py", 5), ("LC101", "app/routes/posts.py", 9)}
    kept = sorted(item for item in set(before) - hidden if item[0] != "LC004")
    assert kept == sorted(item for item in after if item[0] != "LC004")


def test_config_file_findings_only_when_the_run_covers_it(bad_app: Path) -> None:
    _allow(bad_app, DEAD)
    assert not any(code == "LC004" for code, _, _ in _found(bad_app, "app/routes/posts.py"))
    assert any(code == "LC004" for code, _, _ in _found(bad_app, "pyproject.toml", "app"))
    # Named alone, the config file is no Python to parse (no LC001), and its project is
    # still read for its own findings.
    assert [code for code, _, _ in _found(bad_app, "--no-cache", "pyproject.toml")] == ["LC004"]
    assert [code for code, _, _ in _found(bad_app, "pyproject.toml")] == ["LC004"]


def test_the_findings_cache_follows_the_list(bad_app: Path) -> None:
    _allow(bad_app, ROUTE_TO_REPO, DEAD)
    cold = _found(bad_app, ".")
    warm = _found(bad_app, ".")
    assert cold == warm
    assert ("LC101", "app/routes/posts.py", 9) not in warm
    assert sum(code == "LC004" for code, _, _ in warm) == 1
    config = bad_app / "pyproject.toml"
    config.write_text(config.read_text().replace(f'    "{ROUTE_TO_REPO}",\n', ""))
    changed = _found(bad_app, ".")
    assert ("LC101", "app/routes/posts.py", 9) in changed
    assert changed == _found(bad_app, "--no-cache", ".")


def test_add_noqa_silences_the_entry_in_toml(bad_app: Path) -> None:
    row = _allow(bad_app, DEAD)
    proc = run_cli("--select", "LC004", "--add-noqa", ".", cwd=bad_app)
    assert (proc.returncode, proc.stderr) == (0, "Added 1 noqa directive.\n")
    lines = (bad_app / "pyproject.toml").read_text().splitlines()
    assert lines[row - 1] == f'    "{DEAD}",  # noqa: LC004'
    assert run_cli("--select", "LC004", ".", cwd=bad_app).returncode == 0


def test_show_settings_lists_the_entries(bad_app: Path) -> None:
    _allow(bad_app, ROUTE_TO_REPO)
    proc = run_cli("--show-settings", "--output-format", "json", ".", cwd=bad_app)
    assert proc.returncode == 0, proc.stderr
    assert f'"{ROUTE_TO_REPO}"' in proc.stdout


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ("app.api -> app.crud -> app.db", "expected `importer -> imported`"),
        ("app.api", "expected `importer -> imported`"),
        ("app..api -> app.crud", "empty name"),
        ("app.api -> ", "a side is empty"),
        ("app.a**b -> x", "`**` must be a whole name"),
        (".api -> app", "empty name"),
        ("app/api -> app", "no dotted module name"),
    ],
)
def test_a_bad_entry_is_one_line_and_exit_2(bad_app: Path, entry: str, needle: str) -> None:
    _allow(bad_app, entry)
    line = assert_usage_error(run_cli(".", cwd=bad_app), "allow-imports", needle)
    assert "pyproject.toml" in line
    overridden = run_cli("--config", f'allow-imports = ["{entry}"]', "app", cwd=bad_app)
    assert "command line" in assert_usage_error(overridden, "allow-imports", needle)


@pytest.mark.parametrize(
    ("pattern", "module", "matches"),
    [
        ("app.api", "app.api", True),
        ("app.api", "app.api.users", True),
        ("app.api", "app.apis", False),
        ("app.*", "app", False),
        ("app.*", "app.api.users", True),
        ("app.*.models", "app.users.models", True),
        ("app.*.models", "app.users.v1.models", False),
        ("app.**.models", "app.models", True),
        ("app.**.models", "app.users.v1.models.user", True),
        ("app.**.models", "app.users.v1.schemas", False),
        ("*", "fastapi.responses", True),
        ("user_*", "user_service", True),
        ("user_*", "users", False),
    ],
)
def test_module_globs(pattern: str, module: str, matches: bool) -> None:
    assert ModuleGlob(pattern).matches(module) is matches


def test_an_edge_needs_both_sides() -> None:
    edge = AllowedImport.parse(" app.routes.* ->app.crud ")
    assert edge.matches("app.routes.users", ["app.crud.user"])
    assert not edge.matches("app.services.users", ["app.crud.user"])
    assert not edge.matches("app.routes.users", [None, "app.services"])
    with pytest.raises(AllowedImportError):
        AllowedImport.parse("app.routes => app.crud")
