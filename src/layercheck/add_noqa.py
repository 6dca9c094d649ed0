"""`--add-noqa`: a `# noqa: LCxxx` on each reported line, merged into a noqa comment the
line already has, so that the next run reports nothing there (ruff's `--add-noqa`)."""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

from layercheck.model import Finding
from layercheck.noqa import Comment, directive, scan
from layercheck.source import DecodeError, decode_source
from layercheck.writeback import write_fixed

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

# A file that cannot be decoded or parsed is not edited: its comments cannot be told from
# its strings. An unused noqa is removed, not silenced.
SKIPPED: Final = frozenset({"LC001", "LC002", "LC003"})
_LINE_RE: Final = re.compile(r"([^\r\n]*)(\r\n|\r|\n|$)")


def _lines(text: str) -> list[tuple[str, str]]:
    """(content, line ending) per row, numbered as Python numbers rows."""
    found: list[tuple[str, str]] = []
    for match in _LINE_RE.finditer(text):
        content, ending = match.group(1), match.group(2)
        if not content and not ending and match.start() == len(text):
            break
        found.append((content, ending))
    return found


def _merged(content: str, comment: Comment, missing: list[str]) -> str | None:
    """The line with `missing` codes added to its noqa comment; None when the comment
    holds no noqa directive to merge into."""
    found = directive(comment)
    if found is None or found.file_level:
        return None
    assert found.codes is not None  # a blanket noqa silences everything: nothing missing
    text = comment.text
    new = text[: found.codes_end] + ", " + ", ".join(missing) + text[found.codes_end :]
    end = comment.column + len(text)
    return content[: comment.column] + new + content[end:]


def edit_text(text: str, codes_by_row: dict[int, set[str]], reason: str = "") -> tuple[str, int]:
    """The text with the codes added on their rows (or where a comment for each row
    belongs), and how many lines changed."""
    found = scan(text)
    wanted: dict[int, set[str]] = defaultdict(set)
    for row, codes in codes_by_row.items():
        wanted[found.comment_row(row)].update(codes)
    lines = _lines(text)
    changed = 0
    for row, codes in sorted(wanted.items()):
        if not 0 < row <= len(lines):
            continue
        content, ending = lines[row - 1]
        comment = found.comments.get(row)
        line_directive = directive(comment) if comment is not None else None
        if line_directive is not None and not line_directive.file_level:
            missing = sorted(code for code in codes if line_directive.names(code) is None)
            if not missing:
                continue
            assert comment is not None
            merged = _merged(content, comment, missing)
            assert merged is not None
            new = merged
        else:
            suffix = f" {reason}" if reason else ""
            code = content.rstrip(" \t")
            new = f"{code}  # noqa: {', '.join(sorted(codes))}{suffix}"
        lines[row - 1] = (new, ending)
        changed += 1
    return "".join(content + ending for content, ending in lines), changed


def _parses(path: Path, text: str) -> bool:
    """Python parses; a configuration file's findings (LC004) sit in TOML."""
    try:
        if path.suffix == ".toml":
            tomllib.loads(text)
        else:
            ast.parse(text)
    except (SyntaxError, ValueError):  # TOMLDecodeError is a ValueError
        return False
    return True


def add_noqa(
    findings: Iterable[Finding], reason: str = "", warn: Callable[[str], None] | None = None
) -> int:
    """Edit the files of the findings in place; the number of lines changed. A file that
    cannot be read again, changed on disk meanwhile, or would not parse is left as it is
    (`warn` hears why)."""
    by_file: dict[Path, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for finding in findings:
        if finding.code in SKIPPED:
            continue
        row = finding.noqa_row if finding.noqa_row is not None else finding.start.row
        by_file[finding.path][row].add(finding.code)
    total = 0
    for path, codes_by_row in sorted(by_file.items()):
        try:
            data = path.read_bytes()
            text = decode_source(data)
        except (OSError, DecodeError) as exc:
            problem: str | None = f"{path}: cannot be read again ({exc}); no noqa added"
        else:
            new, changed = edit_text(text, codes_by_row, reason)
            if not changed:
                continue
            if not _parses(path, new):
                problem = f"{path}: would not parse with the noqa comments; not changed"
            else:
                problem = write_fixed(path, data, new)
                if problem is None:
                    total += changed
        if problem is not None and warn is not None:
            warn(problem)
    return total
