"""The file under the walk and where the walk is in it: the file's path, module, layer and
settings, its scopes and names, the project index, and the current node's ancestors.
Every part of the semantic model reads it; `SemanticModel` adds the parts."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from layercheck.layers import Layer
from layercheck.tree_walk import walk

if TYPE_CHECKING:
    from layercheck.config.settings import Settings
    from layercheck.index import ProjectIndex
    from layercheck.names import ImportTable
    from layercheck.source import LineIndex

_COMPREHENSIONS: Final = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_NESTING: Final = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass(slots=True)
class FileModel:
    """What is known about the file under the walk, at the node under the walk."""

    path: Path
    module: str
    layer: Layer | None
    names: ImportTable
    index: ProjectIndex
    settings: Settings
    lines: LineIndex
    is_test: bool = False
    """A test file (tests/, test_*.py, *_test.py, conftest.py): it has no layer."""
    ancestors: list[ast.AST] = field(default_factory=list)
    _qualified: dict[ast.AST, tuple[int, str | None]] = field(default_factory=dict)
    per_file: dict[str, object] = field(default_factory=dict)
    """Answers about the file as a whole that rules ask at many nodes, by question."""
    _functions_at: tuple[tuple[int, int], list[ast.FunctionDef | ast.AsyncFunctionDef]] | None = (
        None
    )

    # -- where the walk is ----------------------------------------------------------------
    @property
    def parent(self) -> ast.AST | None:
        return self.ancestors[-2] if len(self.ancestors) > 1 else None

    def enclosing_function(self) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The innermost function whose body holds the current node."""
        found = self.functions()
        return found[0] if found else None

    def functions(self) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """Functions whose body holds the current node, innermost first. Decorators,
        defaults and annotations belong to the enclosing scope, as the walker sees them."""
        chain = self.ancestors
        # Several rules ask at the same node; the answer is fixed while the node is current.
        key = (id(chain[-1]), len(chain)) if chain else (0, 0)
        if self._functions_at is not None and self._functions_at[0] == key:
            return self._functions_at[1]
        # The walk enters a def's scope for its body only, after its decorators, defaults
        # and annotations: the functions whose body holds the node are those of its
        # scopes, a few where the ancestors are many.
        found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        for scope in reversed(self.names.scopes):
            node = scope.node
            if type(node) is ast.FunctionDef or type(node) is ast.AsyncFunctionDef:
                found.append(node)
        self._functions_at = (key, found)
        return found

    def comprehension_binding(self, name: str) -> ast.AST | None:
        """The innermost comprehension (among the current node's ancestors) whose
        generators bind `name`: the walk binds its targets only after its element."""
        for node in reversed(self.ancestors):
            if isinstance(node, _NESTING):
                return None
            if isinstance(node, _COMPREHENSIONS):
                for generator in node.generators:
                    if any(
                        isinstance(t, ast.Name) and t.id == name for t in walk(generator.target)
                    ):
                        return node
        return None

    def under_type_checking(self) -> bool:
        """True inside the body of an `if TYPE_CHECKING:` block."""
        chain = self.ancestors
        for depth in range(len(chain) - 1):
            node = chain[depth]
            if isinstance(node, ast.If) and self.names.is_type_checking_test(node.test):
                child = chain[depth + 1]
                if any(stmt is child for stmt in node.body):
                    return True
        return False

    def qualified(self, node: ast.AST) -> str | None:
        """Resolved, re-export-followed qualified name of a Name/Attribute, or None."""
        # Rules ask about the same nodes again and again. An answer is kept with the name
        # table's generation: a rule that asks about a node the walk has not reached yet
        # (a body scanned from its `def`) must not hand its answer to a rule asking there,
        # or a finding would depend on which rules run.
        # Keyed by the node itself (a node hashes and compares by identity): a node parsed
        # from a string annotation is short-lived, and its id could be reused by another.
        names = self.names
        generation = names.generation
        kept = self._qualified
        cached = kept.get(node)
        if cached is not None and cached[0] == generation:
            return cached[1]
        # A bare name, most of the questions: its binding, without the type tests.
        found = names.lookup(node.id) if type(node) is ast.Name else names.qualified(node)
        result = self.index.resolve(found) if found is not None else None
        kept[node] = (generation, result)
        return result
