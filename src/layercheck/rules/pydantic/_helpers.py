"""What the Pydantic rules share: the v1 names they match, which class a `class` statement
defines, the fields a schema declares, and where a class name sits for reporting."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from layercheck.annotations import ANNOTATED, parse_string
from layercheck.index import ProjectIndex
from layercheck.model import Location
from layercheck.pydantic_models import (
    PYDANTIC_BASES,
    V1_COMPAT_BASES,
    fields,
    is_pydantic_model,
    is_v1_compat_model,
    is_v2_model,
)
from layercheck.rules._base import RuleContext

Function = ast.FunctionDef | ast.AsyncFunctionDef
FIELD_FUNCTIONS: Final = frozenset(
    {"pydantic.Field", "pydantic.fields.Field", "sqlmodel.Field", "sqlmodel.main.Field"}
)
PYDANTIC_FIELD_FUNCTIONS: Final = frozenset({"pydantic.Field", "pydantic.fields.Field"})
CLASS_VAR: Final = frozenset({"typing.ClassVar", "typing_extensions.ClassVar"})
REQUEST_SUFFIXES: Final = ("Create", "Update", "Patch", "In", "Request")
PATCH_SUFFIXES: Final = ("Patch", "Update")
RESPONSE_SUFFIXES: Final = ("Response", "Out", "Read", "Public")
SERVER_FIELDS: Final = ("id", "created_at", "updated_at", "hashed_password")
SECRET_FIELDS: Final = ("password", "hashed_password", "password_hash")


def own_name(ctx: RuleContext, name: str) -> str:
    """The qualified name a module-level definition `name` has in the current module."""
    return f"{ctx.module}.{name}" if ctx.module else name


def short_name(qualified: str) -> str:
    return qualified.rpartition(".")[2]


def has_suffix(name: str, suffixes: tuple[str, ...]) -> bool:
    """`UserCreate` ends with `Create`; `Login` does not end with `In` (the suffix must
    start a word: the name is longer than it and starts with a capital)."""
    return any(
        name.endswith(suffix) and len(name) > len(suffix) and name[0].isupper()
        for suffix in suffixes
    )


def body_methods(ctx: RuleContext, name: str) -> frozenset[str] | None:
    """The methods (lower case) of the path operations that take the class `name` of
    this module as their body; the empty set when the project's routes take other
    classes but never this one; None when the project shows no route body at all (a
    file checked alone, a package of schemas), so that only the class name can say."""
    return body_methods_of(ctx, own_name(ctx, name))


def body_methods_of(ctx: RuleContext, qualified: str) -> frozenset[str] | None:
    """`body_methods` for a class of any module, by its qualified name."""
    uses = ctx.index.request_bodies(qualified)
    if uses:
        return frozenset(method for method, _ in uses)
    return frozenset() if ctx.index.shows_request_bodies() else None


def patch_name(name: str) -> bool:
    """`UserUpdate`, `ItemPatch`; not `DataUseCreateOrUpdate` or `UserUpsertUpdate`, whose
    name says the body creates the object when it is missing: it is sent whole."""
    return has_suffix(name, PATCH_SUFFIXES) and not any(
        word in name for word in ("Create", "Upsert")
    )


def nested(ctx: RuleContext) -> bool:
    """The current node sits inside a function, class or lambda."""
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
        for node in ctx.ancestors[:-1]
    )


@dataclass(frozen=True, slots=True)
class ModelClass:
    """A Pydantic model being defined by the `class` statement under the walk."""

    name: str
    qualified: str
    """Its qualified name; the index knows it when the class is defined at module level."""
    v1_compat: bool
    """Built on `pydantic.v1`, whose API it uses on purpose."""


def model_class(node: ast.ClassDef, ctx: RuleContext) -> ModelClass | None:
    """The model a `class` statement defines (call from `visit_ClassDef`), or None."""
    index = ctx.index
    if not nested(ctx):
        qualified = own_name(ctx, node.name)
        if index.class_fact(qualified) is not None:
            if not is_pydantic_model(qualified, index):
                return None
            return ModelClass(node.name, qualified, is_v1_compat_model(qualified, index))
    bases = [ctx.qualified(b.value if isinstance(b, ast.Subscript) else b) for b in node.bases]
    found = [
        b for b in bases if b is not None and (b in PYDANTIC_BASES or is_pydantic_model(b, index))
    ]
    if not found:
        return None
    v1 = all(b in V1_COMPAT_BASES or is_v1_compat_model(b, index) for b in found)
    return ModelClass(node.name, node.name, v1)


def name_span(node: ast.ClassDef | Function, ctx: RuleContext) -> tuple[Location, Location]:
    """Where the name of a `class`/`def` statement is written."""
    line = ctx.lines.line(node.lineno)
    match = re.search(rf"\b(?:class|def)\s+({re.escape(node.name)})\b", line)
    if match is None:
        return ctx.lines.span(node)
    column = match.start(1) + 1
    return Location(node.lineno, column), Location(node.lineno, column + len(node.name))


def string_annotation(node: ast.expr) -> ast.expr | None:
    """The expression a quoted annotation holds."""
    return parse_string(node)


# -- fields declared in a class body ---------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FieldDecl:
    name: str
    target: ast.expr
    annotation: ast.expr | None
    value: ast.expr | None


def declared_fields(node: ast.ClassDef, ctx: RuleContext) -> Iterator[FieldDecl]:
    """Annotated (and plain) assignments in a class body that Pydantic makes fields:
    not `model_config`, not private or dunder names, not `ClassVar`s."""
    for member in node.body:
        if isinstance(member, ast.AnnAssign) and isinstance(member.target, ast.Name):
            name = member.target.id
            annotation = member.annotation
            inner = string_annotation(annotation) or annotation
            head = inner.value if isinstance(inner, ast.Subscript) else inner
            if ctx.qualified(head) in CLASS_VAR:
                continue
            if name == "model_config" or name.startswith("_"):
                continue
            yield FieldDecl(name, member.target, annotation, member.value)


def field_call(value: ast.expr | None, ctx: RuleContext) -> ast.Call | None:
    """`Field(...)` (Pydantic's or SQLModel's), or None."""
    if isinstance(value, ast.Call) and ctx.qualified(value.func) in FIELD_FUNCTIONS:
        return value
    return None


def keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _field_has_default(call: ast.Call) -> bool:
    if call.args:
        first = call.args[0]
        return not (isinstance(first, ast.Constant) and first.value is Ellipsis)
    default = keyword(call, "default")
    if default is not None:
        return not (isinstance(default.value, ast.Constant) and default.value.value is Ellipsis)
    return keyword(call, "default_factory") is not None


def has_default(declared: FieldDecl, ctx: RuleContext) -> bool:
    """A field with a default: `= None`, `= Field(None)`, `Field(default_factory=...)`,
    or `Annotated[X, Field(default=...)]`; `Field(...)` and `Field(min_length=1)` are
    required. A value the facts cannot read counts as a default."""
    if declared.value is not None:
        call = field_call(declared.value, ctx)
        return call is None or _field_has_default(call)
    annotation = declared.annotation
    if annotation is not None:
        annotation = string_annotation(annotation) or annotation
    if isinstance(annotation, ast.Subscript) and ctx.qualified(annotation.value) in ANNOTATED:
        items = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else []
        for item in items[1:]:
            call = field_call(item, ctx)
            if call is not None and _field_has_default(call):
                return True
    return False


def excluded(declared: FieldDecl, ctx: RuleContext) -> bool:
    """`Field(exclude=True)`: never serialized."""
    call = field_call(declared.value, ctx)
    if call is None:
        return False
    found = keyword(call, "exclude")
    return found is not None and is_true(found.value)


# -- where a node sits -----------------------------------------------------------------------
# Python's `re` reads these, Pydantic 2's default (Rust) regex engine does not.
PYTHON_ONLY_REGEX: Final = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=")


def in_annotation(ctx: RuleContext) -> bool:
    """The current node is part of an annotation: of a variable, a parameter or a return."""
    chain = ctx.ancestors
    for depth in range(len(chain) - 2, -1, -1):
        parent, child = chain[depth], chain[depth + 1]
        if isinstance(parent, ast.AnnAssign | ast.arg):
            return child is parent.annotation
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            return child is parent.returns
        if isinstance(parent, ast.stmt | ast.arguments):
            return False
    return False


_IMPORT_ERRORS: Final = frozenset({"ImportError", "ModuleNotFoundError", "Exception"})


def in_import_fallback(ctx: RuleContext) -> bool:
    """Inside a `try:` that catches ImportError, or its handler: a version shim."""
    chain = ctx.ancestors
    for depth in range(len(chain) - 1):
        node = chain[depth]
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            handlers: list[ast.ExceptHandler] = getattr(node, "handlers", [])
            for handler in handlers:
                kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                if any(
                    kind is None or (isinstance(kind, ast.Name) and kind.id in _IMPORT_ERRORS)
                    for kind in kinds
                ):
                    return True
    return False


# -- receivers -------------------------------------------------------------------------------
_V2_BASES: Final = PYDANTIC_BASES - V1_COMPAT_BASES


def is_v2_instance_class(qualified: str | None, index: ProjectIndex) -> bool:
    """Instances of this class are Pydantic (v2 API) models: a project model, or a value
    annotated with `BaseModel` itself."""
    if qualified is None:
        return False
    return qualified in _V2_BASES or is_v2_model(qualified, index)


# -- a schema's fields, inherited ones included ----------------------------------------------
@dataclass(frozen=True, slots=True)
class InheritedField:
    name: str
    owner: str
    """The qualified name of the base class that declares it."""
    declared: FieldDecl | None
    """Its declaration, when the base is defined in the file under the walk."""
    value: str
    """Qualified callee of its value (`pydantic.Field`), from the facts, or ""."""


def inherited_fields(
    model: ModelClass, node: ast.ClassDef, ctx: RuleContext
) -> Iterator[InheritedField]:
    """Fields the class gets from its project bases and does not declare itself; the
    declaration is read from a base's body when the base is defined in this file."""
    own = {member.name for member in declared_fields(node, ctx)}
    for name, (owner, attribute) in fields(model.qualified, ctx.index).items():
        if name in own or owner == ctx.index.resolve(model.qualified):
            continue
        body = ctx.schemas.body(owner)
        declared = None
        if body is not None:
            declared = next((f for f in declared_fields(body, ctx) if f.name == name), None)
            if declared is None:
                continue  # not a field (a ClassVar, a private name)
        yield InheritedField(name, owner, declared, attribute.value)
