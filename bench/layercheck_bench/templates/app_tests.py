"""The generated project's own tests (tests/): API tests and service tests per entity.
layercheck gives test files no layer; they are here so discovery and flake8 see them."""

from __future__ import annotations

import random

from layercheck_bench.plan import Entity
from layercheck_bench.source import Source
from layercheck_bench.templates.growth import grow, target_lines


def build_route_tests(e: Entity, rng: random.Random) -> Source:
    src = Source("", docstring=f'"""API tests for {e.plural}."""')
    src.plain("pytest")
    src.imp("httpx", "AsyncClient")
    seg, v = e.path_segment, e.name
    payload = "{" + f'"{e.key.name}": "sample-{v}"' + "}"
    src.add(
        "",
        "pytestmark = pytest.mark.anyio",
        "",
        "",
        f"async def test_create_{v}(client: AsyncClient) -> None:",
        f'    response = await client.post("/{seg}/", json={payload})',
        "    assert response.status_code == 201",
        f'    assert response.json()["{e.key.name}"] == "sample-{v}"',
        "",
        "",
        f"async def test_get_missing_{v}(client: AsyncClient) -> None:",
        f'    response = await client.get("/{seg}/999999")',
        "    assert response.status_code == 404",
        "",
        "",
        '@pytest.mark.parametrize("limit", [1, 10, 200])',
        f"async def test_list_{e.plural}_limit(client: AsyncClient, limit: int) -> None:",
        f'    response = await client.get("/{seg}/", params={{"limit": limit}})',
        "    assert response.status_code == 200",
        "    assert len(response.json()) <= limit",
    )

    def duplicate(s: Source) -> None:
        s.add(
            "",
            "",
            f"async def test_duplicate_{v}_conflicts(client: AsyncClient) -> None:",
            f'    first = await client.post("/{seg}/", json={payload})',
            "    assert first.status_code == 201",
            f'    second = await client.post("/{seg}/", json={payload})',
            "    assert second.status_code == 409",
        )

    def delete(s: Source) -> None:
        s.add(
            "",
            "",
            f"async def test_delete_{v}(client: AsyncClient) -> None:",
            f'    created = await client.post("/{seg}/", json={payload})',
            '    item_id = created.json()["id"]',
            f'    response = await client.delete(f"/{seg}/{{item_id}}")',
            "    assert response.status_code == 204",
            f'    missing = await client.get(f"/{seg}/{{item_id}}")',
            "    assert missing.status_code == 404",
        )

    def invalid(s: Source) -> None:
        s.add(
            "",
            "",
            '@pytest.mark.parametrize("value", ["", " " * 300])',
            f"async def test_invalid_{e.key.name}(client: AsyncClient, value: str) -> None:",
            f'    response = await client.post("/{seg}/", json={{"{e.key.name}": value}})',
            "    assert response.status_code == 422",
        )

    grow(src, [("dup", duplicate), ("del", delete), ("bad", invalid)], target_lines(rng), rng)
    return src


def build_service_tests(e: Entity, rng: random.Random) -> Source:
    src = Source("", docstring=f'"""{e.cls}Service against an in-memory repository."""')
    src.plain("pytest")
    c, v = e.cls, e.name
    src.imp(e.module("models"), c)
    src.imp(e.module("services"), f"{c}Service")
    src.imp(e.module("schemas"), f"{c}Create")
    src.imp("app.exceptions", "ConflictError")
    aw, adef = e.aw, e.adef
    key = e.key.name
    src.add(
        "",
        "",
        f"class Fake{c}Repository:",
        "    def __init__(self) -> None:",
        f"        self.rows: dict[int, {c}] = {{}}",
        "",
        f"    {adef} get(self, {v}_id: int) -> {c} | None:",
        f"        return self.rows.get({v}_id)",
        "",
        f"    {adef} get_by_{key}(self, value: str) -> {c} | None:",
        f"        return next((r for r in self.rows.values() if r.{key} == value), None)",
        "",
        f"    {adef} add(self, {v}: {c}) -> {c}:",
        f"        {v}.id = {v}.id or len(self.rows) + 1",
        f"        self.rows[{v}.id] = {v}",
        f"        return {v}",
        "",
        "",
        "@pytest.fixture",
        f"def service() -> {c}Service:",
        f"    return {c}Service(Fake{c}Repository())  # type: ignore[arg-type]",
        "",
        "",
    )
    mark = ["@pytest.mark.anyio"] if e.is_async else []
    src.add(
        *mark,
        f"{adef} test_create_then_conflict(service: {c}Service) -> None:",
        f'    data = {c}Create({key}="alpha")',
        f"    {aw}service.create(data)",
        "    with pytest.raises(ConflictError):",
        f"        {aw}service.create(data)",
    )

    def missing(s: Source) -> None:
        s.imp("app.exceptions", "NotFoundError")
        s.add(
            "",
            "",
            *mark,
            f"{adef} test_get_missing(service: {c}Service) -> None:",
            "    with pytest.raises(NotFoundError):",
            f"        {aw}service.get(12345)",
        )

    def normalize(s: Source) -> None:
        s.add(
            "",
            "",
            '@pytest.mark.parametrize(("raw", "clean"), [("  A  b ", "a b"), ("x", "x")])',
            "def test_normalize(raw: str, clean: str) -> None:",
            f"    assert {c}Service.normalize_{key}(raw) == clean",
        )

    grow(src, [("missing", missing), ("normalize", normalize)], target_lines(rng), rng)
    return src
