"""Local names to qualified names: imports, aliases, relative imports, local shadowing."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

# A local binding whose value is unknown (a parameter, a local assignment) shadows imports.
LOCAL: Final = ""

_TYPE_CHECKING_NAMES: Final = frozenset({"typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})


def resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str | None:
    """Absolute dotted name of `from <level dots><target> import ...` in `module`."""
    if level == 0:
        return target
    package = module.split(".") if is_package else module.split(".")[:-1]
    if level - 1 > len(package):
        return None
    base = package[: len(package) - (level - 1)]
    if target:
        base = [*base, *target.split(".")]
    return ".".join(base) if base else None


@dataclass(slots=True)
class Scope:
    node: ast.AST | None
    is_class: bool
    bindings: dict[str, str] = field(default_factory=dict)
    declared: dict[str, str] = field(default_factory=dict)
    """Names declared `global` / `nonlocal` here: they bind in another scope."""


@dataclass(slots=True)
class ImportTable:
    """Scoped name table: module bindings come from a pre-scan, inner scopes from the walk."""

    module: str
    is_package: bool
    scopes: list[Scope] = field(default_factory=list)
    generation: int = 0
    """Moves on whenever what a name means may change (a binding, a scope entered or
    left): an answer kept for a node holds only while it is unchanged."""
    bound_inside: set[str] = field(default_factory=set, compare=False, repr=False)
    """Every name ever bound in a scope other than the module's: any other name (a
    builtin, a module-level name) means what the module scope says, wherever asked."""

    def __post_init__(self) -> None:
        if not self.scopes:
            self.scopes.append(Scope(None, is_class=False))

    @property
    def module_scope(self) -> dict[str, str]:
        return self.scopes[0].bindings

    def absolute(self, level: int, target: str | None) -> str | None:
        return resolve_relative(self.module, self.is_package, level, target)

    def import_bindings(self, node: ast.Import | ast.ImportFrom) -> Iterator[tuple[str, str]]:
        """(local name, qualified name) pairs that an import statement binds."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    yield alias.asname, alias.name
                else:
                    head = alias.name.partition(".")[0]
                    yield head, head
            return
        base = self.absolute(node.level, node.module)
        if base is None:
            return
        for alias in node.names:
            if alias.name == "*":
                continue
            yield alias.asname or alias.name, f"{base}.{alias.name}"

    def bind(self, name: str, qualified: str) -> None:
        self.generation += 1
        self.scopes[-1].bindings[name] = qualified
        if len(self.scopes) > 1:
            self.bound_inside.add(name)

    def bind_local(self, name: str) -> None:
        """Mark `name` as a local of the innermost function or class scope."""
        if len(self.scopes) > 1:
            innermost = self.scopes[-1]
            if name not in innermost.declared:
                self.generation += 1
                innermost.bindings[name] = LOCAL
                self.bound_inside.add(name)

    def declare(self, node: ast.Global | ast.Nonlocal) -> None:
        """`global x` / `nonlocal x`: `x` is not a local of the innermost scope."""
        if len(self.scopes) > 1:
            self.generation += 1
            kind = "global" if isinstance(node, ast.Global) else "nonlocal"
            innermost = self.scopes[-1]
            for name in node.names:
                innermost.declared[name] = kind
                innermost.bindings.pop(name, None)

    def declared(self, node: ast.AST, name: str) -> str | None:
        """ "global" / "nonlocal" when the scope of `node` declares `name` so, else None."""
        for scope in reversed(self.scopes):
            if scope.node is node:
                return scope.declared.get(name)
        return None

    def push(self, node: ast.AST, *, is_class: bool) -> None:
        self.generation += 1
        self.scopes.append(Scope(node, is_class=is_class))

    def push_locals(self, node: ast.AST, names: Iterable[str]) -> None:
        """A function's scope with its parameters bound: `push`, then `bind_local` of
        each name, at once."""
        self.generation += 1
        scope = Scope(node, is_class=False)
        self.scopes.append(scope)
        bindings = scope.bindings
        for name in names:
            bindings[name] = LOCAL
        self.bound_inside.update(bindings)

    def pop(self) -> None:
        if len(self.scopes) > 1:
            self.generation += 1
            self.scopes.pop()

    def lookup(self, name: str) -> str | None:
        if name not in self.bound_inside:
            # Most misses (builtins) and module-level names: one look, not one per scope.
            return self.scopes[0].bindings.get(name) or None
        scopes = self.scopes
        innermost = len(scopes) - 1
        for depth in range(innermost, -1, -1):
            scope = scopes[depth]
            # Class bodies are not enclosing scopes for the functions defined in them.
            if scope.is_class and depth != innermost:
                continue
            declared = scope.declared  # empty but in a scope with `global` or `nonlocal`
            if declared and declared.get(name) == "global":
                return scopes[0].bindings.get(name) or None
            found = scope.bindings.get(name)
            if found is not None:
                return found or None
        return None

    def binding_scope(self, name: str) -> Scope | None:
        """The scope whose binding `name` refers to here (lookup's rules), or None."""
        if name not in self.bound_inside:
            module = self.scopes[0]
            return module if name in module.bindings else None
        scopes = self.scopes
        innermost = len(scopes) - 1
        for depth in range(innermost, -1, -1):
            scope = scopes[depth]
            if scope.is_class and depth != innermost:
                continue
            declared = scope.declared
            if declared and declared.get(name) == "global":
                return scopes[0] if name in scopes[0].bindings else None
            if name in scope.bindings:
                return scope
        return None

    def qualified(self, node: ast.AST) -> str | None:
        """`HE` -> `fastapi.HTTPException`, `sa.orm.Session` -> `sqlalchemy.orm.Session`."""
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute):
            parts = [node.attr]
            value = node.value
            while isinstance(value, ast.Attribute):
                parts.append(value.attr)
                value = value.value
            if not isinstance(value, ast.Name):
                return None
            head = self.lookup(value.id)
            if head is None:
                return None
            parts.append(head)
            return ".".join(reversed(parts))
        return None

    def is_type_checking_test(self, test: ast.expr) -> bool:
        if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
            return self.qualified(test) in _TYPE_CHECKING_NAMES or self.lookup("TYPE_CHECKING") in (
                None,
                f"{self.module}.TYPE_CHECKING",
            )
        return self.qualified(test) in _TYPE_CHECKING_NAMES
