"""The whole-project tables a rules worker builds for itself hold equal values once, and
answer as the plain tables did."""

from __future__ import annotations

from layercheck.facts import FileFacts
from layercheck.index import ProjectIndex

ROUTER = ("router", "fastapi.APIRouter")


def _routes(n: int) -> FileFacts:
    """A routes module whose path operations take and send the models of `app.schemas`,
    several sharing a (method, path) and a set of routes with another module's."""
    bodies = (
        ("router", "post", "/", "app.schemas.Create"),
        ("router", "post", "/bulk", "app.schemas.Create"),
        ("router", "patch", "/{id}", "app.schemas.Update"),
        ("router", "post", "/", f"app.schemas.Own{n}"),
        ("router", "put", f"/{n}", "app.schemas.Payload"),
        ("router", "post", "/", "app.schemas.Either"),
    )
    router = f"app.routes.r{n}.router"
    sent = (
        (router, "app.schemas.Read", "get_item"),
        (router, "app.schemas.Read", "list_items"),
        (router, f"app.schemas.Own{n}", "create_item"),
        (f"app.routes.r{n}.elsewhere", "app.schemas.Read", "not_a_route"),
    )
    return FileFacts(
        f"/p/app/routes/r{n}.py",
        f"app.routes.r{n}",
        False,
        None,
        False,
        instances=(ROUTER,),
        request_bodies=bodies,
        response_models=sent,
    )


def _project() -> ProjectIndex:
    schemas = FileFacts(
        "/p/app/schemas.py",
        "app.schemas",
        False,
        None,
        False,
        union_aliases=(("Either", "app.schemas.Create"), ("Either", "app.schemas.Update")),
    )
    return ProjectIndex([schemas, *(_routes(n) for n in range(4))])


def test_request_bodies_and_response_routes_answer_as_sorted_sets() -> None:
    index = _project()
    everything = {"/", "/bulk", "/{id}", *(f"/{n}" for n in range(4))}
    assert index.request_bodies("app.schemas.Create") == (
        ("post", "/"),
        ("post", "/bulk"),
    )
    # A union alias's members take its bodies too.
    assert index.request_bodies("app.schemas.Update") == (("patch", "/{id}"), ("post", "/"))
    assert index.request_bodies("app.schemas.Payload") == tuple(("put", f"/{n}") for n in range(4))
    assert index.request_bodies("app.schemas.Own2") == (("post", "/"),)
    assert index.request_bodies("app.schemas.Missing") == ()
    assert {path for uses in (index._bodies or {}).values() for _, path in uses} <= everything
    assert index.response_routes("app.schemas.Read") == ("get_item", "list_items")
    assert index.response_routes("app.schemas.Own1") == ("create_item",)
    assert index.response_routes("app.schemas.Missing") == ()


def test_equal_uses_are_held_once() -> None:
    index = _project()
    index.request_bodies("")
    index.response_routes("")
    bodies = index._bodies or {}
    own = [bodies[f"app.schemas.Own{n}"] for n in range(4)]
    assert all(uses is own[0] for uses in own)
    # The same (method, path) in other tables is one pair.
    assert bodies["app.schemas.Create"][0] is own[0][0]
    routes = index._response_routes or {}
    created = [routes[f"app.schemas.Own{n}"] for n in range(4)]
    assert all(uses is created[0] for uses in created)
