from __future__ import annotations

import ast
from typing import ClassVar

from layercheck.layers import Layer
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Status, Valid
from layercheck.rules.http._helpers import is_domain_exception


class RepositoryRaisesDomainError(Rule):
    """## What it does
    Checks for a repository that raises a domain exception: an exception class defined in
    the project.

    ## Why is this bad?
    Whether a missing row is an error, and which one, is a business rule: the same
    lookup is a 404 for one use case and a normal "create it" branch for another.
    A repository that raises `NotFoundError` makes that decision for every caller and
    hides it from the service that owns it. Return the model or `None` and let the
    service raise.

    ## Example
    ```python
    # file: app/repositories/user_repo.py
    from sqlalchemy import select

    from app.exceptions import NotFoundError


    class UserRepository:
        async def get_by_id(self, user_id: int) -> User:
            user = await self._session.scalar(select(User).where(User.id == user_id))
            if user is None:
                raise NotFoundError(f"User {user_id} not found")
            return user


    # file: app/exceptions.py
    class NotFoundError(Exception):
        pass


    # file: app/services/user_service.py
    from app.exceptions import NotFoundError


    async def get_user(repo, user_id: int):
        if (user := await repo.get_by_id(user_id)) is None:
            raise NotFoundError(user_id)
        return user
    ```

    ## Use instead
    ```python
    # file: app/repositories/user_repo.py
    from sqlalchemy import select


    class UserRepository:
        async def get_by_id(self, user_id: int) -> User | None:
            return await self._session.scalar(select(User).where(User.id == user_id))


    # file: app/exceptions.py
    class NotFoundError(Exception):
        pass


    # file: app/services/user_service.py
    from app.exceptions import NotFoundError


    async def get_user(repo, user_id: int):
        if (user := await repo.get_by_id(user_id)) is None:
            raise NotFoundError(user_id)
        return user
    ```

    ## Details
    A domain exception is a class defined in the project and shown to be an exception
    (it derives, through project classes, from a built-in exception), other than an
    `HTTPException` or a subclass of one (LC202 reports those), whether or not a
    service raises it too: a repository that turns an `IntegrityError` into the
    project's `DuplicateKeyError` has decided what the conflict means, which is the
    service's decision. Built-in and third-party exceptions are quiet, and so is a bare
    `raise` re-raising what was caught. A repository module that shows no database use
    (it imports neither SQLAlchemy nor sqlmodel nor a module of the models or
    repositories layer, like a `repository.py` that clones git repositories) is left
    alone.

    ## Leaves to
    An `HTTPException` or a subclass raised in a repository: LC202.
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC509",
        name="repository-raises-domain-error",
        message="repository raises domain exception `{name}`; "
        "return the model or None and let the service raise it",
        layers=frozenset({Layer.REPOSITORIES}),
        status=Status.PREVIEW,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            {
                "app/errors.py": "class InvalidRepositoryURLError(ValueError):\n    pass\n",
                "app/integrations/bitbucket/repository.py": "import subprocess\n\n"
                "from app.errors import InvalidRepositoryURLError\n\n\n"
                "class BitbucketRepository:\n"
                "    def clone(self, url: str) -> None:\n"
                "        if not url.startswith('https://'):\n"
                "            raise InvalidRepositoryURLError(url)\n"
                "        subprocess.run(['git', 'clone', url], check=True)\n",
            },
            note="a `repository.py` that clones git repositories, with no database use",
        ),
        Invalid(
            {
                "app/errors/base.py": "class AppError(Exception):\n    pass\n\n\n"
                "class ConflictError(AppError):\n    pass\n",
                "app/errors/__init__.py": "from .base import ConflictError as Conflict\n",
                "app/services/users.py": "from app import errors\n\n\n"
                "def register(repo, email):\n"
                "    if repo.exists(email):\n"
                "        raise errors.Conflict(email)\n",
                "app/repositories/users.py": "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
                "from ..errors import Conflict\n\n\n"
                "class UserRepository:\n"
                "    def __init__(self, session: AsyncSession) -> None:\n"
                "        self.session = session\n\n"
                "    async def add(self, user):\n"
                "        if await self.exists(user.email):\n"
                "            raise Conflict(  # error: 19\n"
                "                user.email\n"
                "            )\n",
            },
            note="a re-exported alias, a relative import, a multi-line call",
        ),
        Invalid(
            {
                "app/exceptions.py": "class NotFoundError(Exception):\n    pass\n",
                "app/models.py": "from sqlalchemy.orm import DeclarativeBase\n\n\n"
                "class Base(DeclarativeBase):\n    pass\n\n\n"
                "class Post(Base):\n    __tablename__ = 'posts'\n",
                "app/services/posts.py": "from app.exceptions import NotFoundError\n\n\n"
                "def get(post):\n"
                "    if post is None:\n"
                "        raise NotFoundError\n",
                "app/crud.py": "import app.exceptions as exc\n"
                "from app.models import Post\n\n\n"
                "def get_post(session, post_id):\n"
                "    def missing():\n"
                "        raise exc.NotFoundError from None  # error\n"
                "    return session.get(Post, post_id) or missing()\n",
            },
            note="raised bare in services; a module alias; a nested function in `crud.py`",
        ),
        Invalid(
            {
                "app/exceptions.py": "class DuplicateKeyError(Exception):\n    pass\n",
                "app/repositories/users.py": "from sqlalchemy.exc import IntegrityError\n\n"
                "from app.exceptions import DuplicateKeyError\n\n\n"
                "async def add(session, user):\n"
                "    try:\n"
                "        await session.flush()\n"
                "    except IntegrityError as error:\n"
                "        raise DuplicateKeyError(user.email) from error  # error\n",
            },
            note="a project exception no service raises is reported too",
        ),
        Valid(
            {
                "app/exceptions.py": "from botocore.exceptions import ClientError\n\n\n"
                "class StorageError(ClientError):\n    pass\n",
                "app/repositories/files.py": "from app.exceptions import StorageError\n\n\n"
                "def put(blob):\n"
                "    raise StorageError(blob)\n",
            },
            note="a project class whose bases cannot be followed to a built-in exception",
        ),
        Valid(
            "def get(session, user_id):\n"
            "    try:\n"
            "        return session.get(User, user_id)\n"
            "    except LookupError:\n"
            "        raise\n"
            "    raise ValueError(user_id)\n",
            path="app/repositories/users.py",
            note="built-in exceptions and a bare re-raise",
        ),
        Valid(
            {
                "app/errors.py": "from fastapi import HTTPException\n\n\n"
                "class Gone(HTTPException):\n    pass\n",
                "app/services/items.py": "from app.errors import Gone\n\n\n"
                "def f():\n    raise Gone(410)\n",
                "app/repositories/items.py": "from app.errors import Gone\n\n\n"
                "def f():\n    raise Gone(410)\n",
            },
            note="an HTTPException subclass is LC202's",
        ),
        Valid(
            {
                "app/exceptions.py": "class NotFoundError(Exception):\n    pass\n",
                "app/services/posts.py": "from app.exceptions import NotFoundError\n\n\n"
                "def get():\n    raise NotFoundError\n",
                "app/routes/posts.py": "from app.exceptions import NotFoundError\n\n\n"
                "def get():\n    raise NotFoundError\n",
            },
            note="other layers may raise domain exceptions",
        ),
        Valid(
            {
                "app/exceptions.py": "class NotFoundError(Exception):\n    pass\n",
                "app/services/posts.py": "from app.exceptions import NotFoundError\n\n\n"
                "def get():\n    raise NotFoundError\n",
                "tests/repositories/test_posts.py": "from app.exceptions import NotFoundError\n\n\n"
                "def fake_get():\n    raise NotFoundError\n",
            },
            note="tests have no layer",
        ),
    )

    def __init__(self) -> None:
        self._quiet = False

    def visit_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        self._quiet = not ctx.index.shows_data_access(ctx.module)

    def visit_Raise(self, node: ast.Raise, ctx: RuleContext) -> None:
        if self._quiet:
            return
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if not isinstance(target, ast.Name | ast.Attribute):
            return
        qualified = ctx.qualified(target)
        if qualified is not None and is_domain_exception(ctx.index.resolve(qualified), ctx.index):
            ctx.report(self, target, name=qualified.rpartition(".")[2])
