"""Reporters: findings to text, written a piece at a time as it is made.

A report of a large project is long (30,000 files: about 14 MiB of text); made whole
before it is written, it was the largest thing the parent held at the end of a run. So
each format writes its text to a callable in pieces (a finding or a file at a time, each
piece ending a line, so that what a terminal-less stdout strips of escape sequences is
the same as for the whole text), and `REPORTERS` joins the pieces where a caller wants
one string."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Final

from layercheck.model import Finding
from layercheck.report.options import ReportOptions, Write

Writer = Callable[[Sequence[Finding], ReportOptions, Write], None]
Reporter = Callable[[Sequence[Finding], ReportOptions], str]


def _lazy(module: str, function: str = "write") -> Writer:
    """The writer `function` of `layercheck.report.<module>`, imported when it first
    reports: a run prints one format, and the command line's warm path imports this
    package (SARIF alone would import every rule for its docs, JUnit an XML library)."""

    def write(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
        found: Writer = getattr(importlib.import_module(f"{__name__}.{module}"), function)
        found(findings, options, out)

    return write


def _joined(writer: Writer) -> Reporter:
    def render(findings: Sequence[Finding], options: ReportOptions) -> str:
        pieces: list[str] = []
        writer(findings, options, pieces.append)
        return "".join(pieces)

    return render


WRITERS: Final[dict[str, Writer]] = {
    "concise": _lazy("concise"),
    "full": _lazy("full"),
    "json": _lazy("json_format"),
    "json-lines": _lazy("json_format", "write_lines"),
    "github": _lazy("github"),
    "gitlab": _lazy("gitlab"),
    "junit": _lazy("junit"),
    "pylint": _lazy("pylint"),
    "sarif": _lazy("sarif"),
    "grouped": _lazy("grouped"),
    "rdjson": _lazy("rdjson"),
    "azure": _lazy("azure"),
}
REPORTERS: Final[dict[str, Reporter]] = {name: _joined(w) for name, w in WRITERS.items()}
"""Each format's whole text as one string (the warm path's short reports, tests)."""
