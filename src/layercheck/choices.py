"""The values the command line's choice options accept, in a module that imports nothing:
`--help` and `--version` must not pay for the reporters or the configuration rows they
name. `layercheck.report.REPORTERS` and the `target-version` row use these same names
(tests/test_lazy_imports.py checks the reporters)."""

from __future__ import annotations

from typing import Final

OUTPUT_FORMATS: Final = (
    "concise",
    "full",
    "json",
    "json-lines",
    "github",
    "gitlab",
    "junit",
    "pylint",
    "sarif",
    "grouped",
    "rdjson",
    "azure",
)

# Older targets are accepted: layercheck parses with the Python it runs on (3.10+), but
# version-dependent rules (LC604's `X | None`) must know the project's real floor.
TARGET_VERSIONS: Final = (
    "py37",
    "py38",
    "py39",
    "py310",
    "py311",
    "py312",
    "py313",
    "py314",
)
