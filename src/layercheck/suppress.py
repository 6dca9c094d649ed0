"""Which findings the user silenced: codes not selected for the file (selection and
per-file-ignores), and those under a `# noqa` comment or a file-level directive; and, as
LC003, the noqa codes that silenced nothing (only here is it known which were used)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from layercheck.config.settings import Settings
from layercheck.model import Applicability, Edit, Finding, Fix, Location
from layercheck.noqa import Directive, NoqaMap, parse_noqa
from layercheck.source import split_lines

UNUSED_NOQA: Final = "LC003"
UNUSED_MESSAGE: Final = "Unused {blanket}`noqa` directive{detail}"
# A file that could not be read or parsed was not checked: every noqa would look unused.
_UNCHECKED: Final = frozenset({"LC001", "LC002"})
_OURS: Final = "LC"


def suppress(
    findings: Iterable[Finding],
    text: str | None,
    settings: Settings,
    *,
    path: Path | None = None,
) -> list[Finding]:
    """Drop findings of codes not selected for the file, and those under a noqa comment.
    With `path` (the file was checked by every active rule, without an internal error),
    report its unused noqa codes too (LC003) when that rule is active."""
    kept: list[Finding] = []
    noqa = None
    ignored: tuple[str, ...] | None = None
    used: dict[Directive, set[str]] = {}
    checked = path is not None
    for finding in findings:
        if finding.code in _UNCHECKED:
            checked = False
        if finding.code not in settings.active_codes:
            continue
        if ignored is None:
            ignored = settings.ignored_codes(finding.path)
        if any(finding.code.startswith(prefix) for prefix in ignored):
            continue
        if text is not None and not settings.ignore_noqa:
            if noqa is None:
                noqa = parse_noqa(text)
            match = noqa.used_by(finding.code, finding.noqa_row)
            if match is not None:
                used.setdefault(match[0], set()).add(match[1])
                continue
        kept.append(finding)
    checked = checked and not settings.ignore_noqa
    if checked and path is not None and text is not None and "noqa" in text.lower():
        kept.extend(_unused(path, text, noqa or parse_noqa(text), used, settings))
    if settings.messages:
        kept = [_with_message(finding, settings) for finding in kept]
    return kept


def _with_message(finding: Finding, settings: Settings) -> Finding:
    """The finding with the team's text for its rule (the `messages` table) appended."""
    extra = settings.message_for(finding.code)
    if extra is None:
        return finding
    return dataclasses.replace(finding, message=f"{finding.message}; {extra}")


def _unused(
    path: Path, text: str, noqa: NoqaMap, used: dict[Directive, set[str]], settings: Settings
) -> list[Finding]:
    active = settings.active_codes
    ignored = settings.ignored_codes(path)
    if UNUSED_NOQA not in active or any(UNUSED_NOQA.startswith(p) for p in ignored):
        return []
    enabled = [code for code in active if not any(code.startswith(prefix) for prefix in ignored)]
    every_default = set(settings.catalog.codes) - settings.catalog.preview <= set(enabled)
    lines = split_lines(text)
    found: list[Finding] = []
    for directive in (*noqa.file_directives, *noqa.directives.values()):
        uses = used.get(directive, set())
        if directive.codes is None:
            # A blanket noqa comment serves every tool (flake8's F401 on re-exports, most
            # often), so only layercheck's own file-level one is judged: when every rule
            # ran and it silenced nothing.
            if not directive.file_level or uses or not every_default:
                continue
            if _silenced(noqa, directive):
                continue
            found.append(_finding(path, directive, lines, (), blanket=True))
            continue
        unknown: list[str] = []
        unused: list[str] = []
        for written in directive.codes:
            if not written.startswith(_OURS) or written in uses or written == UNUSED_NOQA:
                continue
            if not any(code.startswith(written) for code in settings.catalog.codes):
                unknown.append(written)
            elif any(code.startswith(written) for code in enabled):
                unused.append(written)
        if not (unknown or unused):
            continue
        if _silenced(noqa, directive):
            continue
        found.append(_finding(path, directive, lines, (*unused, *unknown), unknown=unknown))
    return found


def _silenced(noqa: NoqaMap, directive: Directive) -> bool:
    """An LC003 finding on `directive` is silenced by a file-level directive, or by the
    directive itself naming LC003 (a blanket one never silences its own report)."""
    for other in noqa.file_directives:
        if other is not directive and other.names(UNUSED_NOQA) is not None:
            return True
    return directive.codes is not None and directive.names(UNUSED_NOQA) is not None


def _finding(
    path: Path,
    directive: Directive,
    lines: tuple[str, ...],
    codes: tuple[str, ...],
    *,
    blanket: bool = False,
    unknown: Iterable[str] = (),
) -> Finding:
    comment = directive.comment
    unknown = tuple(unknown)
    unused = tuple(code for code in codes if code not in unknown)
    parts = []
    if unused:
        parts.append("unused: " + ", ".join(f"`{code}`" for code in unused))
    if unknown:
        parts.append("unknown: " + ", ".join(f"`{code}`" for code in unknown))
    detail = f" ({'; '.join(parts)})" if parts else ""
    message = UNUSED_MESSAGE.format(blanket="blanket " if blanket else "", detail=detail)
    start = Location(directive.row, comment.column + directive.start + 1)
    end = Location(directive.row, comment.column + directive.end + 1)
    return Finding(
        code=UNUSED_NOQA,
        message=message,
        path=path,
        start=start,
        end=end,
        fix=removal(directive, lines, codes),
        noqa_row=directive.row,
    )


def removal(directive: Directive, lines: tuple[str, ...], codes: tuple[str, ...]) -> Fix:
    """Remove `codes` from the directive, or the directive when none is left: the whole
    comment (and the spaces before it) when the directive starts it, the whole line when
    nothing else is on it."""
    comment = directive.comment
    row = directive.row
    line = lines[row - 1] if 0 < row <= len(lines) else ""
    left = [code for code in directive.codes or () if code not in codes]
    if left:
        start = comment.column + directive.codes_start
        end = comment.column + directive.codes_end
        edit = Edit(Location(row, start + 1), Location(row, end + 1), ", ".join(left))
        return Fix(Applicability.SAFE, "Remove unused codes from the `noqa` directive", (edit,))
    applicability = Applicability.SAFE
    title = "Remove unused `noqa` directive"
    if directive.start == 0:
        before = line[: comment.column].rstrip()
        if not before:
            whole = Edit(Location(row, 1), Location(row + 1, 1), "")
            return Fix(applicability, title, (whole,))
        edit = Edit(Location(row, len(before) + 1), Location(row, len(line) + 1), "")
        return Fix(applicability, title, (edit,))
    # Another tool's comment before the directive stays.
    kept = comment.text[: directive.start].rstrip()
    end = comment.column + len(comment.text)
    edit = Edit(Location(row, comment.column + len(kept) + 1), Location(row, end + 1), "")
    return Fix(applicability, title, (edit,))
