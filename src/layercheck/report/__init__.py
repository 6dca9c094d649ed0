"""Reporters: pure functions from findings to text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from layercheck.model import Finding
from layercheck.report import (
    azure,
    concise,
    full,
    github,
    gitlab,
    grouped,
    json_format,
    junit,
    pylint,
    rdjson,
    sarif,
)
from layercheck.report.options import ReportOptions

Reporter = Callable[[Sequence[Finding], ReportOptions], str]

REPORTERS: Final[dict[str, Reporter]] = {
    "concise": concise.render,
    "full": full.render,
    "json": json_format.render,
    "json-lines": json_format.render_lines,
    "github": github.render,
    "gitlab": gitlab.render,
    "junit": junit.render,
    "pylint": pylint.render,
    "sarif": sarif.render,
    "grouped": grouped.render,
    "rdjson": rdjson.render,
    "azure": azure.render,
}
