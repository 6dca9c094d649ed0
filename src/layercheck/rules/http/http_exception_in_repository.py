from __future__ import annotations

from typing import ClassVar

from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, RuleMeta, Valid
from layercheck.rules.http._helpers import HttpExceptionRule


class HttpExceptionInRepository(HttpExceptionRule):
    """## What it does
    Checks for `HTTPException`, or a project subclass of it, raised or constructed in the
    repository layer.

    ## Why is this bad?
    A repository only reads and writes data; it cannot know whether a missing row is a 404,
    a 409 or a normal case for its caller. An `HTTPException` there skips the service that
    owns the business rule and ties data access to HTTP, so the same query cannot serve a
    background job or a CLI. Return the model or `None` and let the service decide.

    ## Example
    ```python
    from fastapi import HTTPException
    from sqlalchemy import select

    class UserRepository:
        async def get_by_id(self, user_id: int):
            user = await self.session.scalar(select(User).where(User.id == user_id))
            if user is None:
                raise HTTPException(status_code=404, detail="User not found")
            return user
    ```

    ## Use instead
    ```python
    from sqlalchemy import select

    class UserRepository:
        async def get_by_id(self, user_id: int):
            return await self.session.scalar(select(User).where(User.id == user_id))
    ```

    ## Leaves to
    An `HTTPException` in a service: LC201. A domain exception raised in a repository:
    LC509 (preview).
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC202",
        name="http-exception-in-repository",
        message="`{name}` used in a repository; return the model or None, let the service decide",
        layers=frozenset({Layer.REPOSITORIES}),
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Invalid(
            "from fastapi import HTTPException as HE\n\n"
            "class UserRepository:\n"
            "    async def get(self, user_id):\n"
            "        user = await self.session.get(User, user_id)\n"
            "        if user is None:\n"
            "            raise HE(404)  # error: 19\n"
            "        return user\n",
            note="alias, async method in a class",
        ),
        Invalid(
            "import fastapi\n\ndef delete(session, user):\n"
            "    if user is None:\n"
            "        raise fastapi.HTTPException(  # error\n"
            "            status_code=404,\n"
            "            detail='gone',\n"
            "        )\n",
            note="module import, multi-line call",
        ),
        Invalid(
            "from starlette.exceptions import HTTPException\n\n"
            "def outer():\n    def check(row):\n        if row is None:\n"
            "            raise HTTPException  # error: 19\n    return check\n",
            note="starlette's class, raised bare in a nested function",
        ),
        Invalid(
            "from fastapi.exceptions import HTTPException\n\n"
            "def conflict():\n    return HTTPException(status_code=409)  # error\n",
            path="app/users_repo.py",
            note="constructed, not raised; a `*_repo.py` file is a repository",
        ),
        Invalid(
            {
                "app/errors.py": "import fastapi\n\nclass Gone(fastapi.HTTPException):\n    pass\n",
                "app/repositories/users.py": "from ..errors import Gone\n\n"
                "def f():\n    raise Gone(410)  # error\n",
            },
            note="project subclass, relative import",
        ),
        Valid("from fastapi import HTTPException\n", note="imported only"),
        Valid(
            "from fastapi import HTTPException\n\ndef f():\n    raise HTTPException(404)\n",
            path="app/services/users.py",
            note="services are LC201's concern",
        ),
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
            "from fastapi import HTTPException\n\ndef f():\n    raise HTTPException(502)\n",
            path="app/github_repository/client.py",
            note="`github_repository` is not the word `repository`: no layer",
        ),
        Valid(
            "class HTTPException(Exception):\n    pass\n\ndef f():\n    raise HTTPException()\n",
            note="a project class that only shares the name",
        ),
        Valid(
            "from fastapi import HTTPException\n\ndef f():\n    raise HTTPException(404)\n",
            path="tests/repositories/test_users.py",
            note="tests have no layer",
        ),
    )
