from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from layercheck.model import Finding
from layercheck.report._common import headline, summary

if TYPE_CHECKING:
    from layercheck.report import ReportOptions


def render(findings: Sequence[Finding], options: ReportOptions) -> str:
    lines = "".join(headline(finding, options.cwd) + "\n" for finding in findings)
    return lines if options.quiet else lines + summary(findings)
