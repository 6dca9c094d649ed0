"""`ast.walk` without its per-node generators: the same nodes in the same order (breadth
first, a node's children in field order), for the scans that walk a subtree per call or
per parameter. `ast.walk` runs two nested generators per node (`iter_child_nodes` over
`iter_fields`); one loop here does the same work."""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator


def walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under `node`, `node` first, as `ast.walk` yields them (operator and
    context singletons included)."""
    pending: deque[ast.AST] = deque([node])
    take = pending.popleft
    add = pending.append
    node_type = ast.AST
    while pending:
        node = take()
        for name in node._fields:
            try:
                value = getattr(node, name)
            except AttributeError:
                continue  # a field not set, as `ast.iter_fields` skips it
            if isinstance(value, node_type):
                add(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, node_type):
                        add(item)
        yield node
