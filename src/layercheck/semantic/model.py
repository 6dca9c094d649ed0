"""The per-file semantic model: the file and where the walk is (`FileModel`), and the parts
the rules read (`sessions`, `values`, `routes`, `migrations`, `schemas`).

The parts are built only when some selected rule declares that it reads them
(`Rule.needs`), and they are updated by the walk itself, before a node reaches any rule
(`binders()`): what a part says about a node never depends on which rules run.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from layercheck.semantic.core import FileModel
from layercheck.semantic.migrations import MigrationOps
from layercheck.semantic.routes import RouteHandlers
from layercheck.semantic.schemas import SchemaClasses
from layercheck.semantic.sessions import Sessions
from layercheck.semantic.values import Values


class Need(enum.Enum):
    """A part of the model a rule reads."""

    SESSIONS = "sessions"
    """Which names and `self` attributes hold sessions, session factories, or objects
    built with a session."""
    VALUES = "values"
    """Which class a name holds an instance (or the class) of."""
    ROUTES = "routes"
    """Which functions are path operations, and how they are registered."""
    MIGRATIONS = "migrations"
    """The Alembic operations each module-level function of a migration runs."""
    SCHEMAS = "schemas"
    """The module-level class bodies of the file, by qualified name."""


_REQUIRES: Final[dict[Need, frozenset[Need]]] = {
    # `session.get(Model, id)` is an instance of `Model`.
    Need.VALUES: frozenset({Need.SESSIONS}),
    # What a base class of the same module stores on `self`.
    Need.SESSIONS: frozenset({Need.SCHEMAS}),
}


def closure(needs: Iterable[Need]) -> frozenset[Need]:
    """`needs` and the parts they are built on."""
    found: set[Need] = set()
    pending = list(needs)
    while pending:
        need = pending.pop()
        if need not in found:
            found.add(need)
            pending.extend(_REQUIRES.get(need, frozenset()))
    return frozenset(found)


def build_parts(needs: Iterable[Need]) -> list[tuple[object, tuple[object, ...]]]:
    """The parts `needs` asks for (and those they are built on), in the order the walk
    must update them, each with the arguments it was made with: made again in place
    with them (`renew`), a part is as new."""
    wanted = closure(needs)
    built: list[tuple[object, tuple[object, ...]]] = []
    schemas = sessions = None
    if Need.SCHEMAS in wanted:
        schemas = SchemaClasses()
        built.append((schemas, ()))
    if Need.SESSIONS in wanted:
        assert schemas is not None
        sessions = Sessions(schemas)
        built.append((sessions, (schemas,)))
    if Need.VALUES in wanted:
        built.append((Values(sessions), (sessions,)))
    if Need.ROUTES in wanted:
        built.append((RouteHandlers(), ()))
    if Need.MIGRATIONS in wanted:
        built.append((MigrationOps(), ()))
    return built


class MissingPart(RuntimeError):
    """A rule read a part of the model it did not declare in `needs`."""

    def __init__(self, need: Need) -> None:
        super().__init__(
            f"the semantic model has no `{need.value}`: add Need.{need.name} to the rule's `needs`"
        )


@dataclass(slots=True)
class SemanticModel(FileModel):
    """The file model and the parts of the semantic model built for this run."""

    _sessions: Sessions | None = None
    _values: Values | None = None
    _routes: RouteHandlers | None = None
    _migrations: MigrationOps | None = None
    _schemas: SchemaClasses | None = None

    # -- the parts ------------------------------------------------------------------------
    def binders(self, needs: Iterable[Need]) -> list[object]:
        """Builds the parts `needs` asks for (and those they are built on) and returns
        them in the order the walk must update them: each part has `visit_<Node>` /
        `leave_<Node>` methods, as rules do, that the walker calls before any rule's."""
        parts = [part for part, _ in build_parts(needs)]
        self.attach(parts)
        return parts

    def attach(self, parts: Iterable[object]) -> None:
        """Reads its parts from `parts` (made by `build_parts`)."""
        for part in parts:
            if isinstance(part, SchemaClasses):
                self._schemas = part
            elif isinstance(part, Sessions):
                self._sessions = part
            elif isinstance(part, Values):
                self._values = part
            elif isinstance(part, RouteHandlers):
                self._routes = part
            elif isinstance(part, MigrationOps):
                self._migrations = part

    @property
    def sessions(self) -> Sessions:
        if self._sessions is None:
            raise MissingPart(Need.SESSIONS)
        return self._sessions

    @property
    def values(self) -> Values:
        if self._values is None:
            raise MissingPart(Need.VALUES)
        return self._values

    @property
    def routes(self) -> RouteHandlers:
        if self._routes is None:
            raise MissingPart(Need.ROUTES)
        return self._routes

    @property
    def migrations(self) -> MigrationOps:
        if self._migrations is None:
            raise MissingPart(Need.MIGRATIONS)
        return self._migrations

    @property
    def schemas(self) -> SchemaClasses:
        if self._schemas is None:
            raise MissingPart(Need.SCHEMAS)
        return self._schemas
