"""`--watch`: check, then check again whenever a Python, config, lock or ignore file
under the paths changes, as `ruff check --watch` does. The caches make each run re-read
only what changed."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from layercheck.config.files import settings_file


def relevant(path: str) -> bool:
    """A change that can change a finding: a source file, or one that shapes settings."""
    return path.endswith((".py", ".pyi")) or settings_file(Path(path))


def watch(paths: Sequence[Path], run: Callable[[], None], clear: bool) -> None:
    """Run, then run again after each batch of relevant changes, until interrupted."""
    try:
        from watchfiles import watch as changes
    except ImportError:
        click.echo(
            "layercheck: error: --watch needs `watchfiles`: pip install 'layercheck[watch]'",
            err=True,
        )
        sys.exit(2)

    def stamp() -> str:
        return time.strftime("%H:%M:%S")

    click.echo(f"[{stamp()}] Starting linter in watch mode...", err=True)
    run()
    click.echo(f"[{stamp()}] Watching for file changes.", err=True)
    roots = [str(path) for path in paths if path.exists()]
    try:
        for _ in changes(
            *roots,
            watch_filter=lambda _change, path: relevant(path),
            raise_interrupt=False,
        ):
            if clear:
                click.clear()
            click.echo(f"[{stamp()}] File change detected...", err=True)
            run()
            click.echo(f"[{stamp()}] Watching for file changes.", err=True)
    except KeyboardInterrupt:
        return
