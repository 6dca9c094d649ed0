"""The diagram as text: Mermaid (renders on GitHub and GitLab), Graphviz dot, JSON; and
as a picture through Graphviz (`dot -Tsvg`), alone or in a self-contained HTML page.

Layers are bands from top to bottom in the stack's order; with `modules`, each module is
a box in its layer's band. A violating import is red and labelled with its rules' codes;
in SVG and HTML each module and each violation links to its file (and line).
"""

from __future__ import annotations

import html
import itertools
import json
import shutil
import subprocess
from collections import defaultdict
from typing import Final

from layercheck.diagram.build import Diagram

RED: Final = "#d1242f"
GREY: Final = "#57606a"
FORMATS: Final = ("mermaid", "dot", "json", "svg", "html")
DRAWN_MODULES: Final = 400
"""Past this many modules, a module picture draws only the imports a rule reports: the
thousands of others make it unreadable, and Graphviz takes minutes to lay them out."""


def draws_all(diagram: Diagram, all_imports: bool) -> bool:
    return all_imports or len(diagram.modules) <= DRAWN_MODULES


class GraphvizMissing(Exception):
    """`dot` is not on PATH: the caller shows the dot text instead."""


def _id(name: str) -> str:
    """A node id Mermaid and dot accept, one per name: `_` is doubled and any other
    character that is not an ASCII letter or digit becomes `_<hex>_`, so `a.b` and `a_b`
    stay two boxes."""
    return "n_" + "".join(
        char if char.isascii() and char.isalnum() else "__" if char == "_" else f"_{ord(char):x}_"
        for char in name
    )


# -- JSON --------------------------------------------------------------------------------
def to_json(diagram: Diagram, modules: bool) -> str:
    data: dict[str, object] = {
        "layers": [{"name": name, "modules": size} for name, size in diagram.layers()],
        "layer_edges": [
            {"from": a, "to": b, "imports": count, "violations": dict(sorted(codes.items()))}
            for a, b, count, codes in diagram.layer_edges()
        ],
    }
    if modules:
        data["modules"] = [
            {"name": module.name, "layer": module.layer, "path": str(module.path)}
            for module in sorted(diagram.modules.values(), key=lambda m: m.name)
        ]
        data["imports"] = [
            {
                "from": item.importer,
                "to": item.imported,
                "line": item.line,
                "violations": list(item.codes),
            }
            for item in diagram.imports
        ]
    return json.dumps(data, indent=2) + "\n"


# -- Mermaid ----------------------------------------------------------------------------
def _mermaid_text(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def to_mermaid(diagram: Diagram, modules: bool, all_imports: bool = False) -> str:
    out = ["flowchart TD"]
    styled: list[int] = []
    if not modules:
        for name, size in diagram.layers():
            out.append(f"    {_id(name)}[{_mermaid_text(f'{name} ({size})')}]")
        for number, (a, b, count, codes) in enumerate(diagram.layer_edges()):
            label = f"{count}" + (f" · {' '.join(sorted(codes))}" if codes else "")
            out.append(f"    {_id(a)} -->|{_mermaid_text(label)}| {_id(b)}")
            if codes:
                styled.append(number)
    else:
        members = _by_layer(diagram)
        for name, _ in diagram.layers():
            out.append(f"    subgraph {_id('layer_' + name)}[{_mermaid_text(name)}]")
            out.extend(f"        {_id(m)}[{_mermaid_text(m)}]" for m in members[name])
            out.append("    end")
        drawn = [item for item in diagram.imports if item.codes or draws_all(diagram, all_imports)]
        for number, item in enumerate(drawn):
            if item.codes:
                label = _mermaid_text(" ".join(item.codes))
                out.append(f"    {_id(item.importer)} -->|{label}| {_id(item.imported)}")
                styled.append(number)
            else:
                out.append(f"    {_id(item.importer)} --> {_id(item.imported)}")
    if styled:
        out.append(f"    linkStyle {','.join(map(str, styled))} stroke:{RED},stroke-width:2px")
    return "\n".join(out) + "\n"


def _by_layer(diagram: Diagram) -> dict[str, list[str]]:
    members: dict[str, list[str]] = defaultdict(list)
    for module in sorted(diagram.modules.values(), key=lambda m: m.name):
        members[module.layer].append(module.name)
    return members


# -- Graphviz ---------------------------------------------------------------------------
def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(diagram: Diagram, modules: bool, all_imports: bool = False) -> str:
    out = [
        "digraph layercheck {",
        "    rankdir=TB; newrank=true; nodesep=0.3; ranksep=0.6;",
        '    node [shape=box, style="rounded,filled", fillcolor="#f6f8fa", '
        'fontname="Helvetica", fontsize=11];',
        f'    edge [color="{GREY}", fontname="Helvetica", fontsize=9];',
    ]
    bands = [name for name, _ in diagram.layers()]
    if not modules:
        for name, size in diagram.layers():
            label = f'"{name}\\n{size} modules"'  # layer names need no escaping
            out.append(f"    {_id(name)} [label={label}];")
        for a, b, count, codes in diagram.layer_edges():
            if codes:
                label = f"{count} ({', '.join(f'{c} x{n}' for c, n in sorted(codes.items()))})"
                attrs = f'color="{RED}", fontcolor="{RED}", penwidth=2'
            else:
                label, attrs = str(count), ""
            extra = f", {attrs}" if attrs else ""
            out.append(f"    {_id(a)} -> {_id(b)} [label={_dot_text(label)}{extra}];")
        # The stack's order, top to bottom, whatever the imports say.
        for upper, lower in itertools.pairwise(bands):
            out.append(f"    {_id(upper)} -> {_id(lower)} [style=invis, weight=10];")
    else:
        members = _by_layer(diagram)
        for name in bands:
            out.append(f"    subgraph cluster_{_id(name)} {{")
            out.append(
                f'        label={_dot_text(name)}; style="filled"; fillcolor="#eef1f4"; '
                'color="#d0d7de"; fontname="Helvetica";'
            )
            out.append(f"        {_id('band_' + name)} [shape=point, style=invis, width=0];")
            # One row per band: the band's modules share the rank of its anchor.
            row = " ".join([_id("band_" + name), *(_id(m) for m in members[name])])
            out.append(f"        {{rank=same; {row}}}")
            for module in members[name]:
                path = diagram.modules[module].path
                out.append(
                    f"        {_id(module)} [label={_dot_text(module)}, "
                    f"URL={_dot_text(path.as_uri())}, tooltip={_dot_text(str(path))}];"
                )
            out.append("    }")
        for upper, lower in itertools.pairwise(bands):
            out.append(
                f"    {_id('band_' + upper)} -> {_id('band_' + lower)} [style=invis, weight=10];"
            )
        for item in diagram.imports:
            if item.codes:
                source = diagram.modules[item.importer].path
                tip = f"{source}:{item.line}: " + " / ".join(item.messages)
                out.append(
                    f"    {_id(item.importer)} -> {_id(item.imported)} "
                    f'[constraint=false, color="{RED}", fontcolor="{RED}", penwidth=2, '
                    f"label={_dot_text(' '.join(item.codes))}, "
                    f"URL={_dot_text(source.as_uri() + f'#L{item.line}')}, "
                    f"tooltip={_dot_text(tip)}];"
                )
            elif draws_all(diagram, all_imports):
                # Imports do not move the bands: the stack decides where a module sits.
                out.append(f"    {_id(item.importer)} -> {_id(item.imported)} [constraint=false];")
    out.append("}")
    return "\n".join(out) + "\n"


def to_svg(dot_text: str) -> str:
    """The picture Graphviz lays out; GraphvizMissing when `dot` is not installed."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissing
    done = subprocess.run(
        [program, "-Tsvg"], input=dot_text, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"dot failed: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


def to_html(svg: str, title: str, diagram: Diagram, note: str = "") -> str:
    """A page that needs nothing but itself: the SVG inline, a legend, the violations
    listed with links to their files and lines."""
    start = svg.find("<svg")
    picture = svg[start:] if start >= 0 else svg
    rows = []
    for item in diagram.imports:
        if not item.codes:
            continue
        source = diagram.modules[item.importer].path
        link = html.escape(source.as_uri() + f"#L{item.line}")
        rows.append(
            f'<li><a href="{link}">{html.escape(f"{source}:{item.line}")}</a> '
            f"<b>{html.escape(' '.join(item.codes))}</b> "
            f"{html.escape(item.importer)} &rarr; {html.escape(item.imported)}</li>"
        )
    listing = "<ul>" + "".join(rows) + "</ul>" if rows else "<p>No violating imports.</p>"
    bands = ", ".join(html.escape(name) for name, _ in diagram.layers())
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #1f2328; }}
.legend span {{ display: inline-block; margin-right: 1.5em; }}
.bad {{ color: {RED}; font-weight: bold; }}
.picture {{ overflow: auto; border: 1px solid #d0d7de; padding: 0.5em; }}
li {{ margin: 0.2em 0; }}
</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="legend"><span>Bands, top to bottom: {bands}</span>
<span class="bad">red: an import a rule reports</span>
<span>{html.escape(note)}</span></p>
<div class="picture">
{picture}
</div>
<h2>Violating imports</h2>
{listing}
</body>
</html>
"""
