"""Repositories, the only layer that queries (app/repositories/); some import a service
or raise HTTPException when the plan says so."""

from __future__ import annotations

import random

from layercheck_bench.plan import Col, Entity
from layercheck_bench.source import Source, call, chain
from layercheck_bench.templates.growth import Unit, grow, target_lines


def build_repository(e: Entity, rng: random.Random) -> Source:
    src = Source(e.module("repositories"), rng.random() < 0.3, f'"""Data access for {e.plural}."""')
    session = "AsyncSession" if e.is_async else "Session"
    src.imp("sqlalchemy.ext.asyncio" if e.is_async else "sqlalchemy.orm", session)
    src.imp("sqlalchemy", "select")
    src.imp("collections.abc", "Sequence")
    src.imp(e.module("models"), e.cls)
    c, v, aw, adef = e.cls, e.name, e.aw, e.adef
    src.add(
        "",
        "",
        f"class {c}Repository:",
        f"    def __init__(self, session: {session}) -> None:",
        "        self.session = session",
        "",
        f"    {adef} get(self, {v}_id: int) -> {c} | None:",
        f"        return {aw}self.session.get({c}, {v}_id)",
        "",
        f"    {adef} get_by_{e.key.name}(self, value: str) -> {c} | None:",
        *chain("        ", "stmt", f"select({c})", f".where({c}.{e.key.name} == value)"),
        f"        result = {aw}self.session.execute(stmt)",
        "        return result.scalar_one_or_none()",
        "",
    )
    src.add(
        *call(
            "    ",
            f"{adef} list_page",
            ["self", "*", "offset: int = 0", "limit: int = 50"],
            f" -> Sequence[{c}]:",
        ),
        *chain(
            "        ",
            "stmt",
            f"select({c})",
            f".order_by({c}.id)",
            ".offset(offset)",
            ".limit(limit)",
        ),
        f"        result = {aw}self.session.execute(stmt)",
        "        return result.scalars().all()",
        "",
        f"    {adef} add(self, {v}: {c}) -> {c}:",
        f"        self.session.add({v})",
        f"        {aw}self.session.flush()",
        f"        {aw}self.session.refresh({v})",
        f"        return {v}",
        "",
        f"    {adef} delete(self, {v}: {c}) -> None:",
        f"        {aw}self.session.delete({v})",
        f"        {aw}self.session.flush()",
    )
    if e.repository_imports_service is not None:
        other = e.repository_imports_service
        src.imp(other.module("services"), f"{other.cls}Service")
        src.add(
            "",
            f"    def {other.name}_service(self) -> {other.cls}Service:",
            "        # Convenience for a report job; a repository should not know services.",
            f"        return {other.cls}Service({other.cls}Repository(self.session))",
        )
        src.imp(other.module("repositories"), f"{other.cls}Repository")
    if e.repository_raises_http:
        src.imp("fastapi", "HTTPException")
        src.add(
            "",
            f"    {adef} get_or_404(self, {v}_id: int) -> {c}:",
            f"        {v} = {aw}self.get({v}_id)",
            f"        if {v} is None:",
            f'            raise HTTPException(status_code=404, detail="{c} not found")',
            f"        return {v}",
        )
    grow(src, _repository_units(e), target_lines(rng), rng)
    return src


def _repository_units(e: Entity) -> list[Unit]:
    c, aw, adef = e.cls, e.aw, e.adef
    units: list[Unit] = []

    def count(src: Source) -> None:
        src.imp("sqlalchemy", "func")
        src.add(
            "",
            f"    {adef} count(self) -> int:",
            f"        stmt = select(func.count()).select_from({c})",
            f"        result = {aw}self.session.execute(stmt)",
            "        return result.scalar_one()",
        )

    def search(src: Source) -> None:
        src.add(
            "",
            f"    {adef} search(self, term: str, limit: int = 20) -> Sequence[{c}]:",
            "        pattern = f\"%{term.replace('%', '')}%\"",
            "        stmt = (",
            f"            select({c})",
            f"            .where({c}.{e.key.name}.ilike(pattern))",
            f"            .order_by({c}.{e.key.name})",
            "            .limit(limit)",
            "        )",
            f"        result = {aw}self.session.execute(stmt)",
            "        return result.scalars().all()",
        )

    def delete_many(src: Source) -> None:
        src.imp("sqlalchemy", "delete")
        src.add(
            "",
            f"    {adef} delete_many(self, ids: Sequence[int]) -> int:",
            f"        stmt = delete({c}).where({c}.id.in_(ids))",
            f"        result = {aw}self.session.execute(stmt)",
            "        return result.rowcount",
        )

    def exists(src: Source) -> None:
        src.add(
            "",
            f"    {adef} exists(self, value: str) -> bool:",
            *chain(
                "        ",
                "stmt",
                f"select({c}.id)",
                f".where({c}.{e.key.name} == value)",
                ".limit(1)",
            ),
            f"        result = {aw}self.session.execute(stmt)",
            "        return result.first() is not None",
        )

    units += [("count", count), ("search", search), ("delete_many", delete_many)]
    units.append(("exists", exists))
    for col in e.cols[1:]:
        units.extend(_repository_col_units(e, col))
    return units


def _repository_col_units(e: Entity, col: Col) -> list[Unit]:
    c, n, aw, adef = e.cls, col.name, e.aw, e.adef
    units: list[Unit] = []

    def setter(src: Source) -> None:
        src.imp("sqlalchemy", "update")
        if col.kind == "decimal":
            src.imp("decimal", "Decimal")
        if col.kind == "datetime":
            src.plain("datetime as dt")
        if col.kind == "uuid":
            src.plain("uuid")
        src.add(
            "",
            *call(
                "    ",
                f"{adef} set_{n}",
                ["self", "ids: Sequence[int]", f"value: {col.py_type}"],
                " -> None:",
            ),
            *chain(
                "        ",
                "stmt",
                f"update({c})",
                f".where({c}.id.in_(ids))",
                f".values({n}=value)",
            ),
            f"        {aw}self.session.execute(stmt)",
        )

    units.append((f"set-{n}", setter))
    if col.kind == "fk":
        assert col.ref is not None

        def by_ref(src: Source) -> None:
            src.add(
                "",
                *call(
                    "    ",
                    f"{adef} list_for_{col.ref.name if col.ref else n}",
                    ["self", "ref_id: int"],
                    f" -> Sequence[{c}]:",
                ),
                *chain(
                    "        ",
                    "stmt",
                    f"select({c})",
                    f".where({c}.{n} == ref_id)",
                    f".order_by({c}.id)",
                ),
                f"        result = {aw}self.session.execute(stmt)",
                "        return result.scalars().all()",
            )

        units.append((f"ref-{n}", by_ref))
    elif col.kind == "bool":

        def count_flag(src: Source) -> None:
            src.imp("sqlalchemy", "func")
            src.add(
                "",
                f"    {adef} count_{n.removeprefix('is_')}(self) -> int:",
                "        stmt = (",
                "            select(func.count())",
                f"            .select_from({c})",
                f"            .where({c}.{n}.is_(True))",
                "        )",
                f"        return ({aw}self.session.execute(stmt)).scalar_one()",
            )

        units.append((f"flag-{n}", count_flag))
    elif col.kind == "decimal":

        def total(src: Source) -> None:
            src.imp("sqlalchemy", "func")
            src.imp("decimal", "Decimal")
            src.add(
                "",
                f"    {adef} sum_{n}(self) -> Decimal:",
                f"        stmt = select(func.coalesce(func.sum({c}.{n}), 0))",
                f"        result = {aw}self.session.execute(stmt)",
                "        return Decimal(result.scalar_one())",
            )

        units.append((f"sum-{n}", total))
    elif col.kind == "datetime":
        src_name = f"list_{n.removesuffix('_at')}_before"

        def before(src: Source) -> None:
            src.plain("datetime as dt")
            src.add(
                "",
                *call(
                    "    ",
                    f"{adef} {src_name}",
                    ["self", "moment: dt.datetime"],
                    f" -> Sequence[{c}]:",
                ),
                *chain("        ", "stmt", f"select({c})", f".where({c}.{n} < moment)"),
                f"        result = {aw}self.session.execute(stmt)",
                "        return result.scalars().all()",
            )

        units.append((f"before-{n}", before))
    return units
