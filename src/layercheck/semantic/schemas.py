"""The module-level classes of the file under the walk, by qualified name: what a class
inherits from a base defined in the same file can then be read from the base's body."""

from __future__ import annotations

import ast

from layercheck.semantic.core import FileModel


class SchemaClasses:
    """Module-level class statements, known from their `class` line on; the walk updates
    it before any rule sees a node."""

    def __init__(self) -> None:
        self._bodies: dict[str, ast.ClassDef] = {}

    def visit_ClassDef(self, node: ast.ClassDef, ctx: FileModel) -> None:
        if len(ctx.names.scopes) == 1:  # the class statement runs in the module's scope
            own = f"{ctx.module}.{node.name}" if ctx.module else node.name
            self._bodies[ctx.index.resolve(own)] = node

    def body(self, qualified: str) -> ast.ClassDef | None:
        """The class statement of this file that defines `qualified` (resolved), if seen."""
        return self._bodies.get(qualified)
