from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.alembic_graph import is_alembic_env
from layercheck.layers import SUPPORT_DIRS
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid, last_names
from layercheck.rules.app_config._helpers import (
    ENV_GETTERS,
    ENVIRON,
    in_main_block,
    is_settings_module,
    is_test_file,
    literal_key,
)

_PROCESS_VARIABLES: Final = frozenset(
    {"http_proxy", "https_proxy", "no_proxy", "all_proxy"}
    | {"path", "home", "user", "tmpdir", "tz", "lang", "pythonpath", "virtual_env"}
    | {"ssl_cert_file", "requests_ca_bundle", "cuda_visible_devices", "omp_num_threads"}
    | {"nltk_data", "hf_home", "transformers_cache", "tokenizers_parallelism"}
)
"""Conventions of the process and variables a library reads for itself, not the
application's settings: every HTTP client reads the proxy variables the same way, the
shell sets `PATH` and `HOME`, NLTK finds its data through `NLTK_DATA` and Hugging Face its
cache through `HF_HOME`; no settings class of the application owns them."""


_SERVER_START: Final = frozenset({"uvicorn.run", "uvicorn.main.run", "uvicorn.Config"})
_NESTED: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _server_start(func: ast.expr, ctx: RuleContext) -> bool:
    """`uvicorn.run` / `run` as the module imports it. Read from the module's names, not
    `ctx.qualified`: the walk has not reached this node, and a name bound later in the
    function would be qualified (and cached) wrongly."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        owner = ctx.names.module_scope.get(func.value.id)
        return owner is not None and f"{owner}.{func.attr}" in _SERVER_START
    if isinstance(func, ast.Name):
        return ctx.names.module_scope.get(func.id) in _SERVER_START
    return False


def _process_variable(key: str) -> bool:
    """One of _PROCESS_VARIABLES, or the test runner's (`PYTEST_CURRENT_TEST`, a
    `PYTEST_*` flag a documentation build sets)."""
    return key.lower() in _PROCESS_VARIABLES or key.upper().startswith("PYTEST_")


def _tooling(ctx: RuleContext) -> bool:
    """In a support folder right under the project's root (`automation/`, `scripts/`),
    a package or not: release and CI tooling beside the application reads its own
    environment. A nested `app/scripts/` package is the application's (see layers)."""
    relative = ctx.settings.relative(ctx.path)
    if relative is None:
        return False
    # Its text rather than its parts: `parts` splits the path again, for every file.
    top, below, _ = str(relative).partition("/")
    return bool(below) and top in SUPPORT_DIRS


class EnvironOutsideSettings(Rule):
    """## What it does
    Checks for environment variables read with `os.environ[...]`, `os.environ.get()` or
    `os.getenv()` outside the settings modules.

    ## Why is this bad?
    Configuration read ad hoc is configuration nobody can list: each
    `os.getenv("SMTP_HOST")` buried in a service is a variable the deployment must set
    but no document mentions, read as a string with its own default and its own
    parsing, at import time or in the middle of a request. A `BaseSettings` class
    declares every variable once, with a type, validates them all at startup, and
    lets tests override them in one place.

    Settings modules are the modules that define a `pydantic_settings.BaseSettings`
    subclass (across modules and aliases) or build a module-level settings object
    with another library (`starlette.config.Config`, `environs.Env`); when such a module
    sits in a package named `settings` or `config`, every module of that package is one.
    So is a module named `config`, `settings`, `conf` or `configuration`, whatever class
    holds its values (a dataclass, a plain class reading `os.getenv` in `__init__`).
    Every import form counts (`from os import environ, getenv`, `import os as _os`).
    Left alone: writes (`os.environ["X"] = ...`, `del`, `setdefault`, `pop`,
    `update`), passing the whole mapping on (`env=os.environ`, `"X" in os.environ`),
    the proxy variables every HTTP client reads (`http_proxy`, `HTTPS_PROXY`, `no_proxy`)
    and the variables the process or a library reads for itself (`PATH`, `HOME`, `TZ`,
    `CUDA_VISIBLE_DEVICES`, `NLTK_DATA`, `HF_HOME`, ...) or the test runner (`PYTEST_*`),
    tests, code around the
    application (`scripts/`, `docs/`, `examples/`, `evals/`, `benchmarks/`, `notebooks/`,
    `cookbook/`, `tutorials/`, `automation/`; right under the project's root also when it
    is a package, as release tooling often is), Alembic's `env.py`, and the body of
    `if __name__ == "__main__":` or of the function that starts the server
    (`uvicorn.run(...)` in a CLI command), where the process is configured before the
    application exists.

    ## Example
    ```python
    import os


    class MailService:
        def __init__(self) -> None:
            self.host = os.getenv("SMTP_HOST", "localhost")
    ```

    ## Use instead
    ```python
    # file: app/core/config.py
    from pydantic_settings import BaseSettings


    class Settings(BaseSettings):
        smtp_host: str = "localhost"


    settings = Settings()
    # file: app/services/mail.py
    from app.core.config import settings


    class MailService:
        def __init__(self) -> None:
            self.host = settings.smtp_host
    ```
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC801",
        name="environ-outside-settings",
        message="`{read}` outside the settings module; declare it on a `BaseSettings` class",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "import os\n\n"
            'TIMEOUT = int(os.environ["TIMEOUT"])  # error: 15\n\n'
            "def token():\n"
            '    return os.environ.get("API_TOKEN")  # error: 12\n',
            path="app/services/payments.py",
            note="subscript and `.get()`",
        ),
        Invalid(
            "from os import environ as env, getenv\nimport os as _os\n\n"
            "async def handler(name):\n"
            "    a = getenv(name)  # error\n"
            '    b = env.get("B", "")  # error\n'
            '    c = _os.getenv("C")  # error\n'
            "    return a, b, c\n",
            path="app/routes/items.py",
            note="every import form; any layer",
        ),
        Invalid(
            {
                "app/core/config.py": "from pydantic_settings import BaseSettings\n\n"
                "class Settings(BaseSettings):\n    debug: bool = False\n",
                "app/core/logging.py": "import os\n\n"
                'LEVEL = os.getenv("LOG_LEVEL", "INFO")  # error\n',
            },
            note="next to the settings module is not in it (`core` is not a settings package)",
        ),
        Valid(
            "import os\nfrom pydantic_settings import BaseSettings\n\n"
            'ENV_FILE = os.getenv("ENV_FILE", ".env")\n\n'
            "class Settings(BaseSettings):\n    debug: bool = False\n",
            path="app/core/config.py",
            note="the module that defines the `BaseSettings` class",
        ),
        Valid(
            {
                "app/config/base.py": "from pydantic_settings import BaseSettings\n\n"
                "class Settings(BaseSettings):\n    debug: bool = False\n",
                "app/config/paths.py": "import os\n\n"
                'DATA_DIR = os.environ.get("DATA_DIR", "/data")\n',
            },
            note="every module of a `config` package that holds a settings module",
        ),
        Valid(
            "import os\nfrom dataclasses import dataclass, field\n\n\n"
            "@dataclass\nclass Config:\n"
            '    home: str = field(default_factory=lambda: os.getenv("APP_HOME", "~"))\n',
            path="app/_private/config.py",
            note="a module named `config` is the settings module, whatever class it uses",
        ),
        Valid(
            "import os\n\n"
            'os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"\n'
            'os.environ.setdefault("TZ", "UTC")\n'
            'del os.environ["TMP"]\n'
            'if "CI" in os.environ:\n'
            "    env = dict(os.environ)\n",
            path="app/cli.py",
            note="writes and whole-mapping uses are not reads of one variable",
        ),
        Valid(
            "import os\n\n"
            "def proxies():\n"
            '    return os.environ.get("https_proxy"), os.getenv("ALL_PROXY")\n\n\n'
            "def nltk_folder():\n"
            '    return os.environ.get("NLTK_DATA"), os.environ["HOME"]\n\n\n'
            'DOCS_BUILD = os.environ.get("PYTEST_BUILD_DOCUMENTATION") == "1"\n',
            path="app/utils.py",
            note="the proxy variables are the process's, `NLTK_DATA` is NLTK's: not the "
            "application's settings",
        ),
        Invalid(
            {
                "automation/__init__.py": "",
                "automation/deployment/deployer.py": "import os\n\n"
                'USER = os.environ.get("DEPLOY_SSH_USERNAME")\n',
                "app/__init__.py": "",
                "app/scripts/__init__.py": "",
                "app/scripts/reindex.py": "import os\n\n"
                'BATCH = os.getenv("REINDEX_BATCH")  # error\n',
            },
            note="release tooling in a package right under the root is left alone; near miss: "
            "a `scripts` package inside the application is the application's",
        ),
        Valid(
            {
                "alembic/env.py": "import os\nfrom alembic import context\n\n"
                'url = os.environ["DATABASE_URL"]\n',
                "alembic/versions/0001_init.py": 'revision = "a1"\ndown_revision = None\n',
                "tests/conftest.py": "import os\n\n"
                'WORKER = os.getenv("PYTEST_XDIST_WORKER", "gw0")\n',
                "scripts/seed.py": "import os\n\n"
                "def main():\n"
                '    return os.environ["SEED_COUNT"]\n',
                "docs/examples/app.py": 'import os\n\nKEY = os.getenv("OPENAI_API_KEY")\n',
            },
            note="Alembic's `env.py`, tests, and code around the application (`scripts/`, "
            "`docs/`, `examples/`, `evals/`, `benchmarks/`)",
        ),
        Valid(
            "import os\nimport uvicorn\n\n"
            'if __name__ == "__main__":\n'
            '    uvicorn.run("app.main:app", port=int(os.getenv("PORT", "8000")))\n',
            path="app/main.py",
            note="a `__main__` block configures a script",
        ),
        Invalid(
            "import os\n\nimport uvicorn\n\n\n"
            "def serve(port: int) -> None:\n"
            '    level = os.getenv("SERVER_LOG_LEVEL", "error")\n'
            '    uvicorn.run("app.main:app", port=port, log_level=level)\n\n\n'
            "def banner() -> str:\n"
            '    return os.getenv("BANNER", "")  # error\n',
            path="app/cli/server.py",
            note="the command that starts the server configures the process; near miss: "
            "another function of the module",
        ),
        Valid(
            "from starlette.config import Config\nimport os\n\n"
            'config = Config(".env")\n'
            'DEBUG = config("DEBUG", cast=bool, default=False)\n'
            'TAGS = os.environ.get("EXTRA_TAGS", "")\n',
            path="app/config.py",
            note="a module that builds a `starlette.config.Config` is a settings module",
        ),
        Valid(
            "def getenv(name):\n    return name\n\n"
            "def f(environ):\n"
            '    return getenv("X"), environ["Y"]\n',
            path="app/services/env.py",
            note="a local `getenv` and a parameter named `environ`",
        ),
    )

    calls: ClassVar[frozenset[str] | None] = last_names(ENV_GETTERS)

    def __init__(self) -> None:
        self._quiet: bool | None = None
        """Whether the file is one where reading the environment is fine; None until a
        read is found in a file that is no test, tool or Alembic environment: the
        settings modules are a scan of every class of the project, which a file that
        reads no variable (nearly every file) should not ask for."""
        self._starts: dict[int, bool] = {}

    def visit_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        quiet = is_test_file(ctx) or _tooling(ctx) or is_alembic_env(ctx.path)
        self._quiet = True if quiet else None

    def _is_quiet(self, ctx: RuleContext) -> bool:
        if self._quiet is None:
            self._quiet = is_settings_module(ctx.module, ctx.index)
        return self._quiet

    def _starting(self, ctx: RuleContext) -> bool:
        """In the function that starts the server (`uvicorn.run(...)`): like a `__main__`
        block, it configures the process before the application exists."""
        functions = ctx.functions()
        if not functions:
            return False
        function = functions[0]
        found = self._starts.get(id(function))
        if found is None:
            stack: list[object] = list(function.body)
            found = False
            while stack and not found:
                node = stack.pop()
                if not isinstance(node, ast.AST) or isinstance(node, _NESTED):
                    continue
                found = isinstance(node, ast.Call) and _server_start(node.func, ctx)
                # `ast.iter_child_nodes`, without its generators: this reads every
                # function of the file once.
                for name in node._fields:
                    value = getattr(node, name, None)
                    if type(value) is list:
                        stack.extend(value)
                    elif isinstance(value, ast.AST):
                        stack.append(value)
            self._starts[id(function)] = found
        return found

    # The server-start test reads the whole function: it comes after the cheap test of
    # the name, which rules out nearly every node.
    def visit_Subscript(self, node: ast.Subscript, ctx: RuleContext) -> None:
        if self._quiet or not isinstance(node.ctx, ast.Load):
            return
        if (
            ctx.qualified(node.value) == ENVIRON
            and not self._is_quiet(ctx)
            and not self._starting(ctx)
            and not in_main_block(ctx)
        ):
            key = literal_key(node.slice)
            if key is None or not _process_variable(key):
                ctx.report(self, node, read=f'os.environ["{key}"]' if key else "os.environ[...]")

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if self._quiet:
            return
        name = ctx.qualified(node.func)
        if (
            name in ENV_GETTERS
            and not self._is_quiet(ctx)
            and not self._starting(ctx)
            and not in_main_block(ctx)
        ):
            key = literal_key(node.args[0]) if node.args else None
            if key is not None and _process_variable(key):
                return
            shown = name.removeprefix("os.")
            ctx.report(self, node, read=f'os.{shown}("{key}")' if key else f"os.{shown}(...)")
