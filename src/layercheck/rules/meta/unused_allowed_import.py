from __future__ import annotations

from typing import ClassVar, Final

from layercheck.rules._base import Example, Invalid, Rule, RuleMeta, Valid

_PYPROJECT = "pyproject.toml"
_HEALTH = "app/api/health.py"
_PING = "app/repositories/ping.py"
_PING_SOURCE = "def ping(session):\n    return session.execute('select 1')\n"


def _config(*entries: str) -> str:
    listed = "".join(f"    {entry}\n" for entry in entries)
    return f"[tool.layercheck]\nallow-imports = [\n{listed}]\n"


_ALLOW_HEALTH: Final = '"app.api.health -> app.repositories.ping",'


class UnusedAllowedImport(Rule):
    """## What it does
    Reports an entry of `allow-imports` (in `[tool.layercheck]`) that matches no import
    of the project: an exception to the layer rules that no longer excuses anything.
    The finding is in the configuration file, at the entry's line, and is reported when
    the run covers that file (`layercheck .`), as ruff reports the problems of a
    `pyproject.toml`.

    ## Why is this bad?
    An allowed import records a debt: a route that still reads a repository, a legacy
    package that may import anything. When the code is fixed, the entry stays behind
    and silently allows the next import that matches it. Reporting dead entries keeps
    the list as short as the debt it stands for, as import-linter does for its
    `ignore_imports`.

    ## Example
    ```python
    # file: pyproject.toml
    [tool.layercheck]
    allow-imports = ["app.api.health -> app.repositories.ping"]

    # file: app/api/health.py
    from app.services import status

    # file: app/services/status.py
    def ping(session):
        return session.execute("select 1")
    ```

    ## Use instead
    ```python
    # file: pyproject.toml
    [tool.layercheck]

    # file: app/api/health.py
    from app.services import status

    # file: app/services/status.py
    def ping(session):
        return session.execute("select 1")
    ```

    ## Details
    An entry is used when any import of the project matches it, whether or not a rule
    would report that import: imports inside functions and under `if TYPE_CHECKING:`
    count. An entry given with `--config "allow-imports=[...]"` is in no file and is not
    reported. `# noqa: LC004` after the entry (TOML comments look like Python's)
    silences it.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC004",
        name="unused-allowed-import",
        message="allowed import `{entry}` matches no import of the project",
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            {
                _PYPROJECT: _config(_ALLOW_HEALTH + "  # error: 5"),
                _PING: _PING_SOURCE,
                _HEALTH: "from app.services import status\n",
                "app/services/status.py": "def ping():\n    pass\n",
            },
            note="the route now calls a service",
        ),
        Invalid(
            {
                _PYPROJECT: _config(
                    '"app.legacy.* -> *",',
                    "'app.*.models -> app.services.**',  # error",
                    '"app.api.** -> app.crud",  # error',
                ),
                "app/legacy/billing.py": "import json\n",
                "app/api/v1/users.py": "from app.services import users\n",
                "app/services/users.py": "X = 1\n",
            },
            note="globs: the legacy package's import of json uses the first entry only",
        ),
        Valid(
            {
                _PYPROJECT: _config(_ALLOW_HEALTH),
                _PING: _PING_SOURCE,
                _HEALTH: "def check(session):\n"
                "    from app.repositories.ping import ping\n\n"
                "    return ping(session)\n",
            },
            note="a function-level import uses the entry",
        ),
        Valid(
            {
                _PYPROJECT: _config('"app.api.* -> app.repositories",'),
                _PING: _PING_SOURCE,
                _HEALTH: "from typing import TYPE_CHECKING\n\n"
                "if TYPE_CHECKING:\n"
                "    from app.repositories import ping\n",
            },
            note="a type-only import matches too; a glob covers the modules below it",
        ),
        Valid(
            {
                _PYPROJECT: _config('"app.services.** -> fastapi",'),
                "app/services/deep/users.py": "from fastapi import BackgroundTasks\n",
            },
            note="a third-party import, under `**`",
        ),
        Valid(
            {
                _PYPROJECT: _config(_ALLOW_HEALTH + "  # noqa: LC004"),
                _HEALTH: "import json\n",
            },
            note="silenced with a noqa comment",
        ),
    )
