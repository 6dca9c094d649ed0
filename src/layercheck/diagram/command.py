"""`layercheck graph [PATH]`: the layers of the project and the imports between them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from layercheck.config.errors import ConfigError
from layercheck.config.workspace import Workspace
from layercheck.diagram.build import build
from layercheck.diagram.formats import (
    DRAWN_MODULES,
    FORMATS,
    GraphvizMissing,
    draws_all,
    to_dot,
    to_html,
    to_json,
    to_mermaid,
    to_svg,
)
from layercheck.discovery import MissingPathError
from layercheck.model import internal_error
from layercheck.rules import CATALOG


def _fail(message: str) -> None:
    click.echo(f"layercheck: error: {message}", err=True)
    sys.exit(2)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="mermaid",
    show_default=True,
    help="mermaid, dot and json are text; svg and html are laid out by Graphviz.",
)
@click.option("--modules", is_flag=True, help="A box per module, in its layer's band.")
@click.option(
    "--all-imports",
    is_flag=True,
    help=f"With --modules, draw every import even past {DRAWN_MODULES} modules "
    "(then only the reported ones are drawn).",
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the graph to this file instead of stdout.",
)
def graph(
    paths: tuple[Path, ...],
    output_format: str,
    modules: bool,
    all_imports: bool,
    output_file: Path | None,
) -> None:
    """Draw the project's layers and the imports between them; the imports a rule
    reports are red, with the rules' codes."""
    try:
        diagram = build(list(paths) or [Path(".")], Workspace(CATALOG))
    except (ConfigError, MissingPathError) as exc:
        _fail(str(exc))
    except Exception as exc:  # a bug: one line, never a traceback
        _fail(internal_error("drawing the graph", exc))
    if output_format == "json":
        text = to_json(diagram, modules)
    elif output_format == "mermaid":
        text = to_mermaid(diagram, modules, all_imports)
    else:
        text = to_dot(diagram, modules, all_imports)
        if output_format in {"svg", "html"}:
            try:
                svg = to_svg(text)
            except GraphvizMissing:
                click.echo(
                    "layercheck: error: --format svg and html need Graphviz's `dot` "
                    "(e.g. `apt install graphviz`, `brew install graphviz`); "
                    "the dot text follows on stdout",
                    err=True,
                )
                click.echo(text, nl=False)
                sys.exit(2)
            except (OSError, RuntimeError) as exc:
                _fail(f"Graphviz: {exc}")
            title = "layercheck: " + ", ".join(str(path) for path in paths or (Path("."),))
            note = ""
            if modules and not draws_all(diagram, all_imports):
                note = (
                    f"{len(diagram.modules)} modules: only the imports a rule reports are "
                    "drawn (--all-imports draws every one)"
                )
            text = svg if output_format == "svg" else to_html(svg, title, diagram, note)
    if output_file is None:
        click.echo(text, nl=False)
        return
    try:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        output_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"{output_file}: cannot write the graph: {exc.strerror}")
