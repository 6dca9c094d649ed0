"""Services, the business rules (app/services/); where the plan says so they raise
HTTPException (LC201) in one of several spellings, or import a route."""

from __future__ import annotations

import random

from layercheck_bench.plan import Col, Entity
from layercheck_bench.source import Source, call
from layercheck_bench.templates.growth import Unit, grow, target_lines

HTTP_RAISES = {
    "fastapi": (("fastapi", "HTTPException"), "HTTPException"),
    "alias": (("fastapi", "HTTPException as HTTPError"), "HTTPError"),
    "module": (None, "fastapi.HTTPException"),
    "starlette": (("starlette.exceptions", "HTTPException"), "HTTPException"),
    "subclass": (("app.exceptions", "AppHTTPError"), "AppHTTPError"),
}


def build_service(e: Entity, rng: random.Random) -> Source:
    src = Source(e.module("services"), rng.random() < 0.3, f'"""Business rules for {e.plural}."""')
    c, v, aw, adef = e.cls, e.name, e.aw, e.adef
    src.imp(e.module("repositories"), f"{c}Repository")
    src.imp(e.module("schemas"), f"{c}Create", f"{c}Read", f"{c}Update")
    src.imp(e.module("models"), c)
    src.imp("app.exceptions", "ConflictError")
    if rng.random() < 0.5:
        src.plain("logging")
        src.add("", "logger = logging.getLogger(__name__)")
        log = [f'        logger.info("{v} created", extra={{"id": {v}.id}})']
    else:
        log = []
    missing = _not_found(src, e)  # may add a module-level helper, so before the class
    if e.service_imports_route:
        src.imp(e.module("routes"), "router")
        src.add(
            "",
            "# Used to build links in notification emails.",
            f'{v.upper()}_URL_PREFIX = router.prefix or "/{e.path_segment}"',
        )
    src.add(
        "",
        "",
        f"class {c}Service:",
        f"    def __init__(self, repository: {c}Repository) -> None:",
        "        self.repository = repository",
        "",
        f"    {adef} get(self, {v}_id: int) -> {c}Read:",
        f"        return {c}Read.model_validate({aw}self._require({v}_id))",
        "",
    )
    src.add(
        *call(
            "    ",
            f"{adef} list_page",
            ["self", "offset: int = 0", "limit: int = 50"],
            f" -> list[{c}Read]:",
        ),
        f"        rows = {aw}self.repository.list_page(offset=offset, limit=limit)",
        f"        return [{c}Read.model_validate(row) for row in rows]",
        "",
        f"    {adef} create(self, data: {c}Create) -> {c}Read:",
        f"        if {aw}self.repository.get_by_{e.key.name}(data.{e.key.name}):",
        f'            raise ConflictError(f"{c} {{data.{e.key.name}!r}} already exists")',
        f"        {v} = {aw}self.repository.add({c}(**data.model_dump()))",
        *log,
        f"        return {c}Read.model_validate({v})",
        "",
        *call(
            "    ",
            f"{adef} update",
            ["self", f"{v}_id: int", f"data: {c}Update"],
            f" -> {c}Read:",
        ),
        f"        {v} = {aw}self._require({v}_id)",
        "        for name, value in data.model_dump(exclude_unset=True).items():",
        f"            setattr({v}, name, value)",
        f"        return {c}Read.model_validate({aw}self.repository.add({v}))",
        "",
        f"    {adef} delete(self, {v}_id: int) -> None:",
        f"        {aw}self.repository.delete({aw}self._require({v}_id))",
        "",
        f"    {adef} _require(self, {v}_id: int) -> {c}:",
        f"        {v} = {aw}self.repository.get({v}_id)",
        f"        if {v} is None:",
        *missing,
        f"        return {v}",
    )
    grow(src, _service_units(e), target_lines(rng), rng)
    return src


def _not_found(src: Source, e: Entity) -> list[str]:
    """The one place a service reports a missing row: a domain error, or for planted LC201
    violations an HTTPException in one of several spellings."""
    v = e.name
    if e.lc201 is None:
        src.imp("app.exceptions", "NotFoundError")
        return [f'            raise NotFoundError("{e.cls}", {v}_id)']
    noqa = "  # noqa: LC201" if e.lc201_noqa else ""
    if e.lc201 == "constructed":
        src.imp("fastapi", "HTTPException")
        # Built in a helper, raised by the caller: one finding, on the constructor call.
        src.add(
            "",
            "",
            "def _not_found(detail: str) -> Exception:",
            f"    return HTTPException(status_code=404, detail=detail){noqa}",
        )
        return [f'            raise _not_found(f"{e.cls} {{{v}_id}} not found")']
    spec, name = HTTP_RAISES[e.lc201]
    if spec is None:
        src.plain("fastapi")
    else:
        src.imp(*spec)
    if e.lc201 == "subclass":
        return [f'            raise {name}(404, f"{e.cls} {{{v}_id}} not found"){noqa}']
    return [
        f"            raise {name}({noqa}",
        f'                status_code=404, detail=f"{e.cls} {{{v}_id}} not found"',
        "            )",
    ]


def _service_units(e: Entity) -> list[Unit]:
    c, v, aw, adef = e.cls, e.name, e.aw, e.adef
    units: list[Unit] = []

    def rename(src: Source) -> None:
        src.add(
            "",
            *call(
                "    ",
                f"{adef} rename",
                ["self", f"{v}_id: int", "new_value: str"],
                f" -> {c}Read:",
            ),
            "        new_value = new_value.strip()",
            f"        if {aw}self.repository.get_by_{e.key.name}(new_value):",
            '            raise ConflictError(f"{new_value!r} is taken")',
            f"        {v} = {aw}self._require({v}_id)",
            f"        {v}.{e.key.name} = new_value",
            f"        return {c}Read.model_validate({aw}self.repository.add({v}))",
        )

    def bulk(src: Source) -> None:
        src.imp("collections.abc", "Sequence")
        src.add(
            "",
            *call(
                "    ",
                f"{adef} bulk_create",
                ["self", f"items: Sequence[{c}Create]"],
                f" -> list[{c}Read]:",
            ),
            f"        keys = [item.{e.key.name} for item in items]",
            "        if len(set(keys)) != len(keys):",
            '            raise ConflictError("duplicate keys in one request")',
            f"        created: list[{c}Read] = []",
            "        for item in items:",
            f"            created.append({aw}self.create(item))",
            "        return created",
        )

    def export(src: Source) -> None:
        src.add(
            "",
            f"    {adef} export(self, batch: int = 500) -> list[dict[str, object]]:",
            "        # Pages through the table so memory stays flat on large exports.",
            "        rows: list[dict[str, object]] = []",
            "        offset = 0",
            "        while True:",
            f"            page = {aw}self.list_page(offset=offset, limit=batch)",
            '            rows.extend(item.model_dump(mode="json") for item in page)',
            "            if len(page) < batch:",
            "                return rows",
            "            offset += batch",
        )

    def normalize(src: Source) -> None:
        src.add(
            "",
            "    @staticmethod",
            f"    def normalize_{e.key.name}(value: str) -> str:",
            '        return " ".join(value.split()).lower()',
        )

    units += [("rename", rename), ("bulk", bulk), ("export", export)]
    units.append(("normalize", normalize))
    for col in e.cols[1:]:
        units.extend(_service_col_units(e, col))
    return units


def _service_col_units(e: Entity, col: Col) -> list[Unit]:
    c, v, n, aw, adef = e.cls, e.name, col.name, e.aw, e.adef

    def flag(src: Source) -> None:
        verb = n.removeprefix("is_")
        src.add(
            "",
            *call(
                "    ",
                f"{adef} mark_{verb}",
                ["self", f"{v}_id: int", "value: bool = True"],
                f" -> {c}Read:",
            ),
            f"        {v} = {aw}self._require({v}_id)",
            f"        if {v}.{n} == value:",
            f"            return {c}Read.model_validate({v})",
            f"        {v}.{n} = value",
            f"        return {c}Read.model_validate({aw}self.repository.add({v}))",
        )

    def money(src: Source) -> None:
        src.imp("decimal", "Decimal", "ROUND_HALF_UP")
        src.imp("app.exceptions", "DomainValidationError")
        src.add(
            "",
            "    @staticmethod",
            f"    def apply_{n}_discount(value: Decimal, percent: int) -> Decimal:",
            "        if not 0 <= percent <= 100:",
            '            raise DomainValidationError("percent must be within 0..100")',
            "        factor = Decimal(100 - percent) / Decimal(100)",
            '        return (value * factor).quantize(Decimal("0.01"), ROUND_HALF_UP)',
        )

    def window(src: Source) -> None:
        src.plain("datetime as dt")
        src.imp("app.exceptions", "DomainValidationError")
        src.add(
            "",
            *call(
                "    ",
                f"{adef} reschedule_{n.removesuffix('_at')}",
                ["self", f"{v}_id: int", "when: dt.datetime"],
                f" -> {c}Read:",
            ),
            "        if when.tzinfo is None:",
            '            raise DomainValidationError("a timezone is required")',
            f"        {v} = {aw}self._require({v}_id)",
            f"        {v}.{n} = when",
            f"        return {c}Read.model_validate({aw}self.repository.add({v}))",
        )

    def related(src: Source) -> None:
        ref = col.ref
        assert ref is not None
        src.imp(ref.module("services"), f"{ref.cls}Service")
        src.imp(ref.module("schemas"), f"{ref.cls}Read")
        ref_aw = "await " if ref.is_async else ""
        src.add(
            "",
            *call(
                "    ",
                f"{adef} get_with_{ref.name}",
                ["self", f"{v}_id: int", f"{ref.name}_service: {ref.cls}Service"],
                f" -> tuple[{c}Read, {ref.cls}Read]:",
            ),
            f"        {v} = {aw}self.get({v}_id)",
            f"        {ref.name} = {ref_aw}{ref.name}_service.get({v}.{n})",
            f"        return {v}, {ref.name}",
        )

    if col.kind == "bool":
        return [(f"flag-{n}", flag)]
    if col.kind == "decimal":
        return [(f"money-{n}", money)]
    if col.kind == "datetime":
        return [(f"window-{n}", window)]
    # Sync code cannot await an async service, so only those pairs get the method.
    if col.kind == "fk" and col.ref is not None and not (col.ref.is_async and not e.is_async):
        return [(f"related-{n}", related)]
    return []
