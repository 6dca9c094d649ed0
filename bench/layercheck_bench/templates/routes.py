"""FastAPI routers (app/routes/); where the plan says so a route imports a repository or
runs a query itself."""

from __future__ import annotations

import random

from layercheck_bench.plan import Entity
from layercheck_bench.source import Source, call
from layercheck_bench.templates.growth import Unit, grow, target_lines


def build_route(e: Entity, rng: random.Random) -> Source:
    src = Source(e.module("routes"), rng.random() < 0.3, f'"""HTTP endpoints for {e.plural}."""')
    c, v, aw, adef = e.cls, e.name, e.aw, e.adef
    src.imp("fastapi", "APIRouter", "HTTPException", "Query", "status")
    src.imp("app.exceptions", "ConflictError", "NotFoundError")
    src.imp(e.module("dependencies"), f"{c}ServiceDep")
    src.imp(e.module("schemas"), f"{c}Create", f"{c}Read", f"{c}Update")
    seg = e.path_segment
    src.add("", f'router = APIRouter(prefix="/{seg}", tags=["{e.plural}"])')
    one = f"{{{v}_id}}"
    src.add(
        "",
        "",
        f'@router.get("/", response_model=list[{c}Read])',
        f"{adef} list_{e.plural}(",
        f"    service: {c}ServiceDep,",
        "    offset: int = Query(0, ge=0),",
        "    limit: int = Query(50, ge=1, le=200),",
        f") -> list[{c}Read]:",
        f"    return {aw}service.list_page(offset=offset, limit=limit)",
        "",
        "",
        f'@router.get("/{one}", response_model={c}Read)',
        *call("", f"{adef} get_{v}", [f"{v}_id: int", f"service: {c}ServiceDep"], f" -> {c}Read:"),
        "    try:",
        f"        return {aw}service.get({v}_id)",
        "    except NotFoundError as exc:",
        "        raise HTTPException(status_code=404, detail=str(exc)) from exc",
        "",
        "",
        *call(
            "",
            "@router.post",
            ['"/"', f"response_model={c}Read", "status_code=status.HTTP_201_CREATED"],
        ),
        *call(
            "",
            f"{adef} create_{v}",
            [f"data: {c}Create", f"service: {c}ServiceDep"],
            f" -> {c}Read:",
        ),
    )
    src.add(
        "    try:",
        f"        return {aw}service.create(data)",
        "    except ConflictError as exc:",
        "        raise HTTPException(",
        "            status_code=status.HTTP_409_CONFLICT, detail=str(exc)",
        "        ) from exc",
        "",
        "",
        f'@router.patch("/{one}", response_model={c}Read)',
        *call(
            "",
            f"{adef} update_{v}",
            [f"{v}_id: int", f"data: {c}Update", f"service: {c}ServiceDep"],
            f" -> {c}Read:",
        ),
        "    try:",
        f"        return {aw}service.update({v}_id, data)",
        "    except NotFoundError as exc:",
        "        raise HTTPException(status_code=404, detail=str(exc)) from exc",
        "",
        "",
        f'@router.delete("/{one}", status_code=status.HTTP_204_NO_CONTENT)',
        *call("", f"{adef} delete_{v}", [f"{v}_id: int", f"service: {c}ServiceDep"], " -> None:"),
        "    try:",
        f"        {aw}service.delete({v}_id)",
        "    except NotFoundError as exc:",
        "        raise HTTPException(status_code=404, detail=str(exc)) from exc",
    )
    if e.route_imports_repository or e.route_runs_query:
        session = "AsyncSession" if e.is_async else "Session"
        getter = "get_session" if e.is_async else "get_sync_session"
        src.imp("sqlalchemy.ext.asyncio" if e.is_async else "sqlalchemy.orm", session)
        src.imp("typing", "Annotated")
        src.imp("fastapi", "Depends")
        src.imp("app.core.database", getter)
        src.add(
            "",
            "",
            f'@router.get("/by-key/{{value}}", response_model={c}Read)',
            *call(
                "",
                f"{adef} get_{v}_by_key",
                ["value: str", f"session: Annotated[{session}, Depends({getter})]"],
                f" -> {c}Read:",
            ),
        )
        if e.route_imports_repository:
            src.imp(e.module("repositories"), f"{c}Repository")
            src.add(f"    found = {aw}{c}Repository(session).get_by_{e.key.name}(value)")
        else:
            src.imp("sqlalchemy", "select")
            src.imp(e.module("models"), c)
            src.add(
                f"    stmt = select({c}).where({c}.{e.key.name} == value)",
                f"    found = ({aw}session.execute(stmt)).scalar_one_or_none()",
            )
        src.add(
            "    if found is None:",
            f'        raise HTTPException(status_code=404, detail="{c} not found")',
            f"    return {c}Read.model_validate(found)",
        )
    grow(src, _route_units(e), target_lines(rng), rng)
    return src


def _route_units(e: Entity) -> list[Unit]:
    c, v, aw, adef = e.cls, e.name, e.aw, e.adef
    one = f"{{{v}_id}}"

    def rename(src: Source) -> None:
        src.imp(e.module("schemas"), f"{c}Rename")
        src.add(
            "",
            "",
            f'@router.post("/{one}/rename", response_model={c}Read)',
            *call(
                "",
                f"{adef} rename_{v}",
                [f"{v}_id: int", f"data: {c}Rename", f"service: {c}ServiceDep"],
                f" -> {c}Read:",
            ),
            "    try:",
            f"        return {aw}service.rename({v}_id, data.{e.key.name})",
            "    except NotFoundError as exc:",
            "        raise HTTPException(status_code=404, detail=str(exc)) from exc",
            "    except ConflictError as exc:",
            "        raise HTTPException(status_code=409, detail=str(exc)) from exc",
        )

    def bulk(src: Source) -> None:
        src.imp(e.module("schemas"), f"{c}BulkCreate")
        src.add(
            "",
            "",
            *call(
                "",
                "@router.post",
                ['"/bulk"', f"response_model=list[{c}Read]", "status_code=201"],
            ),
            *call(
                "",
                f"{adef} bulk_create_{e.plural}",
                [f"data: {c}BulkCreate", f"service: {c}ServiceDep"],
                f" -> list[{c}Read]:",
            ),
            "    try:",
            f"        return {aw}service.bulk_create(data.items)",
            "    except ConflictError as exc:",
            "        raise HTTPException(status_code=409, detail=str(exc)) from exc",
        )

    def export(src: Source) -> None:
        src.add(
            "",
            "",
            '@router.get("/export", response_model=list[dict[str, object]])',
            *call(
                "",
                f"{adef} export_{e.plural}",
                [f"service: {c}ServiceDep"],
                " -> list[dict[str, object]]:",
            ),
            f"    return {aw}service.export()",
        )

    units: list[Unit] = [("rename", rename), ("bulk", bulk), ("export", export)]
    for col in e.cols[1:]:
        if col.kind != "bool":
            continue
        verb = col.name.removeprefix("is_")

        def flag(src: Source, verb: str = verb) -> None:
            src.add(
                "",
                "",
                f'@router.post("/{one}/{verb.replace("_", "-")}", response_model={c}Read)',
                *call(
                    "",
                    f"{adef} mark_{v}_{verb}",
                    [f"{v}_id: int", f"service: {c}ServiceDep", "value: bool = True"],
                    f" -> {c}Read:",
                ),
                "    try:",
                f"        return {aw}service.mark_{verb}({v}_id, value)",
                "    except NotFoundError as exc:",
                "        raise HTTPException(status_code=404, detail=str(exc)) from exc",
            )

        units.append((f"flag-{verb}", flag))
    return units
