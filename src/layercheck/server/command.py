"""`layercheck server [--stdio]`: the command that starts the language server."""

from __future__ import annotations

import sys

import click


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--stdio", is_flag=True, help="Speak over stdin/stdout (the only transport).")
def server(stdio: bool) -> None:
    """Run layercheck as a language server: diagnostics as you type, quick fixes."""
    try:
        from layercheck.server.app import serve
    except ImportError as exc:
        missing = exc.name or "pygls"
        click.echo(
            f"layercheck: error: the language server needs `{missing}`: "
            "pip install 'layercheck[server]'",
            err=True,
        )
        sys.exit(2)
    serve()
