"""Which findings the user silenced: codes not selected for the file (selection and
per-file-ignores), and those under a `# noqa` comment or a file-level directive."""

from __future__ import annotations

from collections.abc import Iterable

from layercheck.config.settings import Settings
from layercheck.model import Finding
from layercheck.noqa import parse_noqa


def suppress(findings: Iterable[Finding], text: str | None, settings: Settings) -> list[Finding]:
    """Drop findings of codes not selected for the file, and those under a noqa comment."""
    kept: list[Finding] = []
    noqa = None
    ignored: tuple[str, ...] | None = None
    for finding in findings:
        if finding.code not in settings.active_codes:
            continue
        if ignored is None:
            ignored = settings.ignored_codes(finding.path)
        if any(finding.code.startswith(prefix) for prefix in ignored):
            continue
        if text is not None:
            if noqa is None:
                noqa = parse_noqa(text)
            if noqa.suppresses(finding.code, finding.noqa_row):
                continue
        kept.append(finding)
    return kept
