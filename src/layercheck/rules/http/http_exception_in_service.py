from __future__ import annotations

from typing import ClassVar

from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, RuleMeta, Valid
from layercheck.rules.http._helpers import HttpExceptionRule


class HttpExceptionInService(HttpExceptionRule):
    """## What it does
    Checks for `HTTPException`, or a project subclass of it, raised or constructed in the
    service layer.

    ## Why is this bad?
    Services also run from background workers, CLIs and tests, where an HTTP status means
    nothing. An `HTTPException` ties business logic to one transport and hides which
    business rule failed. Raise a domain exception (`NotFoundError`, `ConflictError`) and
    let an exception handler, or the route, map it to a status code.

    ## Example
    ```python
    from fastapi import HTTPException

    async def get_user(repo, user_id: int):
        user = await repo.get(user_id)
        if user is None:
            raise HTTPException(status_code=404, detail="User not found")
        return user
    ```

    ## Use instead
    ```python
    from app.exceptions import NotFoundError

    async def get_user(repo, user_id: int):
        user = await repo.get(user_id)
        if user is None:
            raise NotFoundError(f"User {user_id} not found")
        return user
    ```

    ## Leaves to
    An `HTTPException` in a repository: LC202. A `status.HTTP_*` constant used on its
    own in a service: LC204; a response built there: LC203.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC201",
        name="http-exception-in-service",
        message="`{name}` used in a service; raise a domain exception instead",
        layers=frozenset({Layer.SERVICES}),
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from fastapi import HTTPException as HE\n\n"
            "def get(user):\n    if user is None:\n        raise HE(404)  # error: 15\n"
        ),
        Invalid(
            "import fastapi\n\ndef f():\n"
            "    raise fastapi.HTTPException(  # error\n        status_code=404,\n    )\n",
            note="module import, multi-line call",
        ),
        Invalid(
            "from starlette.exceptions import HTTPException\n\n"
            "class UserService:\n    async def get(self):\n        raise HTTPException  # error\n"
        ),
        Invalid(
            "from fastapi import HTTPException\n\ndef make():\n"
            "    return HTTPException(status_code=409)  # error\n",
            note="constructed, not raised",
        ),
        Invalid(
            {
                "app/errors.py": "import fastapi\n\nclass Gone(fastapi.HTTPException):\n    pass\n",
                "app/services/users.py": "from ..errors import Gone\n\n"
                "def f():\n    raise Gone(410)  # error\n",
            },
            note="project subclass, relative import",
        ),
        Valid("from fastapi import HTTPException\n", note="imported only"),
        Valid(
            "from fastapi import HTTPException\n\ndef f():\n    raise HTTPException(404)\n",
            path="app/routes/users.py",
            note="routes may raise it",
        ),
        Valid(
            "from fastapi import HTTPException\n\ndef f():\n    raise HTTPException(401)\n",
            path="app/dependencies/auth.py",
            note="dependencies may raise it",
        ),
        Valid(
            "class HTTPException(Exception):\n    pass\n\ndef f():\n    raise HTTPException()\n",
            note="a project class that only shares the name",
        ),
        Valid(
            "from fastapi import HTTPException\n\n"
            "def f(HTTPException):\n    raise HTTPException()\n",
            note="a parameter shadows the import",
        ),
        Valid(
            "from fastapi import HTTPException\n\ndef f():\n    raise HTTPException(404)\n",
            path="tests/services/test_users.py",
            note="tests have no layer",
        ),
    )
