"""Reporters: pure functions from findings to text."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Final

from layercheck.model import Finding
from layercheck.report.options import ReportOptions

Reporter = Callable[[Sequence[Finding], ReportOptions], str]


def _lazy(module: str, function: str = "render") -> Reporter:
    """The reporter `function` of `layercheck.report.<module>`, imported when it first
    reports: a run prints one format, and the command line's warm path imports this
    package (SARIF alone would import every rule for its docs, JUnit an XML library)."""

    def render(findings: Sequence[Finding], options: ReportOptions) -> str:
        found: Reporter = getattr(importlib.import_module(f"{__name__}.{module}"), function)
        return found(findings, options)

    return render


REPORTERS: Final[dict[str, Reporter]] = {
    "concise": _lazy("concise"),
    "full": _lazy("full"),
    "json": _lazy("json_format"),
    "json-lines": _lazy("json_format", "render_lines"),
    "github": _lazy("github"),
    "gitlab": _lazy("gitlab"),
    "junit": _lazy("junit"),
    "pylint": _lazy("pylint"),
    "sarif": _lazy("sarif"),
    "grouped": _lazy("grouped"),
    "rdjson": _lazy("rdjson"),
    "azure": _lazy("azure"),
}
