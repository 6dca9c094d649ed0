"""What class a value is an instance of, for rules that must know a receiver before they
report: shown by facts only (annotations, constructors, `Model.model_validate(...)`,
return annotations of project functions, `session.get(Model, ...)`), never by a name.

`Values` follows one file's walk: the walk updates it before any rule sees a node (at each
def, when leaving an assignment, at loops, comprehensions and `with` targets), and rules
ask `instance_class(expr, ctx)` / `class_named(expr, ctx)`; None means "not shown".

No inference engine behind it: see "Why no astroid" in the README for what astroid
resolved on real projects, and at what cost.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Final

from layercheck.annotations import ANNOTATED, OPTIONAL, UNION, parse_string, single_type
from layercheck.pydantic_models import PYDANTIC_BASES

if TYPE_CHECKING:
    from layercheck.semantic.core import FileModel
    from layercheck.semantic.sessions import Sessions

Function = ast.FunctionDef | ast.AsyncFunctionDef
Scope = ast.AST | None
"""The node of a name's scope (None: the module)."""

VALIDATING_CONSTRUCTORS: Final = frozenset(
    {
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "model_construct",
        "parse_obj",
        "parse_raw",
        "parse_file",
        "from_orm",
        "construct",
    }
)
"""Class methods of a Pydantic model that return an instance of it."""
COPIES: Final = frozenset({"model_copy", "copy"})
_CONTAINERS: Final = frozenset(
    f"{module}.{name}"
    for module in ("typing", "typing_extensions", "collections.abc")
    for name in (
        "List",
        "Set",
        "FrozenSet",
        "Sequence",
        "MutableSequence",
        "Iterable",
        "Collection",
        "AbstractSet",
        "Tuple",
    )
)
_BUILTIN_CONTAINERS: Final = frozenset({"list", "set", "frozenset", "tuple"})
_WRAPPERS: Final = OPTIONAL | ANNOTATED | UNION
_NESTING: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def method_owner(function: Function, ctx: FileModel) -> ast.ClassDef | None:
    """The module-level class whose body directly holds `function`, while `function` is
    the node under the walk."""
    chain = ctx.ancestors
    if len(chain) < 2 or chain[-1] is not function:
        return None
    owner = chain[-2]
    if not isinstance(owner, ast.ClassDef) or not any(stmt is function for stmt in owner.body):
        return None
    if any(isinstance(node, _NESTING) for node in chain[:-2]):
        return None
    return owner


def _first_parameter_kind(function: Function) -> str:
    """`instance` (self), `class` (cls) or `none` for a method's first parameter."""
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id == "staticmethod":
            return "none"
        if isinstance(decorator, ast.Name) and decorator.id == "classmethod":
            return "class"
    positional = [*function.args.posonlyargs, *function.args.args]
    if not positional:
        return "none"
    if positional[0].arg == "cls" or function.name in {"__new__", "__init_subclass__"}:
        return "class"
    return "instance"


class Values:
    """Which names of one file hold instances (or classes) of which classes."""

    def __init__(self, sessions: Sessions | None = None) -> None:
        self._known = PYDANTIC_BASES
        """Classes outside the project an annotation may name (`pydantic.BaseModel`)."""
        self._sessions = sessions
        self._instances: dict[Scope, dict[str, str]] = {}
        self._elements: dict[Scope, dict[str, str]] = {}
        self._classes: dict[Scope, dict[str, str]] = {}

    # -- updated by the walk -----------------------------------------------------------------
    def visit_FunctionDef(self, node: ast.FunctionDef, ctx: FileModel) -> None:
        self._function(node, ctx)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef, ctx: FileModel) -> None:
        self._function(node, ctx)

    def leave_Assign(self, node: ast.Assign, ctx: FileModel) -> None:
        for target in node.targets:
            self._assigned(target, node.value, None, ctx)

    def leave_AnnAssign(self, node: ast.AnnAssign, ctx: FileModel) -> None:
        self._assigned(node.target, node.value, node.annotation, ctx)

    def leave_NamedExpr(self, node: ast.NamedExpr, ctx: FileModel) -> None:
        self._assigned(node.target, node.value, None, ctx)

    def leave_AugAssign(self, node: ast.AugAssign, ctx: FileModel) -> None:
        self._forget(node.target, ctx.names.scopes[-1].node)

    def visit_For(self, node: ast.For, ctx: FileModel) -> None:
        self._loop(node.target, node.iter, ctx)

    def visit_AsyncFor(self, node: ast.AsyncFor, ctx: FileModel) -> None:
        self._loop(node.target, node.iter, ctx)

    def visit_ListComp(self, node: ast.ListComp, ctx: FileModel) -> None:
        self._comprehension(node, ctx)

    def visit_SetComp(self, node: ast.SetComp, ctx: FileModel) -> None:
        self._comprehension(node, ctx)

    def visit_GeneratorExp(self, node: ast.GeneratorExp, ctx: FileModel) -> None:
        self._comprehension(node, ctx)

    def visit_DictComp(self, node: ast.DictComp, ctx: FileModel) -> None:
        self._comprehension(node, ctx)

    def visit_withitem(self, node: ast.withitem, ctx: FileModel) -> None:
        if node.optional_vars is not None:
            self._forget(node.optional_vars, ctx.names.scopes[-1].node)

    def _function(self, node: Function, ctx: FileModel) -> None:
        """At the def: parameters annotated with a class, `self` and `cls` of methods."""
        instances: dict[str, str] = {}
        elements: dict[str, str] = {}
        classes: dict[str, str] = {}
        arguments = node.args
        owner = method_owner(node, ctx)
        positional = [*arguments.posonlyargs, *arguments.args]
        if owner is not None and positional:
            module = ctx.module
            owner_name = f"{module}.{owner.name}" if module else owner.name
            kind = _first_parameter_kind(node)
            if kind == "instance":
                instances[positional[0].arg] = ctx.index.resolve(owner_name)
            elif kind == "class":
                classes[positional[0].arg] = ctx.index.resolve(owner_name)
        for arg in (*positional, *arguments.kwonlyargs):
            if arg.annotation is None:
                continue
            found = self.annotation_class(arg.annotation, ctx)
            if found is not None:
                instances[arg.arg] = found
                continue
            element = self.element_class(arg.annotation, ctx)
            if element is not None:
                elements[arg.arg] = element
        self._instances[node] = instances
        self._elements[node] = elements
        self._classes[node] = classes

    def _assigned(
        self,
        target: ast.expr,
        value: ast.expr | None,
        annotation: ast.expr | None,
        ctx: FileModel,
    ) -> None:
        """When leaving `target = value` / `target: annotation = value`: the value has
        been walked with the names it saw."""
        scope = ctx.names.scopes[-1].node
        if not isinstance(target, ast.Name):
            self._forget(target, scope)
            return
        found: str | None = None
        element: str | None = None
        if annotation is not None:
            found = self.annotation_class(annotation, ctx)
            element = None if found else self.element_class(annotation, ctx)
        if found is None and element is None and value is not None:
            found = self.instance_class(value, ctx)
            if found is None and isinstance(value, ast.Name):
                element = self._element_of_name(value, ctx)
        name = target.id
        self._instances.setdefault(scope, {})[name] = found or ""
        self._elements.setdefault(scope, {})[name] = element or ""
        self._classes.setdefault(scope, {})[name] = ""

    def _loop(self, target: ast.expr, iterable: ast.expr, ctx: FileModel) -> None:
        """At a `for` statement: the target holds the elements of a typed collection."""
        scope = ctx.names.scopes[-1].node
        element = self._element_of_name(iterable, ctx) if isinstance(iterable, ast.Name) else None
        if isinstance(target, ast.Name) and element is not None:
            self._instances.setdefault(scope, {})[target.id] = element
            self._elements.setdefault(scope, {})[target.id] = ""
        else:
            self._forget(target, scope)

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, ctx: FileModel
    ) -> None:
        """At a comprehension (before its scope opens): its first generator's target."""
        first = node.generators[0] if node.generators else None
        if first is None or not isinstance(first.target, ast.Name):
            return
        if isinstance(first.iter, ast.Name):
            element = self._element_of_name(first.iter, ctx)
            if element is not None:
                self._instances.setdefault(node, {})[first.target.id] = element

    def _forget(self, target: ast.expr, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            for table in (self._instances, self._elements, self._classes):
                table.setdefault(scope, {})[target.id] = ""
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._forget(element, scope)
        elif isinstance(target, ast.Starred):
            self._forget(target.value, scope)

    # -- asking ----------------------------------------------------------------------------
    def instance_class(self, node: ast.expr, ctx: FileModel) -> str | None:
        """The class `node` is shown to be an instance of (resolved), or None."""
        if isinstance(node, ast.Await):
            node = node.value
        if isinstance(node, ast.Name):
            return self._name(node, ctx, self._instances, module_fallback=True)
        if isinstance(node, ast.Attribute):
            qualified = ctx.qualified(node)
            return self._module_value(qualified, ctx) if qualified else None
        if isinstance(node, ast.Call):
            return self._call(node, ctx)
        return None

    def class_named(self, node: ast.expr, ctx: FileModel) -> str | None:
        """The project class an expression names: `User`, `schemas.User`, `cls`."""
        if isinstance(node, ast.Name):
            found = self._name(node, ctx, self._classes, module_fallback=False)
            if found is not None:
                return found
        if isinstance(node, ast.Name | ast.Attribute):
            qualified = ctx.qualified(node)
            if qualified is not None and ctx.index.class_fact(qualified) is not None:
                return ctx.index.resolve(qualified)
        return None

    def annotation_class(self, annotation: ast.expr, ctx: FileModel) -> str | None:
        """The class an annotation promises (`User`, `"User"`, `User | None`,
        `Annotated[User, ...]`, a type alias of one), when the project defines it."""
        index = ctx.index
        current = single_type(annotation, ctx.qualified)
        seen: set[str] = set()
        while current and current not in seen:
            seen.add(current)
            resolved = index.resolve(current)
            if index.class_fact(resolved) is not None or resolved in self._known:
                return resolved
            alias = index.type_alias(resolved)
            current = alias[0] if alias is not None else None
        return None

    def element_class(self, annotation: ast.expr, ctx: FileModel) -> str | None:
        """The class of the elements of `list[User]`, `Sequence["User"] | None`, ..."""
        node: ast.expr | None = annotation
        for _ in range(4):
            if isinstance(node, ast.Constant):
                node = parse_string(node)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
                node = node.left if _is_none(node.right) else node.right
            elif isinstance(node, ast.Subscript) and (ctx.qualified(node.value) in _WRAPPERS):
                items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                kept = [item for item in items if not _is_none(item)]
                node = kept[0] if kept else None
            else:
                break
        if not isinstance(node, ast.Subscript):
            return None
        head = node.value
        builtin = (
            isinstance(head, ast.Name)
            and head.id in _BUILTIN_CONTAINERS
            and ctx.names.lookup(head.id) is None
        )
        if not builtin and ctx.qualified(head) not in _CONTAINERS:
            return None
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(items) == 2 and not (
            isinstance(items[1], ast.Constant) and items[1].value is Ellipsis
        ):
            return None  # `tuple[A, B]`
        return self.annotation_class(items[0], ctx) if items else None

    # -- internals -------------------------------------------------------------------------
    def _name(
        self,
        node: ast.Name,
        ctx: FileModel,
        table: dict[Scope, dict[str, str]],
        *,
        module_fallback: bool,
    ) -> str | None:
        comprehension = ctx.comprehension_binding(node.id)
        if comprehension is not None:
            return table.get(comprehension, {}).get(node.id) or None
        scope = ctx.names.binding_scope(node.id)
        if scope is None:
            return None
        recorded = table.get(scope.node, {}).get(node.id)
        if recorded is not None:
            return recorded or None
        if scope.node is None and module_fallback:
            qualified = ctx.qualified(node)
            return self._module_value(qualified, ctx) if qualified else None
        return None

    def _element_of_name(self, node: ast.Name, ctx: FileModel) -> str | None:
        return self._name(node, ctx, self._elements, module_fallback=False)

    def _module_value(self, qualified: str, ctx: FileModel) -> str | None:
        """A module-level `name = Callee(...)` of a project module."""
        callee = ctx.index.instance_of(qualified)
        return self._callee_class(callee, ctx) if callee is not None else None

    def _callee_class(self, callee: str, ctx: FileModel) -> str | None:
        """What calling `callee` gives: an instance of a project class, or what a project
        function's return annotation promises."""
        index = ctx.index
        resolved = index.resolve(callee)
        if index.class_fact(resolved) is not None:
            return resolved
        function = index.function(resolved)
        if function is not None and function.produces:
            produced = index.resolve(function.produces)
            if index.class_fact(produced) is not None or produced in self._known:
                return produced
        return None

    def _call(self, node: ast.Call, ctx: FileModel) -> str | None:
        func = node.func
        callee = ctx.qualified(func) if isinstance(func, ast.Name | ast.Attribute) else None
        if callee is not None:
            found = self._callee_class(callee, ctx)
            if found is not None:
                return found
        if not isinstance(func, ast.Attribute):
            return None
        if func.attr in VALIDATING_CONSTRUCTORS:
            return self.class_named(func.value, ctx)
        if func.attr in COPIES:
            # Only models' copies are known to keep their class (an ORM `copy()` may not).
            copied = self.instance_class(func.value, ctx)
            if copied is not None and ctx.index.inherits(copied, self._known):
                return copied
            return None
        if (
            func.attr == "get"
            and node.args
            and self._sessions is not None
            and self._sessions.is_session(func.value, ctx)
        ):
            return self.class_named(node.args[0], ctx)
        return None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None
