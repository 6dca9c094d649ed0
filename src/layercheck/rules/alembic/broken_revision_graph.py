from __future__ import annotations

import ast
from pathlib import Path
from typing import ClassVar

from layercheck.alembic_graph import GraphProblem, Problem, alembic_folder, problems
from layercheck.rules._base import Example, Invalid, Rule, RuleContext, RuleMeta, Valid
from layercheck.rules.alembic._helpers import MIGRATIONS
from layercheck.semantic.migrations import is_module_level

_HEADS_SHOWN = 4


class BrokenRevisionGraph(Rule):
    """## What it does
    Checks each Alembic folder's revision graph for duplicate revision ids, a
    `down_revision` that names no revision of the folder, and more than one head.

    ## Why is this bad?
    Alembic builds the graph from every file in `versions/` before it runs anything.
    Two files with one id make it pick one of them silently or refuse to start; a
    `down_revision` that points nowhere (a revision deleted, or renamed after a rebase)
    breaks `alembic upgrade` for everyone; and two heads, the usual result of two
    branches that each added a migration, make `alembic upgrade head` fail with
    "Multiple head revisions are present" on the first deploy after the merge. All
    three are easy to fix while the branch is open: a new id, the right parent, or
    `alembic merge heads`.

    The graph is built from the whole project, whichever files are being checked, and
    separately for each Alembic folder (the one holding `env.py` and `versions/`): two
    folders may reuse an id, and a `down_revision` must name a revision of its own
    folder. A merge revision (`down_revision = ("a1", "b2")`) joins heads. Findings are
    reported at the offending file: a duplicate at each file's `revision =`, a missing
    parent at `down_revision =`, and each head at its `revision =`. Revisions cut off
    by a missing parent are not counted as heads (the missing parent is the finding).
    When some file of the folder is not in the project, fails to parse or has an id
    that is not a literal, only duplicates are reported. Independent branches kept on
    purpose with `branch_labels` are not told apart from forgotten ones yet.

    ## Example
    ```python
    # file: alembic/versions/a1_create_users.py
    revision = "a1"
    down_revision = None
    # file: alembic/versions/b2_add_email.py
    revision = "b2"
    down_revision = "a1"
    # file: alembic/versions/c3_add_tags.py
    revision = "c3"
    down_revision = "a1"
    ```

    ## Use instead
    ```python
    # file: alembic/versions/a1_create_users.py
    revision = "a1"
    down_revision = None
    # file: alembic/versions/b2_add_email.py
    revision = "b2"
    down_revision = "a1"
    # file: alembic/versions/c3_add_tags.py
    revision = "c3"
    down_revision = "a1"
    # file: alembic/versions/d4_merge_heads.py
    revision = "d4"
    down_revision = ("b2", "c3")
    ```
    """

    meta: ClassVar[RuleMeta] = RuleMeta(
        code="LC705",
        name="broken-revision-graph",
        message="{problem}",
        layers=MIGRATIONS,
    )
    examples: ClassVar[tuple[Example, ...]] = (
        Valid(
            {
                "alembic/versions/a1_users.py": 'revision = "a1"\ndown_revision = None\n',
                "alembic/versions/b2_email.py": 'revision = "b2"\ndown_revision = "a1"\n'
                'branch_labels = ("mail",)\n',
                "alembic/versions/c3_tags.py": 'revision = "c3"\ndown_revision = "a1"\n'
                'branch_labels = ("tags",)\n',
            },
            note="labelled branches keep several heads on purpose",
        ),
        Valid(
            {
                "alembic/versions/a1_users.py": 'revision = "a1"\ndown_revision = None\n',
                "alembic/versions/b2_email.py": 'PARENT = "a1"\nrevision = "b2"\n'
                "down_revision = PARENT\n",
                "alembic/versions/c3_tags.py": 'revision = "c3"\ndown_revision = "b2"\n',
            },
            note="a parent named through a variable is unknown, not a root: no verdict",
        ),
        Invalid(
            {
                "alembic/versions/a1_users.py": 'revision = "a1"\ndown_revision = None\n',
                "alembic/versions/b2_email.py": 'revision = "b2"  # error\ndown_revision = "a1"\n',
                "alembic/versions/c3_tags.py": 'revision: str = "c3"  # error\n'
                'down_revision: str | None = "a1"\n',
            },
            note="two heads without a merge revision: each head is reported",
        ),
        Invalid(
            {
                "alembic/versions/a1_users.py": 'revision = "a1"  # error\ndown_revision = None\n',
                "alembic/versions/a1_copy.py": 'revision = "a1"  # error\ndown_revision = None\n',
            },
            note="a duplicate id, reported at both files",
        ),
        Invalid(
            {
                "alembic/versions/a1_users.py": 'revision = "a1"\ndown_revision = None\n',
                "alembic/versions/m1_merge.py": 'revision = "m1"\n'
                'down_revision = ("a1", "zz")  # error: 24\n',
            },
            note="a merge revision naming a revision that does not exist",
        ),
        Invalid(
            {
                "core/env.py": "from alembic import context\n",
                "core/versions/a1_core.py": 'revision = "a1"\ndown_revision = None\n',
                "tenant/env.py": "from alembic import context\n",
                "tenant/versions/a1_tenant.py": 'revision = "a1"\ndown_revision = None\n',
                "tenant/versions/b2_tenant.py": 'revision = "b2"\ndown_revision = "c3"  # error\n',
                "core/versions/c3_core.py": 'revision = "c3"\ndown_revision = "a1"\n',
            },
            note="two Alembic folders: `c3` is in the other folder's graph",
        ),
        Valid(
            {
                "alembic/versions/a1_users.py": 'revision = "a1"\ndown_revision = None\n',
                "alembic/versions/b2_email.py": 'revision = "b2"\ndown_revision = "a1"\n',
                "alembic/versions/c3_tags.py": 'revision = "c3"\ndown_revision = "a1"\n',
                "alembic/versions/d4_merge.py": 'revision = "d4"\ndown_revision = ("b2", "c3")\n',
            },
            note="the merge revision joins both heads",
        ),
        Valid(
            {
                "core/env.py": "from alembic import context\n",
                "core/versions/a1_core.py": 'revision = "a1"\ndown_revision = None\n',
                "tenant/env.py": "from alembic import context\n",
                "tenant/versions/a1_tenant.py": 'revision = "a1"\ndown_revision = None\n',
            },
            note="the same id in two Alembic folders is not a duplicate",
        ),
        Valid(
            {
                "alembic/versions/a1_users.py": 'revision = "a1"\ndown_revision = None\n',
                "alembic/versions/b2_email.py": 'revision = "b2"\ndown_revision = "a1"\n',
                "alembic/versions/c3_broken.py": "revision = (\n",
            },
            note="a file that does not parse may hold the missing head's child",
        ),
        Valid(
            {
                "alembic/versions/a1_users.py": 'revision = "a1"\ndown_revision = None\n',
                "alembic/versions/b2_email.py": "REV = 'b2'\nrevision = REV\n"
                'down_revision = "a1"\n',
                "alembic/versions/c3_tags.py": 'revision = "c3"\ndown_revision = "b2"\n',
            },
            note="an id that is not a literal: the graph is unknown",
        ),
    )

    def __init__(self) -> None:
        self.values: dict[int, ast.expr] = {}

    def visit_Assign(self, node: ast.Assign, ctx: RuleContext) -> None:
        if len(node.targets) == 1:
            self._remember(node, node.targets[0], node.value, ctx)

    def visit_AnnAssign(self, node: ast.AnnAssign, ctx: RuleContext) -> None:
        if node.value is not None:
            self._remember(node, node.target, node.value, ctx)

    def _remember(
        self, node: ast.stmt, target: ast.expr, value: ast.expr, ctx: RuleContext
    ) -> None:
        if (
            isinstance(target, ast.Name)
            and target.id in {"revision", "down_revision"}
            and is_module_level(ctx)
        ):
            self.values[node.lineno] = value

    def leave_Module(self, node: ast.Module, ctx: RuleContext) -> None:
        for problem in problems(ctx.index, str(ctx.path)):
            value = self.values.get(problem.line)
            if value is None:
                continue
            anchor: ast.AST = value
            if problem.kind is Problem.DANGLING and isinstance(value, ast.Tuple | ast.List):
                anchor = next(
                    (
                        e
                        for e in value.elts
                        if isinstance(e, ast.Constant) and e.value == problem.revision
                    ),
                    value,
                )
            ctx.report(self, anchor, problem=self._describe(problem, ctx))

    @staticmethod
    def _describe(problem: GraphProblem, ctx: RuleContext) -> str:
        folder = Path(alembic_folder(str(ctx.path)))
        relative = ctx.settings.relative(folder)
        where = f"`{relative}/`" if relative is not None else f"`{folder.name}/`"
        if problem.kind is Problem.DUPLICATE:
            others = ", ".join(f"`{Path(p).name}`" for p in problem.others)
            return f"revision id `{problem.revision}` is also used by {others}"
        if problem.kind is Problem.DANGLING:
            return f"`down_revision` names `{problem.revision}`, which no revision in {where} has"
        heads = ", ".join(f"`{h}`" for h in problem.others[:_HEADS_SHOWN])
        if len(problem.others) > _HEADS_SHOWN:
            heads += ", ..."
        return (
            f"`{problem.revision}` is one of {len(problem.others)} heads in {where} ({heads}); "
            "merge them with `alembic merge heads`"
        )
