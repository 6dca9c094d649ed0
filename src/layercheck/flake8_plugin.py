"""flake8 entry point (`LC`): the same engine and configuration, on flake8's own tree.

flake8 imports this module in every run, whatever it checks: it imports only the warm
path (flake8_warm.py, the standard library) and leaves the engine to the first file the
warm findings do not answer for."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from layercheck import __version__, flake8_warm

# Not a rule: flake8's stand-in for the CLI's exit code 2 (a bad configuration, or an
# internal error).
CONFIG_ERROR_CODE = "LC000"


class LayercheckPlugin:
    """One file of flake8's run; a failure becomes an LC000 finding, never an exception."""

    name: ClassVar[str] = "layercheck"
    version: ClassVar[str] = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: list[str]) -> None:
        self.tree = tree
        self.filename = filename
        self.lines = lines

    def run(self) -> Iterator[tuple[int, int, str, type[LayercheckPlugin]]]:
        if not isinstance(self.tree, ast.Module) or self.filename in {"-", "stdin"}:
            return
        path = Path(os.path.normpath(Path(self.filename).absolute()))
        warm, kept = flake8_warm.lookup(path.parent)
        found = flake8_warm.findings(warm, str(path)) if warm is not None else None
        if found is None:
            found = self._findings(path, write_warm=kept is None or warm is None)
        for row, column, message in found:
            yield row, column, message, type(self)

    def _findings(self, path: Path, write_warm: bool) -> list[flake8_warm.Printed]:
        assert isinstance(self.tree, ast.Module)
        from layercheck.config.errors import ConfigError
        from layercheck.engine import failed_in
        from layercheck.model import internal_error

        # flake8 prints a plugin's exception as a traceback and stops: a bad config (the
        # user's input) and a bug of ours each become one finding on line 1 instead.
        try:
            from layercheck import flake8_project

            found = flake8_project.findings(path, self.tree, self.lines, write_warm)
        except ConfigError as exc:
            return [(1, 0, f"{CONFIG_ERROR_CODE} invalid configuration: {exc}")]
        except Exception as exc:
            message = internal_error(failed_in(exc, path), exc)
            return [(1, 0, f"{CONFIG_ERROR_CODE} {message}")]
        return [flake8_project.printed(finding) for finding in found]
