from __future__ import annotations

import ast
from typing import ClassVar, Final

from layercheck.alembic_graph import is_alembic_env
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.app_config._helpers import (
    ENV_GETTERS,
    ENVIRON,
    in_main_block,
    is_test_file,
    literal_key,
    settings_modules,
)

_PROCESS_VARIABLES: Final = frozenset({"http_proxy", "https_proxy", "no_proxy", "all_proxy"})
"""Conventions of the process, not the application's settings: every HTTP client reads
the proxy variables the same way, and no settings class owns them."""


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
    the proxy variables every HTTP client reads (`http_proxy`, `HTTPS_PROXY`, `no_proxy`),
    tests, code around the application (`scripts/`, `docs/`, `examples/`, `evals/`,
    `benchmarks/`, `notebooks/`, `cookbook/`, `tutorials/`), Alembic's `env.py`, and the
    body of `if __name__ == "__main__":`, where a script is configured before the
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
            '    return os.environ.get("https_proxy"), os.getenv("ALL_PROXY")\n',
            path="app/utils.py",
            note="the proxy variables are the process's, not the application's settings",
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

    def __init__(self) -> None:
        self.quiet = False

    def visit_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        self.quiet = (
            is_test_file(ctx)
            or is_alembic_env(ctx.path)
            or ctx.module in settings_modules(ctx.index)
        )

    def visit_Subscript(self, node: ast.Subscript, ctx: RuleContext) -> None:
        if self.quiet or not isinstance(node.ctx, ast.Load):
            return
        if ctx.qualified(node.value) == ENVIRON and not in_main_block(ctx):
            key = literal_key(node.slice)
            if key is None or key.lower() not in _PROCESS_VARIABLES:
                ctx.report(self, node, read=f'os.environ["{key}"]' if key else "os.environ[...]")

    def visit_Call(self, node: ast.Call, ctx: RuleContext) -> None:
        if self.quiet:
            return
        name = ctx.qualified(node.func)
        if name in ENV_GETTERS and not in_main_block(ctx):
            key = literal_key(node.args[0]) if node.args else None
            if key is not None and key.lower() in _PROCESS_VARIABLES:
                return
            shown = name.removeprefix("os.")
            ctx.report(self, node, read=f'os.{shown}("{key}")' if key else f"os.{shown}(...)")
