"""FastAPI dependencies that wire a session into a repository and a service
(app/dependencies/)."""

from __future__ import annotations

import random

from layercheck_bench.plan import Entity
from layercheck_bench.source import Source, call
from layercheck_bench.templates.growth import Unit, grow, target_lines


def build_dependencies(e: Entity, rng: random.Random) -> Source:
    src = Source(e.module("dependencies"), rng.random() < 0.3, f'"""Wiring for {e.plural}."""')
    c, v = e.cls, e.name
    session = "AsyncSession" if e.is_async else "Session"
    src.imp("sqlalchemy.ext.asyncio" if e.is_async else "sqlalchemy.orm", session)
    src.imp("typing", "Annotated")
    src.imp("fastapi", "Depends")
    getter = "get_session" if e.is_async else "get_sync_session"
    src.imp("app.core.database", getter)
    src.imp(e.module("repositories"), f"{c}Repository")
    src.imp(e.module("services"), f"{c}Service")
    src.add(
        "",
        "",
        *call(
            "",
            f"def get_{v}_repository",
            [f"session: Annotated[{session}, Depends({getter})]"],
            f" -> {c}Repository:",
        ),
        f"    return {c}Repository(session)",
        "",
        "",
        *call(
            "",
            f"def get_{v}_service",
            [f"repository: Annotated[{c}Repository, Depends(get_{v}_repository)]"],
            f" -> {c}Service:",
        ),
        f"    return {c}Service(repository)",
        "",
        "",
        *call(
            "",
            f"{c}ServiceDep = Annotated",
            [f"{c}Service", f"Depends(get_{v}_service)"],
            brackets="[]",
        ),
    )
    grow(src, _dependency_units(e), target_lines(rng), rng)
    return src


def _dependency_units(e: Entity) -> list[Unit]:
    c, v, aw, adef = e.cls, e.name, e.aw, e.adef

    def valid_id(src: Source) -> None:
        src.imp("fastapi", "HTTPException", "status")
        src.imp("app.exceptions", "NotFoundError")
        src.imp(e.module("schemas"), f"{c}Read")
        src.add(
            "",
            "",
            *call(
                "",
                f"{adef} valid_{v}_id",
                [f"{v}_id: int", f"service: {c}ServiceDep"],
                f" -> {c}Read:",
            ),
        )
        src.add(
            "    try:",
            f"        return {aw}service.get({v}_id)",
            "    except NotFoundError as exc:",
            "        raise HTTPException(",
            "            status_code=status.HTTP_404_NOT_FOUND, detail=str(exc)",
            "        ) from exc",
        )

    def pagination(src: Source) -> None:
        src.imp("fastapi", "Query")
        src.add(
            "",
            "",
            f"class {c}Pagination:",
            "    def __init__(",
            "        self,",
            "        offset: int = Query(0, ge=0),",
            "        limit: int = Query(50, ge=1, le=200),",
            "    ) -> None:",
            "        self.offset = offset",
            "        self.limit = limit",
        )

    def editor(src: Source) -> None:
        src.imp("fastapi", "HTTPException", "status")
        src.imp("app.dependencies.auth", "CurrentUser")
        src.add(
            "",
            "",
            f"def require_{v}_editor(user: CurrentUser) -> CurrentUser:",
            f'    if "{e.plural}:write" not in user.scopes:',
            "        raise HTTPException(",
            "            status_code=status.HTTP_403_FORBIDDEN,",
            f'            detail="missing scope {e.plural}:write",',
            "        )",
            "    return user",
        )

    def filters(src: Source) -> None:
        src.imp("fastapi", "Query")
        src.add(
            "",
            "",
            f"def {v}_filters(",
            "    q: str | None = Query(None, max_length=100),",
            "    include_archived: bool = Query(False),",
            ") -> dict[str, object]:",
            "    # Plain dict so the service stays free of FastAPI types.",
            '    return {"q": q, "include_archived": include_archived}',
        )

    return [("valid", valid_id), ("page", pagination), ("editor", editor), ("filters", filters)]
