"""The modules below a folder (layer_evidence's `_under`), read from the project's paths
held as one sorted array of places: the same as a scan of every file."""

from __future__ import annotations

from layercheck.facts import FileFacts
from layercheck.index import ProjectIndex

_PATHS = [
    "/p/app/services/users.py",
    "/p/app/api2/routes.py",
    "/p/app/api/users.py",
    "/p/app/api/tests/test_users.py",
    "/p/app/api/v1/items.py",
    "/p/app/api.py",
    "/p/app/__init__.py",
    "C:\\p\\app\\api\\orders.py",
    "C:\\p\\app\\api\\deep\\x.py",
    "/p/app/api/__init__.py",
    "/p/app/apis/other.py",
]


def _index() -> ProjectIndex:
    facts = [
        FileFacts(path, f"m{n}", False, None, "tests" in path) for n, path in enumerate(_PATHS)
    ]
    return ProjectIndex(facts)


def _scanned(index: ProjectIndex, folder: str) -> list[str]:
    stem = folder.rstrip("/\\")
    return [
        item.path
        for item in index.by_path.values()
        if item.path.startswith((stem + "/", stem + "\\")) and not item.is_test
    ]


def test_the_modules_below_a_folder_are_those_a_scan_finds_in_the_project_order() -> None:
    index = _index()
    folders = ["/p/app", "/p/app/api", "/p/app/api/", "C:\\p\\app\\api", "/p/none", "/p"]
    for folder in folders:
        found = [item.path for item in index._evidence._under(folder)]
        assert found == _scanned(index, folder), folder
    assert [item.path for item in index._evidence._under("/p/app/api")] == [
        "/p/app/api/users.py",
        "/p/app/api/v1/items.py",
        "/p/app/api/__init__.py",
    ]
