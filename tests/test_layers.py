"""Which layer a file belongs to: path words, config globs, tests, content, migrations."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from support import check_project, write_project

from layercheck.config.globs import Glob
from layercheck.config.settings import Settings
from layercheck.config.workspace import Workspace
from layercheck.discovery import source_file
from layercheck.layers import Layer, LayerMap, is_test_path
from layercheck.rules import CATALOG

R, D, S, P = Layer.ROUTES, Layer.DEPENDENCIES, Layer.SERVICES, Layer.REPOSITORIES


@pytest.mark.parametrize(
    ("path", "layer"),
    [
        ("app/services/users.py", S),
        ("app/service.py", S),
        ("app/user_service.py", S),
        ("app/use_cases/notes.py", S),
        ("app/user_repo.py", P),
        ("app/user_repository.py", P),
        ("app/crud/users.py", P),
        ("app/api/users.py", R),
        ("app/routers/users.py", R),
        ("app/api/deps.py", D),  # nearest component wins: the file over its folder
        ("app/api/notes/use_cases.py", S),
        ("app/services/repositories/x.py", P),  # the nearest folder wins
        ("app/models/user.py", Layer.MODELS),
        ("app/schemas/user.py", Layer.SCHEMAS),
        ("app/core/config.py", Layer.CORE),
        ("app/errors.py", Layer.EXCEPTIONS),
        ("app/services/__init__.py", S),
        # whole components only: a word inside a longer name is not the word
        ("app/github_repository/client.py", None),
        ("app/servicesx/users.py", None),
        ("app/myservices.py", None),
        ("app/apis/users.py", None),
        ("app/repository_utils.py", None),
        ("app/main.py", None),
    ],
)
def test_layer_from_path_words(path: str, layer: Layer | None) -> None:
    assert LayerMap().layer_for(PurePosixPath(path)) is layer


@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("tests/services/users.py", True),
        ("app/test/services.py", True),
        ("app/services/test_users.py", True),
        ("app/services/users_test.py", True),
        ("conftest.py", True),
        ("app/services/conftest.py", True),
        ("app/testing/users.py", False),
        ("app/services/testimony.py", False),
        ("app/latest_tests.py", False),
        ("app/services/users.py", False),
    ],
)
def test_tests_have_no_layer(path: str, is_test: bool) -> None:
    assert is_test_path(PurePosixPath(path)) is is_test
    if is_test:
        assert LayerMap().layer_for(PurePosixPath(path)) is None


def test_custom_globs_replace_that_layers_default_words() -> None:
    layers = LayerMap({S: (Glob("app/domain/**"), Glob("*_logic.py"))})
    assert layers.layer_for(PurePosixPath("app/domain/users.py")) is S
    assert layers.layer_for(PurePosixPath("app/x/users_logic.py")) is S
    assert layers.layer_for(PurePosixPath("app/services/users.py")) is None
    assert layers.layer_for(PurePosixPath("app/user_service.py")) is None
    # other layers keep their defaults, and the custom glob beats them
    assert layers.layer_for(PurePosixPath("app/api/users.py")) is R
    assert layers.layer_for(PurePosixPath("app/domain/api/users.py")) is S


def layer_of(path: Path, settings: Settings) -> tuple[Layer | None, bool, str | None]:
    file = source_file(path, settings)
    return file.path_layer, file.is_test, file.layer_folder


def test_path_layer_is_relative_to_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "tests/proj").mkdir(parents=True)
    write_project(tmp_path / "tests/proj", {"app/services/users.py": ""})
    settings = Workspace(CATALOG, cwd=tmp_path).settings_for(tmp_path / "tests/proj/app")
    # `tests/` above the project root does not make the project's files tests.
    path = tmp_path / "tests/proj/app/services/users.py"
    assert layer_of(path, settings) == (S, False, str(tmp_path / "tests/proj/app/services"))
    assert layer_of(tmp_path / "tests/proj/tests/test_x.py", settings) == (None, True, None)


def test_alembic_versions_next_to_env_py_are_migrations(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "migrations/env.py": "from alembic import context\n",
            "migrations/versions/0001_init.py": "x = 1\n",
            "migrations/versions/2024/0002_more.py": "x = 1\n",
        },
    )
    # Not through write_project, which adds the env.py: this one has none next to it.
    (tmp_path / "other/versions").mkdir(parents=True)
    (tmp_path / "other/versions/0001.py").write_text("x = 1\n", encoding="utf-8")
    settings = Workspace(CATALOG, cwd=tmp_path).settings_for(tmp_path)
    assert layer_of(tmp_path / "migrations/versions/0001_init.py", settings)[0] is (
        Layer.MIGRATIONS
    )
    assert layer_of(tmp_path / "migrations/versions/2024/0002_more.py", settings)[0] is (
        Layer.MIGRATIONS
    )
    assert layer_of(tmp_path / "other/versions/0001.py", settings)[0] is None
    assert layer_of(tmp_path / "migrations/env.py", settings)[0] is None


# -- content beats names (the project index) -------------------------------------------

ROUTER = (
    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
    '@router.get("/")\ndef index():\n    return {}\n'
)


def layers_of(root: Path, files: dict[str, str], config: str = "") -> dict[str, Layer | None]:
    write_project(root, {"app/__init__.py": "", **files}, config)
    result = check_project(root)
    return {
        path.relative_to(root).as_posix(): layer
        for path, layer in result.layers.items()
        if path.name != "__init__.py"
    }


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(ROUTER, id="apirouter-decorator"),
        pytest.param(
            "import fastapi\n\napp = fastapi.FastAPI()\n\n\n"
            '@app.post("/items")\nasync def create():\n    return {}\n',
            id="fastapi-app",
        ),
        pytest.param(
            "from fastapi.routing import APIRouter as R\n\nr = R()\n\n\n"
            "def index():\n    return {}\n\n\nr.add_api_route('/', index)\n",
            id="add-api-route",
        ),
    ],
)
def test_a_module_registering_routes_is_routes(tmp_path: Path, source: str) -> None:
    assert layers_of(tmp_path, {"app/utils/web.py": source}) == {"app/utils/web.py": R}


def test_router_imported_from_another_module(tmp_path: Path) -> None:
    found = layers_of(
        tmp_path,
        {
            "app/utils/__init__.py": "",
            "app/utils/web.py": ROUTER,
            "app/helpers/more.py": (
                "from ..utils.web import router\n\n\n"
                '@router.get("/more")\ndef more():\n    return {}\n'
            ),
            "app/helpers/plain.py": "from ..utils.web import router\n",
        },
    )
    assert found == {"app/utils/web.py": R, "app/helpers/more.py": R, "app/helpers/plain.py": None}


def test_routes_content_beats_a_services_path(tmp_path: Path) -> None:
    assert layers_of(tmp_path, {"app/services/web.py": ROUTER}) == {"app/services/web.py": R}


def test_lookalike_router_is_not_routes(tmp_path: Path) -> None:
    source = (
        "class Router:\n    def get(self, path):\n        return lambda f: f\n\n\n"
        'router = Router()\n\n\n@router.get("/")\ndef index():\n    return {}\n'
    )
    assert layers_of(tmp_path, {"app/utils/web.py": source}) == {"app/utils/web.py": None}


def test_detect_routes_false_keeps_the_path_layer(tmp_path: Path) -> None:
    found = layers_of(
        tmp_path,
        {"app/utils/web.py": ROUTER, "app/services/web.py": ROUTER},
        "detect-routes = false",
    )
    assert found == {"app/utils/web.py": None, "app/services/web.py": S}


def test_revision_files_are_migrations_anywhere(tmp_path: Path) -> None:
    found = layers_of(
        tmp_path,
        {
            "db/rev1.py": 'revision = "a1"\ndown_revision = None\n',
            "db/rev2.py": 'revision: str = "b2"\ndown_revision: str | None = "a1"\n',
            "db/half.py": 'revision = "a1"\n',
        },
    )
    assert found == {
        "db/rev1.py": Layer.MIGRATIONS,
        "db/rev2.py": Layer.MIGRATIONS,
        "db/half.py": None,
    }


def test_layer_gates_rules(tmp_path: Path) -> None:
    """LC201 runs in the services layer only, whatever made the file a service."""
    raise_it = "from fastapi import HTTPException\n\n\ndef f():\n    raise HTTPException(404)\n"
    write_project(
        tmp_path,
        {
            "app/user_service.py": raise_it,
            "app/api/notes/use_cases.py": raise_it,
            "app/github_repository/service_client.py": raise_it,
            "app/api/deps.py": raise_it,
            "tests/services/test_users.py": raise_it,
            "app/services/conftest.py": raise_it,
        },
    )
    result = check_project(tmp_path, select=("LC201",))
    assert sorted(f.path.relative_to(tmp_path).as_posix() for f in result.findings) == [
        "app/api/notes/use_cases.py",
        "app/user_service.py",
    ]
