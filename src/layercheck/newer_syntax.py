"""A file in syntax newer than the running Python reads, turned into a tree it can read, for
its facts only: other files' findings depend on what it defines (a base repository, a
session type), so it must not drop out of the project index.

libcst's own parser reads PEP 695 type parameters and `type` statements, PEP 701
f-strings, PEP 750 t-strings and PEP 758 `except A, B:` whatever Python runs it. The
rewrite keeps every statement on its line: type parameters are dropped, `type X = Y`
becomes `X = Y`, an f- or t-string becomes a plain string spanning the same lines, and
`except A, B:` gets its parentheses. The file itself is still reported as LC001 and no
rule walks it: the rewritten tree is good for facts (names, classes, imports, aliases),
not for findings at exact columns.

libcst is imported here, and this module only when `ast` has rejected a file.
"""

from __future__ import annotations

import ast

import libcst as cst


class _Downgrade(cst.CSTTransformer):
    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        return updated_node.with_changes(type_parameters=None)

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        return updated_node.with_changes(type_parameters=None)

    def leave_TypeAlias(
        self, original_node: cst.TypeAlias, updated_node: cst.TypeAlias
    ) -> cst.Assign:
        return cst.Assign(
            targets=[cst.AssignTarget(target=updated_node.name)],
            value=updated_node.value,
            semicolon=updated_node.semicolon,
        )

    def leave_FormattedString(
        self, original_node: cst.FormattedString, updated_node: cst.FormattedString
    ) -> cst.BaseExpression:
        return _same_lines(original_node)

    def leave_TemplatedString(
        self, original_node: cst.TemplatedString, updated_node: cst.TemplatedString
    ) -> cst.BaseExpression:
        return _same_lines(original_node)

    def leave_ExceptHandler(
        self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler
    ) -> cst.ExceptHandler:
        kind = updated_node.type
        if isinstance(kind, cst.Tuple) and not kind.lpar:
            kind = kind.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            return updated_node.with_changes(type=kind)
        return updated_node


def _same_lines(node: cst.CSTNode) -> cst.SimpleString:
    """A string literal that spans as many lines as `node` does."""
    breaks = cst.Module(body=[]).code_for_node(node).count("\n")
    return cst.SimpleString('"""' + "\n" * breaks + '"""' if breaks else '""')


def downgraded_tree(text: str, filename: str) -> ast.Module | None:
    """The file as a tree this Python reads, or None when libcst cannot read it either
    (a real syntax error) or the rewrite still does not parse."""
    try:
        module = cst.parse_module(text)
        rewritten = module.visit(_Downgrade()).code
        return ast.parse(rewritten, filename)
    except Exception:  # whatever libcst makes of it, the file keeps its LC001 and bare facts
        return None
