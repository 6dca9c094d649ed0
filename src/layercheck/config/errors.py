"""The error that a bad configuration file or value stops the run with (exit code 2)."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    def __init__(self, path: Path | None, key: str | None, reason: str) -> None:
        self.path, self.key, self.reason = path, key, reason
        where = str(path) if path is not None else "command line"
        super().__init__(f"{where}: {key}: {reason}" if key else f"{where}: {reason}")
