"""Files every generated project holds whatever its size, verbatim: the app's core, its
base model, the auth dependency, the health route, main, Alembic's env.py, the conftest,
and the pyproject.toml and .flake8 (formatted with the cache folder's name)."""

PYPROJECT = """\
[project]
name = "bench-app"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = [
    "fastapi>=0.110",
    "sqlalchemy[asyncio]>=2.0",
    "pydantic>=2.6",
    "pydantic-settings>=2.2",
    "alembic>=1.13",
]

[tool.layercheck]
target-version = "py311"
cache-dir = "{cache}"
"""

FLAKE8_CONFIG = """\
[flake8]
max-line-length = 100
extend-ignore = E203
exclude = .git,__pycache__,.venv,{cache}
"""

EXCEPTIONS = '''\
"""Domain errors; the HTTP layer maps them to status codes in app.main."""

from __future__ import annotations

from fastapi import HTTPException


class DomainError(Exception):
    """Base of every error a service may raise."""


class NotFoundError(DomainError):
    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key!r} not found")
        self.entity = entity
        self.key = key


class ConflictError(DomainError):
    pass


class PermissionDeniedError(DomainError):
    pass


class DomainValidationError(DomainError):
    pass


class AppHTTPError(HTTPException):
    """Kept for old endpoints that return a code with the message."""

    def __init__(self, status_code: int, detail: str, code: str = "error") -> None:
        body = {"code": code, "message": detail}
        super().__init__(status_code=status_code, detail=body)
'''

CORE_CONFIG = '''\
"""Settings read from the environment once, at start-up."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, PostgresDsn
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", env_file=".env")

    database_url: PostgresDsn
    echo_sql: bool = False
    secret_key: str = Field(min_length=32)
    token_ttl_minutes: int = 60
    cors_origins: list[str] = []
    page_size_max: int = 200


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]
'''

CORE_DATABASE = '''\
"""Engines and sessions; request handlers get a session through Depends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import (
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import get_settings

settings = get_settings()
async_engine = create_async_engine(str(settings.database_url), pool_pre_ping=True)
AsyncSessionLocal = async_sessionmaker(async_engine, expire_on_commit=False)
sync_url = str(settings.database_url).replace("+asyncpg", "+psycopg")
sync_engine = create_engine(sync_url, pool_pre_ping=True)
SessionLocal = sessionmaker(sync_engine, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with AsyncSessionLocal() as session:
        try:
            yield session
            await session.commit()
        except Exception:
            await session.rollback()
            raise


def get_sync_session() -> Iterator[Session]:
    with SessionLocal() as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
'''

CORE_SECURITY = '''\
"""Password hashing and signed tokens, without framework types."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import jwt

from app.core.config import get_settings

ALGORITHM = "HS256"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 390_000)
    return f"{salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    salt_hex, _, digest_hex = stored.partition("$")
    expected = hash_password(password, bytes.fromhex(salt_hex))
    return hmac.compare_digest(expected.partition("$")[2], digest_hex)


def create_token(subject: str, scopes: list[str]) -> str:
    settings = get_settings()
    now = dt.datetime.now(dt.timezone.utc)
    claims = {
        "sub": subject,
        "scopes": scopes,
        "iat": now,
        "exp": now + dt.timedelta(minutes=settings.token_ttl_minutes),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def decode_token(token: str) -> dict[str, object]:
    settings = get_settings()
    return jwt.decode(token, settings.secret_key, algorithms=[ALGORITHM])
'''

MODELS_BASE = '''\
"""Declarative base shared by every table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
'''

SCHEMAS_COMMON = '''\
"""Shapes shared by many endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Message(BaseModel):
    detail: str


class ErrorBody(BaseModel):
    code: str
    message: str


class PageParams(BaseModel):
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=200)
'''

DEPS_AUTH = '''\
"""Who is calling: the bearer token, checked once per request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer

from app.core.security import decode_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token")


@dataclass(frozen=True)
class Principal:
    subject: str
    scopes: frozenset[str]


def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> Principal:
    try:
        claims = decode_token(token)
    except jwt.PyJWTError as exc:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="invalid token",
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc
    scopes = claims.get("scopes")
    return Principal(
        subject=str(claims["sub"]),
        scopes=frozenset(scopes if isinstance(scopes, list) else ()),
    )


CurrentUser = Annotated[Principal, Depends(get_current_user)]
'''

ROUTES_HEALTH = '''\
"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import get_session

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def ready(
    response: Response, session: Annotated[AsyncSession, Depends(get_session)]
) -> dict[str, str]:
    try:
        await session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"; the probe says so
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "database unavailable"}
    return {"status": "ok"}
'''

MAIN = '''\
"""The ASGI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from app.core.config import get_settings
from app.core.database import async_engine
from app.exceptions import (
    ConflictError,
    DomainError,
    DomainValidationError,
    NotFoundError,
    PermissionDeniedError,
)
from app.routes import api_router

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    NotFoundError: status.HTTP_404_NOT_FOUND,
    ConflictError: status.HTTP_409_CONFLICT,
    PermissionDeniedError: status.HTTP_403_FORBIDDEN,
    DomainValidationError: status.HTTP_422_UNPROCESSABLE_ENTITY,
}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await async_engine.dispose()


app = FastAPI(title="bench-app", lifespan=lifespan)
app.add_middleware(
    CORSMiddleware,
    allow_origins=get_settings().cors_origins,
    allow_methods=["*"],
    allow_headers=["*"],
)
app.include_router(api_router, prefix="/api")


@app.exception_handler(DomainError)
async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
    code = STATUS_BY_ERROR.get(type(exc), status.HTTP_400_BAD_REQUEST)
    if code >= 500:
        logger.error("unhandled domain error on %s", request.url.path)
    return JSONResponse(status_code=code, content={"detail": str(exc)})
'''

ALEMBIC_ENV = '''\
"""Alembic environment: runs migrations with the application's metadata."""

import asyncio
from logging.config import fileConfig

from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

import app.models  # noqa: F401  (registers every table on the metadata)
from alembic import context
from app.core.config import get_settings
from app.models.base import Base

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)

config.set_main_option("sqlalchemy.url", str(get_settings().database_url))
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    connectable = async_engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    async with connectable.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await connectable.dispose()


def run_migrations_online() -> None:
    asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

CONFTEST = '''\
"""Fixtures: an app on a throw-away database, and a client talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient

from app.main import app


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client() -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://test/api") as c:
        yield c
'''
