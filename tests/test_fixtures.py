"""The fixture projects, run through the CLI in a subprocess from the repo root.

- `fixtures/good_app` follows the architecture guide: no finding with any rule.
- `fixtures/bad_app` (the README's demo) and every `fixtures/layouts/<case>` carry inline
  expectations, pylint- and flake8-bugbear-style: a line that must be reported ends with
  `# error: LC201` (several codes: `# error: LC101, LC102`). The findings must equal them.
- bad_app's output in each format is pinned in tests/snapshots/ (see snapshot.py).
- `--show-files` pins the layer of the files that make each layout unusual.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest
from snapshot import assert_snapshot
from support import FIXTURES, REPO, run_cli

from layercheck.rules import BY_CODE

GOOD_APP = FIXTURES / "good_app"
BAD_APP = FIXTURES / "bad_app"
PYDANTIC_V1_APP = FIXTURES / "pydantic_v1_app"
LAYOUTS = sorted(path.parent for path in (FIXTURES / "layouts").glob("*/pyproject.toml"))
MARKED = [
    BAD_APP,
    *LAYOUTS,
    FIXTURES / "errors_app",
    FIXTURES / "transitive_app",
    FIXTURES / "routes_app",
    FIXTURES / "alembic_app",
    FIXTURES / "sessions_app",
    FIXTURES / "sqlalchemy_legacy",
    PYDANTIC_V1_APP,
]
CODE_MARKER = re.compile(rb"#\s*error:\s*(LC\d{3}(?:\s*,\s*LC\d{3})*)\s*$")
DEMO_CODES = frozenset(BY_CODE)
"""The README's demo breaks every rule at least once (preview ones count under --preview)."""

Expectation = tuple[str, int, str]
"""(path relative to the fixture project, row, code)"""


def project_id(project: Path) -> str:
    return project.relative_to(FIXTURES).as_posix()


def markers(project: Path) -> set[Expectation]:
    """Read as bytes: a fixture may be undecodable on purpose (LC002)."""
    found: set[Expectation] = set()
    # The config file too: LC004 reports its entries there.
    for path in sorted([*project.rglob("*.py"), *project.glob("pyproject.toml")]):
        relative = path.relative_to(project).as_posix()
        for row, line in enumerate(path.read_bytes().split(b"\n"), start=1):
            match = CODE_MARKER.search(line.rstrip(b"\r"))
            if match:
                found.update((relative, row, code.strip()) for code in match[1].decode().split(","))
    return found


@cache
def json_findings(project: Path) -> tuple[Expectation, ...]:
    proc = run_cli(project.relative_to(REPO), "--preview", "--output-format", "json", cwd=REPO)
    assert proc.returncode in (0, 1), proc.stderr
    assert proc.stderr == ""
    root = project.resolve()
    return tuple(
        (
            Path(item["filename"]).resolve().relative_to(root).as_posix(),
            item["location"]["row"],
            item["code"],
        )
        for item in json.loads(proc.stdout)
    )


def show(items: set[Expectation]) -> str:
    return "".join(f"\n    {path}:{row}: {code}" for path, row, code in sorted(items)) or " -"


@pytest.mark.parametrize("options", [(), ("--preview",)], ids=["default", "preview"])
def test_good_app_has_no_findings(options: tuple[str, ...]) -> None:
    proc = run_cli("fixtures/good_app", *options, cwd=REPO)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "All checks passed!\n", "")


CLEAN = [FIXTURES / "sqlalchemy_modern"]
"""Other projects written the way the guide asks: no finding with any rule, preview too."""


@pytest.mark.parametrize("project", CLEAN, ids=project_id)
def test_clean_projects_have_no_findings(project: Path) -> None:
    proc = run_cli(project.relative_to(REPO), "--preview", cwd=REPO)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "All checks passed!\n", "")


@pytest.mark.parametrize("project", MARKED, ids=project_id)
def test_findings_equal_markers(project: Path) -> None:
    expected = markers(project)
    assert expected, "a marked fixture project needs at least one `# error: LCxxx` marker"
    unknown = {item for item in expected if item[2] not in BY_CODE}
    got = set(json_findings(project))
    assert (got - expected, expected - got, unknown) == (set(), set(), set()), (
        f"\n  reported on a line without its marker (false alarm?):{show(got - expected)}"
        f"\n  marked but not reported (miss?):{show(expected - got)}"
        f"\n  marked with a code that is not in the registry:{show(unknown)}"
    )


def test_bad_app_shows_every_demo_rule() -> None:
    missing = DEMO_CODES - {code for _, _, code in markers(BAD_APP)}
    assert not missing, f"fixtures/bad_app breaks none of {sorted(missing)}"


def test_marked_projects_hold_correct_code_too() -> None:
    """Files without markers have no findings (test above): each project needs some."""
    for project in MARKED:
        flagged = {path for path, _, _ in markers(project)}
        sources = {path.relative_to(project).as_posix() for path in project.rglob("*.py")}
        assert len(sources - flagged) >= 3, project_id(project)


FORMATS = {
    "concise": "txt",
    "full": "txt",
    "json": "json",
    "json-lines": "jsonl",
    "github": "txt",
    "gitlab": "json",
    "junit": "xml",
    "pylint": "txt",
    "sarif": "json",
    "grouped": "txt",
    "rdjson": "json",
    "azure": "txt",
}
ABSOLUTE_PREFIXES = {
    # ruff's shapes name files absolutely; the snapshots keep them repo-relative.
    "json": json.dumps(f"{REPO}/")[1:-1],
    "json-lines": json.dumps(f"{REPO}/")[1:-1],
    "sarif": f"{REPO.as_uri()}/",  # file:// URIs
    "azure": f"{REPO}/",
}


@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_bad_app_output_snapshot(output_format: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI_PROJECT_DIR", raising=False)  # gitlab paths follow it
    proc = run_cli("fixtures/bad_app", "--output-format", output_format, cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    text = proc.stdout
    prefix = ABSOLUTE_PREFIXES.get(output_format)
    if prefix is not None:
        assert prefix in text
        text = text.replace(prefix, "")
    assert str(REPO) not in text
    assert REPO.as_uri() not in text
    assert_snapshot(f"bad_app.{output_format}.{FORMATS[output_format]}", text)


SHOWN_LAYERS: dict[str, dict[str, str]] = {
    "api_deps": {
        "app/api/deps.py": "dependencies",  # file name beats the `api` folder
        "app/api/routes/items.py": "routes",
        "app/api/main.py": "routes",
        "app/web/handlers.py": "routes",  # registers path operations
        "app/web/__init__.py": "-",
        "app/crud.py": "repositories",
        "app/services/items.py": "services",
        "app/core/db.py": "core",
        "app/main.py": "-",
    },
    "custom_layers": {
        "app/domain/orders.py": "services",
        "app/domain/__init__.py": "services",
        "app/storage/orders.py": "repositories",
        "app/services/payment_gateway.py": "-",  # the globs replace the default words
        "app/http/orders.py": "routes",  # content detection still applies
        "app/http/__init__.py": "-",
        "app/errors.py": "exceptions",
    },
    "flat_app": {
        "shop/routers.py": "routes",
        "shop/deps.py": "dependencies",
        "shop/services.py": "services",
        "shop/crud.py": "repositories",
        "shop/models.py": "models",
        "shop/schemas.py": "schemas",
        "shop/exceptions.py": "exceptions",
        "shop/database.py": "-",
        "shop/main.py": "-",
    },
    "namespace_packages": {
        "app/api/notes/router.py": "routes",
        "app/api/notes/use_cases.py": "services",  # nearest word wins over `api`
        "app/api/notes/sharing_service.py": "routes",  # content beats `*_service`
        "app/dal/notes.py": "repositories",
        "app/errors/http.py": "exceptions",
        "app/db.py": "-",
    },
    "relative_imports": {
        "app/core/__init__.py": "core",
        "app/repositories/__init__.py": "repositories",
        "app/services/accounts/closing.py": "services",
        "app/routes/v1/accounts.py": "routes",
        "app/routes/v1/admin.py": "routes",
        "app/schemas/account.py": "schemas",
    },
    "src_layout": {
        "src/blog/api/articles.py": "routes",
        "src/blog/services/article_service.py": "services",
        "src/blog/repositories/article_repository.py": "repositories",
        "src/blog/errors.py": "exceptions",
        "src/blog/models.py": "models",
        "src/blog/db.py": "-",
        "tests/test_articles.py": "-",  # tests have no layer
    },
}


def test_every_layout_has_pinned_layers() -> None:
    assert sorted(SHOWN_LAYERS) == [project.name for project in LAYOUTS]


@pytest.mark.parametrize("project", LAYOUTS, ids=project_id)
def test_show_files_layers(project: Path) -> None:
    proc = run_cli(project.relative_to(REPO), "--show-files", cwd=REPO)
    assert (proc.returncode, proc.stderr) == (0, "")
    prefix = f"{project.relative_to(REPO).as_posix()}/"
    shown = {}
    for line in proc.stdout.splitlines():
        path, layer, *_why = line.split("\t")
        assert path.startswith(prefix), line
        shown[path.removeprefix(prefix)] = layer
    expected = SHOWN_LAYERS[project.name]
    assert {path: shown.get(path) for path in expected} == expected
