"""The registry: every rule, in code order. A test proves it matches the modules on disk."""

from __future__ import annotations

from typing import Final

from layercheck.rules._base import Rule, Status
from layercheck.rules.http.http_exception_in_repository import HttpExceptionInRepository
from layercheck.rules.http.http_exception_in_service import HttpExceptionInService
from layercheck.rules.http.http_response_outside_routes import HttpResponseOutsideRoutes
from layercheck.rules.http.http_status_outside_routes import HttpStatusOutsideRoutes
from layercheck.rules.http.request_outside_routes import RequestOutsideRoutes
from layercheck.rules.layering.route_imports_repository import RouteImportsRepository
from layercheck.rules.layering.route_queries_database import RouteQueriesDatabase
from layercheck.rules.layering.upward_import import UpwardImport
from layercheck.rules.meta.syntax_error import SyntaxError_
from layercheck.rules.meta.unreadable_file import UnreadableFile
from layercheck.selection import Catalog

ALL_RULES: Final[tuple[type[Rule], ...]] = (
    SyntaxError_,
    UnreadableFile,
    RouteImportsRepository,
    UpwardImport,
    RouteQueriesDatabase,
    HttpExceptionInService,
    HttpExceptionInRepository,
    HttpResponseOutsideRoutes,
    HttpStatusOutsideRoutes,
    RequestOutsideRoutes,
)
# Reported by the engine itself, before any tree exists.
ENGINE_CODES: Final = frozenset({"LC001", "LC002"})

BY_CODE: Final[dict[str, type[Rule]]] = {rule.meta.code: rule for rule in ALL_RULES}
BY_NAME: Final[dict[str, type[Rule]]] = {rule.meta.name: rule for rule in ALL_RULES}
CATALOG: Final = Catalog(
    codes=tuple(rule.meta.code for rule in ALL_RULES),
    preview=frozenset(r.meta.code for r in ALL_RULES if r.meta.status is Status.PREVIEW),
)


def lookup(code_or_name: str) -> type[Rule] | None:
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())
