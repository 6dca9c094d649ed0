"""The whole-project tables a rules worker builds for itself hold equal values once, and
answer as the plain tables did."""

from __future__ import annotations

from layercheck.facts import ClassFact, FileFacts, FunctionFact
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


def test_the_names_of_a_modules_classes_and_functions_answer_as_their_facts() -> None:
    # Names held joined in one string: a name is found whole, never as part of another,
    # and a name defined twice is its last definition.
    classes = (
        ClassFact("User", ("app.base.Base",), 1),
        ClassFact("UserRead", ("pydantic.BaseModel",), 5),
        ClassFact("User", ("app.base.Other",), 9),
        ClassFact("Item", (), 12),
    )
    functions = (FunctionFact("get_user", 20, None), FunctionFact("get", 30, "app.m.User"))
    module = FileFacts("/p/app/m.py", "app.m", False, None, False)
    facts = FileFacts(
        "/p/app/m.py", "app.m", False, None, False, classes=classes, functions=functions
    )
    index = ProjectIndex([facts])
    assert index.is_project_class("app.m.User")
    assert not index.is_project_class("app.m.Use")
    assert not index.is_project_class("app.m.ser")
    assert index.class_fact("app.m.User") == classes[2]
    assert index.inherits("app.m.User", frozenset({"app.base.Other"}))
    assert not index.inherits("app.m.User", frozenset({"app.base.Base"}))
    assert index.inherits("app.m.UserRead", frozenset({"pydantic.BaseModel"}))
    assert index.ancestors("app.m.Item") == ["app.m.Item"]
    assert list(index.class_names()) == [f"app.m.{cls.name}" for cls in classes]
    assert index.function("app.m.get") == functions[1]
    assert index.function("app.m.get_user") == functions[0]
    assert index.function("app.m.get_") is None
    assert index.function("app.m.user") is None
    assert ProjectIndex([module]).function("app.m.get") is None
