"""The `layercheck` command: the warm path (cli_warm.py) when it answers, else the
command line (cli.py), which imports click and the rest only then."""

from __future__ import annotations

import sys


def main() -> None:
    from layercheck.cli_warm import answer

    code = answer(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from layercheck.cli import main as command

    command()
