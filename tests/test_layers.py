"""Which layer a file belongs to: path words, config globs, tests, content, migrations."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from support import check_project, run_cli, write_project

from layercheck.config.globs import Glob
from layercheck.config.settings import Settings
from layercheck.config.workspace import Workspace
from layercheck.discovery import source_file
from layercheck.facts import FileFacts
from layercheck.index import ProjectIndex
from layercheck.layers import Layer, LayerMap, is_test_path, path_layer
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
        ("app/domains/sources/fakes/validation.py", True),
        ("app/testing/users.py", False),
        ("app/fake_data.py", False),
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
        Path(name).relative_to(root).as_posix(): layer
        for name, layer in result.layers.items()
        if Path(name).name != "__init__.py"
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


# -- path words confirmed by content (layer_evidence.py) -------------------------------

ORM_BASE = (
    "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"
)
ORM_USER = (
    "from sqlalchemy import Integer\nfrom sqlalchemy.orm import Mapped, mapped_column\n\n"
    "from app.db.base import Base\n\n\nclass User(Base):\n"
    '    __tablename__ = "users"\n    id: Mapped[int] = mapped_column(Integer, primary_key=True)\n'
)
LLM_MODELS = "from pydantic import BaseModel\n\n\nclass ChatModel(BaseModel):\n    name: str\n"
API_CLIENT = (
    "import httpx\n\n\nclass GitHubClient:\n    def get(self, url: str) -> bytes:\n"
    "        return httpx.get(url).content\n"
)


def test_api_folder_of_outbound_clients_has_no_routes_layer(tmp_path: Path) -> None:
    found = layers_of(
        tmp_path,
        {"app/api/__init__.py": "", "app/api/github.py": API_CLIENT, "app/web.py": ROUTER},
    )
    assert found == {"app/api/github.py": None, "app/web.py": R}


def test_api_folder_that_only_includes_routers_is_routes(tmp_path: Path) -> None:
    """Near miss: the folder registers no path operation itself, it includes routers."""
    found = layers_of(
        tmp_path,
        {
            "app/users/__init__.py": "",
            "app/users/views.py": ROUTER,
            "app/api/__init__.py": "",
            "app/api/setup.py": (
                "from fastapi import FastAPI\n\nfrom app.users.views import router\n\n\n"
                "def install(app: FastAPI) -> None:\n    app.include_router(router)\n"
            ),
            "app/api/github.py": API_CLIENT,
        },
    )
    assert found["app/api/setup.py"] is R
    assert found["app/api/github.py"] is R  # its package registers routes


def test_models_package_without_orm_classes_has_no_models_layer(tmp_path: Path) -> None:
    found = layers_of(
        tmp_path,
        {
            "app/llm/__init__.py": "",
            "app/llm/models/__init__.py": "",
            "app/llm/models/chat.py": LLM_MODELS,
            "app/services/llm/models/chat.py": LLM_MODELS,
            "app/db.py": ORM_BASE,  # a project with ORM classes elsewhere
        },
    )
    # no word left: no layer; `services/` farther up decides for the second
    assert found["app/llm/models/chat.py"] is None
    assert found["app/services/llm/models/chat.py"] is S


def test_models_package_reexporting_orm_classes_is_models(tmp_path: Path) -> None:
    """Near miss: `models/__init__.py` re-exports classes defined in `db/`; its other
    modules (enums beside them) are the models layer through their package."""
    found = layers_of(
        tmp_path,
        {
            "app/db/__init__.py": "",
            "app/db/base.py": ORM_BASE,
            "app/db/tables.py": ORM_USER,
            "app/models/__init__.py": "from app.db.tables import User\n\n__all__ = ['User']\n",
            "app/models/enums.py": "import enum\n\n\nclass Role(enum.Enum):\n    ADMIN = 1\n",
        },
    )
    assert found["app/models/enums.py"] is Layer.MODELS


def test_models_module_defining_a_table_is_models(tmp_path: Path) -> None:
    table = (
        "from sqlalchemy import Column, Integer, MetaData, Table\n\nmetadata = MetaData()\n"
        'users = Table("users", metadata, Column("id", Integer, primary_key=True))\n'
    )
    found = layers_of(tmp_path, {"app/models.py": table, "app/x/models.py": LLM_MODELS})
    assert found == {"app/models.py": Layer.MODELS, "app/x/models.py": None}


def test_repositories_package_that_manages_git_repositories(tmp_path: Path) -> None:
    found = layers_of(
        tmp_path,
        {
            "app/repositories/__init__.py": "",
            "app/repositories/git.py": "import subprocess\n\n\ndef clone(url: str) -> None:\n"
            '    subprocess.run(["git", "clone", url], check=True)\n',
            "app/repositories/crud.py": (
                "from sqlalchemy.orm import Session\n\n\ndef count(db: Session) -> int:\n"
                '    return db.execute("SELECT count(*) FROM users").scalar_one()\n'
            ),
        },
    )
    assert found == {"app/repositories/git.py": None, "app/repositories/crud.py": P}


def test_repository_on_a_base_repository_shows_data_access(tmp_path: Path) -> None:
    found = layers_of(
        tmp_path,
        {
            "app/db/__init__.py": "",
            "app/db/base.py": ORM_BASE,
            "app/db/tables.py": ORM_USER,
            "app/repositories/__init__.py": "",
            "app/repositories/base.py": (
                "from sqlalchemy.orm import Session\n\n\nclass BaseRepository:\n"
                "    def __init__(self, db: Session) -> None:\n        self.db = db\n"
            ),
            "app/repositories/users.py": (
                "from app.repositories.base import BaseRepository\n\n\n"
                "class UserRepository(BaseRepository):\n    pass\n"
            ),
            "app/repositories/tables.py": (
                "from app.db.tables import User\n\n\ndef label(user: User) -> str:\n"
                "    return str(user.id)\n"
            ),
        },
    )
    assert found["app/repositories/users.py"] is P
    assert found["app/repositories/tables.py"] is P


def test_module_of_dependency_providers_is_dependencies(tmp_path: Path) -> None:
    found = layers_of(
        tmp_path,
        {
            "app/db.py": (
                "from sqlalchemy.orm import Session\n\n\ndef get_db() -> Session:\n"
                "    return Session()\n"
            ),
            "app/dependencies/__init__.py": "",
            "app/dependencies/repositories.py": (
                "from fastapi import Depends\nfrom sqlalchemy.orm import Session\n\n"
                "from app.db import get_db\n\n\n"
                "def get_users(db: Session = Depends(get_db)) -> list[str]:\n    return []\n"
            ),
            "app/web.py": (
                "from fastapi import APIRouter, Depends\n\n"
                "from app.dependencies.repositories import get_users\n\nrouter = APIRouter()\n\n\n"
                '@router.get("/")\ndef index(users: list[str] = Depends(get_users)):\n'
                "    return users\n"
            ),
            # a session factory that lower layers import keeps its path's layer
            "app/repositories/session.py": (
                "from sqlalchemy.orm import Session\n\n\ndef get_session() -> Session:\n"
                "    return Session()\n"
            ),
        },
    )
    assert found["app/dependencies/repositories.py"] is D
    assert found["app/repositories/session.py"] is P


def test_globs_are_taken_as_given(tmp_path: Path) -> None:
    found = layers_of(
        tmp_path,
        {"app/models/chat.py": LLM_MODELS, "app/api/github.py": API_CLIENT},
        '[tool.layercheck.layers]\nmodels = ["app/models/**"]\nroutes = ["app/api/**"]\n',
    )
    assert found == {"app/models/chat.py": Layer.MODELS, "app/api/github.py": R}


def test_show_files_says_why_a_word_gives_no_layer(tmp_path: Path) -> None:
    write_project(
        tmp_path, {"app/__init__.py": "", "app/api/github.py": API_CLIENT, "app/web.py": ROUTER}
    )
    proc = run_cli("--show-files", "--no-cache", ".", cwd=tmp_path)
    assert "app/api/github.py\t-\t(`api/` registers no path operation or router)" in (
        proc.stdout.splitlines()
    )


def test_words_stand_where_the_project_shows_no_such_thing(tmp_path: Path) -> None:
    """No router, no ORM class, no database import anywhere (another framework, a stub):
    nothing tells a layer word from a domain noun."""
    found = layers_of(
        tmp_path,
        {
            "app/api/github.py": API_CLIENT,
            "app/models/chat.py": LLM_MODELS,
            "app/repositories/git.py": "import subprocess\n",
        },
    )
    assert found == {
        "app/api/github.py": R,
        "app/models/chat.py": Layer.MODELS,
        "app/repositories/git.py": P,
    }


SERVICE = "from app.db.base import Base\n\n\ndef run() -> type:\n    return Base\n"


def test_core_folder_holding_services_is_a_domain_root(tmp_path: Path) -> None:
    """`core/<domain>/service.py`: `core` names the domain root, not the shared layer;
    modules in it with no nearer word get none, so importing a service is no upward
    import."""
    found = layers_of(
        tmp_path,
        {
            "app/db/__init__.py": "",
            "app/db/base.py": ORM_BASE,
            "app/core/__init__.py": "",
            "app/core/billing/__init__.py": "",
            "app/core/billing/service.py": SERVICE,
            "app/core/billing/runtime.py": "from app.core.billing.service import run\n",
        },
    )
    assert found["app/core/billing/runtime.py"] is None
    assert found["app/core/billing/service.py"] is S


def test_core_folder_of_settings_and_a_dependencies_module_stands(tmp_path: Path) -> None:
    """Near miss: `core/deps.py` beside `core/config.py` is no domain package."""
    found = layers_of(
        tmp_path,
        {
            "app/core/__init__.py": "",
            "app/core/config.py": "DEBUG = False\n",
            "app/core/deps.py": "from app.core.config import DEBUG\n",
            "app/services/users.py": "from app.core.config import DEBUG\n",
        },
    )
    assert found["app/core/config.py"] is Layer.CORE
    assert found["app/core/deps.py"] is D


ALEMBIC_ENV = "from alembic import context\n\nfrom migrations.frozen import Base\n"
REVISION = 'from migrations.frozen import Base\n\nrevision = "a1"\ndown_revision = None\n'


def test_modules_beside_alembic_env_have_no_layer(tmp_path: Path) -> None:
    """Models and data migrations kept in the Alembic environment belong to the
    migrations: a `models.py` there is no models layer, a `core/` there no core layer."""
    found = layers_of(
        tmp_path,
        {
            "migrations/__init__.py": "",
            "migrations/env.py": ALEMBIC_ENV,
            "migrations/frozen.py": ORM_BASE,
            "migrations/models.py": ORM_USER.replace("app.db.base", "migrations.frozen"),
            "migrations/core/__init__.py": "",
            "migrations/core/backfill.py": "from app.services.users import run\n",
            "migrations/versions/0001_init.py": REVISION,
            "app/services/users.py": SERVICE,
            "app/db/base.py": ORM_BASE,
        },
    )
    assert found["migrations/models.py"] is None
    assert found["migrations/core/backfill.py"] is None
    assert found["migrations/versions/0001_init.py"] is Layer.MIGRATIONS


def test_an_env_py_without_revisions_makes_no_environment(tmp_path: Path) -> None:
    """Near miss: an `env.py` that imports alembic but has no revisions beneath."""
    found = layers_of(
        tmp_path,
        {
            "app/env.py": "from alembic import context\n",
            "app/models.py": ORM_BASE,
        },
    )
    assert found["app/models.py"] is Layer.MODELS


def test_a_repo_module_reaching_the_database_only_through_an_exception_import(
    tmp_path: Path,
) -> None:
    """`resolve_repo.py` clones git repositories; its logging helper imports
    `sqlalchemy.exc` to silence a warning: no data access. Nor is an import under
    `TYPE_CHECKING`, or a session helper imported inside a function to be called."""
    found = layers_of(
        tmp_path,
        {
            "app/db/__init__.py": "",
            "app/db/base.py": ORM_BASE,
            "app/log.py": "import logging\nfrom sqlalchemy.exc import SAWarning\n\n"
            "def get_logger() -> logging.Logger:\n    return logging.getLogger()\n",
            "app/tasks/resolve_repo.py": "from app.log import get_logger\n",
            "app/tasks/user_repo.py": "from app.db.session import get_session\n",
            "app/tasks/code_repo.py": "from typing import TYPE_CHECKING\n\n"
            "if TYPE_CHECKING:\n    from app.db.base import Base\n\n"
            "def ingest() -> None:\n    from app.db.session import get_session\n",
            "app/db/session.py": "from sqlalchemy.orm import Session\n\n"
            "def get_session() -> Session:\n    return Session()\n",
        },
    )
    assert found["app/tasks/resolve_repo.py"] is None
    assert found["app/tasks/code_repo.py"] is None  # a type hint; a helper called
    assert found["app/tasks/user_repo.py"] is P


def test_code_around_the_application_is_like_tests(tmp_path: Path) -> None:
    """`scripts/`, `docs/`, `examples/`, `evals/`... that are no package: no layer, as
    tests; a `scripts` package inside the application keeps its words."""
    files = {
        "scripts/seed.py": "",
        "docs/tutorial/routes/users.py": "",
        "examples/fastapi_app/services/chat.py": "",
        "server/evals/services/judge.py": "",
        "app/scripts/__init__.py": "",
        "app/scripts/services/seed.py": "",
        "app/documents/services.py": "",
    }
    write_project(tmp_path, files)
    found: dict[str, tuple[Layer | None, bool]] = {}
    for name in files:
        path = tmp_path / name
        layer, is_test, _ = path_layer(
            path, relative=PurePosixPath(name), root=tmp_path, layer_map=LayerMap()
        )
        found[name] = (layer, is_test)
    assert found == {
        "scripts/seed.py": (None, True),
        "docs/tutorial/routes/users.py": (None, True),
        "examples/fastapi_app/services/chat.py": (None, True),
        "server/evals/services/judge.py": (None, True),
        "app/scripts/__init__.py": (None, False),
        "app/scripts/services/seed.py": (S, False),
        "app/documents/services.py": (S, False),
    }


def test_api_folder_holding_the_other_layers_is_the_application_root(tmp_path: Path) -> None:
    """`fides/api/` holds `service/`, `models/` and `v1/endpoints/`: its name gives no
    routes layer to `api/db/seed.py`; the endpoints are routes by content."""
    found = layers_of(
        tmp_path,
        {
            "app/api/__init__.py": "",
            "app/api/models/__init__.py": "",
            "app/api/models/user.py": ORM_USER.replace("app.db.base", "app.api.db.base"),
            "app/api/db/__init__.py": "",
            "app/api/db/base.py": ORM_BASE,
            "app/api/db/seed.py": "from app.api.models.user import User\n",
            "app/api/service/__init__.py": "",
            "app/api/service/users.py": "from app.api.models.user import User\n",
            "app/api/v1/__init__.py": "",
            "app/api/v1/endpoints.py": ROUTER,
        },
    )
    assert found["app/api/db/seed.py"] is None
    assert found["app/api/v1/endpoints.py"] is R
    assert found["app/api/service/users.py"] is S


def test_crud_folder_that_hands_the_session_on_is_a_service(tmp_path: Path) -> None:
    """mlrun's `server/api/crud/`: each module takes the session only to pass it to the
    database layer; near misses: one calling the session, one keeping it on `self`."""
    found = layers_of(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/db/__init__.py": "",
            "app/db/sqldb.py": "import sqlalchemy\n\n\nclass SQLDB:\n"
            "    def store_run(self, session, run): ...\n",
            "app/db/singleton.py": "from app.db.sqldb import SQLDB\n\n\ndef get_db() -> SQLDB:\n"
            "    return SQLDB()\n",
            "app/crud/__init__.py": "from app.crud import base\n",
            "app/crud/runs.py": "import sqlalchemy.orm\n\nfrom app.db.singleton import get_db\n\n\n"
            "class Runs:\n"
            "    def store(self, session: sqlalchemy.orm.Session, run: dict) -> None:\n"
            "        get_db().store_run(session, run)\n",
            "app/crud/cache.py": "from sqlalchemy.orm import Session\n\n\n"
            "def clear(session: Session) -> None:\n    session.commit()\n",
            "app/crud/base.py": "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
            "class Base:\n    def __init__(self, session: AsyncSession) -> None:\n"
            "        self.session = session\n",
        },
    )
    assert found["app/crud/runs.py"] is Layer.SERVICES
    # the package follows its modules: one hands the session on, two access data
    package = {
        Path(p).relative_to(tmp_path).as_posix(): v
        for p, v in check_project(tmp_path).layers.items()
    }
    assert package["app/crud/__init__.py"] is P
    assert found["app/crud/cache.py"] is P
    assert found["app/crud/base.py"] is P


def test_a_services_file_of_data_classes_describes_services(tmp_path: Path) -> None:
    """dstack's `core/models/services.py` declares the models a platform serves: no
    services layer from its name; near miss: a `services.py` with behaviour."""
    data = (
        "from pydantic import BaseModel\n\n\nclass ChatModel(BaseModel):\n"
        "    name: str\n    format: str\n"
    )
    service = (
        "class BillingService:\n    def charge(self, amount: int) -> int:\n        return amount\n"
    )
    found = layers_of(
        tmp_path,
        {"app/catalog/services.py": data, "app/billing/services.py": service},
    )
    assert found == {"app/catalog/services.py": None, "app/billing/services.py": S}


def test_a_core_folder_defining_path_operations_is_no_shared_core(tmp_path: Path) -> None:
    """SurfSense's `capabilities/core/access/rest.py` registers routes with
    `router.add_api_route` in a factory: its `core/` is the capabilities' own; near miss:
    a shared `core/` that only builds the app with `include_router`."""
    found = layers_of(
        tmp_path,
        {
            "app/capabilities/core/access/rest.py": "from fastapi import APIRouter\n\n\n"
            "def build() -> APIRouter:\n    router = APIRouter()\n"
            "    router.add_api_route('/run', run)\n    return router\n",
            "app/capabilities/core/access/agent.py": "import json\n",
            "app/core/setup.py": "from fastapi import FastAPI\n\nfrom app.api import router\n\n"
            "app = FastAPI()\napp.include_router(router)\n",
            "app/core/config.py": "import os\n",
        },
    )
    assert found["app/capabilities/core/access/agent.py"] is None
    assert found["app/core/config.py"] is Layer.CORE


def test_the_modules_below_a_folder_are_those_a_scan_of_the_project_finds() -> None:
    """Found through the sorted paths: a neighbour whose name only starts like the
    folder (`services2`, `services.py`), a Windows path, a test, the project's order."""
    paths = [
        "/p/app/services/z.py",
        "/p/app/services2/a.py",
        "/p/app/services.py",
        "/p/app/services/deep/b.py",
        "C:\\p\\app\\services\\w.py",
        "/p/app/services/test_x.py",
        "/p/app/service/c.py",
        "/p/app/services/a.py",
    ]
    facts = [
        FileFacts(path, "", False, None, path.endswith("test_x.py"), parsed=False) for path in paths
    ]
    evidence = ProjectIndex(facts)._evidence
    for folder in ("/p/app/services", "/p/app/services/", "C:\\p\\app\\services", "/p/app"):
        stem = folder.rstrip("/\\")
        scanned = [
            item.path
            for item in facts
            if item.path.startswith((stem + "/", stem + "\\")) and not item.is_test
        ]
        assert [item.path for item in evidence._under(folder)] == scanned
    assert [item.path for item in evidence._under("/p/app/services")] == [
        "/p/app/services/z.py",
        "/p/app/services/deep/b.py",
        "/p/app/services/a.py",
    ]
