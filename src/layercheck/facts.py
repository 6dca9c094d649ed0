"""Per-file facts from the module's top-level statements, cheap enough to gather for a
whole project before any rule runs, small and picklable so a cache can keep them."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Final

from layercheck.layers import Layer
from layercheck.names import ImportTable

ROUTE_METHODS: Final = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route", "websocket"}
)
ROUTE_REGISTRARS: Final = frozenset({"add_api_route", "add_api_websocket_route"})


@dataclass(frozen=True, slots=True)
class ImportFact:
    target: str
    """`a.b.c` for `import a.b.c` and for `from a.b import c`."""
    from_module: str | None
    """`a.b` for `from a.b import c`; None for `import a.b.c`."""
    line: int
    type_checking: bool


@dataclass(frozen=True, slots=True)
class ClassFact:
    name: str
    bases: tuple[str, ...]
    line: int


@dataclass(frozen=True, slots=True)
class FileFacts:
    path: str
    module: str
    is_package: bool
    path_layer: Layer | None
    is_test: bool
    detect_routes: bool = True
    parsed: bool = True
    imports: tuple[ImportFact, ...] = ()
    bindings: tuple[tuple[str, str], ...] = ()
    """Module-level names and what they resolve to (imports, aliases, own definitions)."""
    classes: tuple[ClassFact, ...] = ()
    instances: tuple[tuple[str, str], ...] = ()
    """Module-level `name = Callee(...)`: (name, qualified callee)."""
    route_receivers: tuple[str, ...] = ()
    """Qualified names of objects that path operations are registered on."""
    defines_revision: bool = False


@dataclass(slots=True)
class _Collector:
    table: ImportTable
    imports: list[ImportFact] = field(default_factory=list)
    classes: list[ClassFact] = field(default_factory=list)
    instances: list[tuple[str, str]] = field(default_factory=list)
    receivers: list[str] = field(default_factory=list)
    assigned: set[str] = field(default_factory=set)

    def own(self, name: str) -> str:
        return f"{self.table.module}.{name}" if self.table.module else name

    def add_import(self, node: ast.Import | ast.ImportFrom, type_checking: bool) -> None:
        table = self.table
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.imports.append(ImportFact(alias.name, None, node.lineno, type_checking))
        else:
            base = table.absolute(node.level, node.module)
            if base is not None:
                for alias in node.names:
                    target = base if alias.name == "*" else f"{base}.{alias.name}"
                    self.imports.append(ImportFact(target, base, node.lineno, type_checking))
        for name, qualified in table.import_bindings(node):
            table.module_scope[name] = qualified

    def route_receiver(self, call: ast.expr, methods: frozenset[str]) -> None:
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in methods
        ):
            receiver = self.table.qualified(call.func.value)
            if receiver is not None:
                self.receivers.append(receiver)

    def rebind(self, target: ast.expr) -> None:
        """Names bound by unpacking, `for` or `with` at module level: no longer imports."""
        if isinstance(target, ast.Name):
            self.assigned.add(target.id)
            self.table.module_scope[target.id] = self.own(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.rebind(element)
        elif isinstance(target, ast.Starred):
            self.rebind(target.value)

    def assign(self, target: ast.expr, value: ast.expr | None) -> None:
        if not isinstance(target, ast.Name):
            self.rebind(target)
            return
        name = target.id
        self.assigned.add(name)
        alias = self.table.qualified(value) if value is not None else None
        if alias is not None and isinstance(value, ast.Name | ast.Attribute):
            self.table.module_scope[name] = alias
            return
        self.table.module_scope[name] = self.own(name)
        if isinstance(value, ast.Call):
            callee = self.table.qualified(value.func)
            if callee is not None:
                self.instances.append((name, callee))

    def statements(self, body: list[ast.stmt], type_checking: bool) -> None:
        for stmt in body:
            self.statement(stmt, type_checking)

    def statement(self, stmt: ast.stmt, type_checking: bool) -> None:
        table = self.table
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            self.add_import(stmt, type_checking)
        elif isinstance(stmt, ast.ClassDef):
            bases = tuple(q for q in map(table.qualified, stmt.bases) if q is not None)
            self.classes.append(ClassFact(stmt.name, bases, stmt.lineno))
            table.module_scope[stmt.name] = self.own(stmt.name)
            # Class-based views register their methods as path operations (mealie).
            for member in stmt.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef):
                    for decorator in member.decorator_list:
                        self.route_receiver(decorator, ROUTE_METHODS)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in stmt.decorator_list:
                self.route_receiver(decorator, ROUTE_METHODS)
            table.module_scope[stmt.name] = self.own(stmt.name)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                self.assign(target, stmt.value)
        elif isinstance(stmt, ast.AnnAssign):
            self.assign(stmt.target, stmt.value)
        elif isinstance(stmt, ast.Expr):
            self.route_receiver(stmt.value, ROUTE_REGISTRARS)
        elif isinstance(stmt, ast.If):
            guarded = table.is_type_checking_test(stmt.test)
            self.statements(stmt.body, type_checking or guarded)
            self.statements(stmt.orelse, type_checking)
        elif isinstance(stmt, ast.Try):
            self.statements(stmt.body, type_checking)
            for handler in stmt.handlers:
                self.statements(handler.body, type_checking)
            self.statements(stmt.orelse, type_checking)
            self.statements(stmt.finalbody, type_checking)
        elif isinstance(stmt, ast.With | ast.AsyncWith | ast.For | ast.AsyncFor | ast.While):
            if isinstance(stmt, ast.For | ast.AsyncFor):
                self.rebind(stmt.target)
            elif isinstance(stmt, ast.With | ast.AsyncWith):
                for item in stmt.items:
                    if item.optional_vars is not None:
                        self.rebind(item.optional_vars)
            self.statements(stmt.body, type_checking)
            self.statements(getattr(stmt, "orelse", []), type_checking)
        elif type(stmt).__name__ == "TypeAlias":
            name_node = getattr(stmt, "name", None)
            if isinstance(name_node, ast.Name):
                table.module_scope[name_node.id] = self.own(name_node.id)


def extract(
    tree: ast.Module,
    table: ImportTable,
    *,
    path: str,
    path_layer: Layer | None,
    is_test: bool,
    detect_routes: bool,
) -> FileFacts:
    """Fill `table`'s module scope and return the file's facts, in one pass over the
    module's top-level statements (function bodies are left to the rule walk)."""
    collector = _Collector(table)
    collector.statements(tree.body, type_checking=False)
    return FileFacts(
        path=path,
        module=table.module,
        is_package=table.is_package,
        path_layer=path_layer,
        is_test=is_test,
        detect_routes=detect_routes,
        imports=tuple(collector.imports),
        bindings=tuple(table.module_scope.items()),
        classes=tuple(collector.classes),
        instances=tuple(collector.instances),
        route_receivers=tuple(collector.receivers),
        defines_revision={"revision", "down_revision"} <= collector.assigned,
    )
