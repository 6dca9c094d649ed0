"""The command line's warm path: when nothing a run rests on changed since the warm record
(warm_record.py) was written, print the findings of the files asked for from it, before
click, the settings, the rules or the engine are imported.

It answers only for what it can print exactly as a run would: the arguments are paths
and the few options below (any other option changes the settings or what is printed);
each path is a file the record holds or a folder its walk listed (a file the walk left
out, named, would be checked all the same); the record says the command line may print
from it (warm_record.Warm.command); and the format shows nothing but the findings (the
formats that print source lines or read the environment take the ordinary path). Else
it says nothing and the ordinary path runs, which writes the record again after a run on
a folder (warm_write.after_run)."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
"""`typing.TYPE_CHECKING`, which type checkers take for true: this module imports only
`os` and `sys` (typing, pathlib, the report package and the model's dataclasses cost a
warm start more than loading the record)."""
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Final

    from layercheck.model import Finding
    from layercheck.warm_record import Compact, Encoded

FORMATS: Final = frozenset(
    {"concise", "json", "json-lines", "github", "pylint", "azure", "grouped", "junit", "rdjson"}
)
"""The output formats whose text depends on the findings and the working folder only."""
_FLAGS: Final = {"-q": "quiet", "--quiet": "quiet", "--exit-zero": "exit_zero"}


class _Request:
    def __init__(self) -> None:
        self.paths: list[str] = []
        self.output_format = "concise"
        self.quiet = False
        self.exit_zero = False


def _parse(args: Sequence[str]) -> _Request | None:
    """The request, as click would parse it; None when it holds anything else."""
    request = _Request()
    args = list(args)
    if args and args[0] in ("server", "graph"):
        return None
    if args and args[0] == "check" and not os.path.lexists("check"):
        args = args[1:]
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            request.paths.extend(rest)
            break
        if arg in _FLAGS:
            setattr(request, _FLAGS[arg], True)
        elif arg == "--output-format":
            request.output_format = next(rest, "")
        elif arg.startswith("--output-format="):
            request.output_format = arg.partition("=")[2]
        elif arg.startswith("-"):
            return None
        else:
            request.paths.append(arg)
    if request.output_format not in FORMATS or "" in request.paths:
        return None
    return request


def answer(args: Sequence[str]) -> int | None:
    """Print the report of `layercheck ARGS` from the warm record and give its exit code;
    None, having printed nothing, when the record does not answer for it."""
    request = _parse(args)
    if request is None:
        return None
    cwd = os.getcwd()
    asked = [os.path.normpath(os.path.join(cwd, path)) for path in request.paths or ["."]]
    try:
        held = _files(asked)
        if held is None:
            return None
        files, strings = held
        if request.output_format == "concise":
            printed = _concise(files, strings, cwd, request.quiet)
        else:
            printed = _report(files, strings, cwd, request.output_format, request.quiet)
    except (ValueError, TypeError, IndexError):  # a record of another shape
        return None
    if printed is None:
        return None
    text, count = printed
    if "\x1b" in text:
        return None  # click would strip the escape sequences it takes for styles
    sys.stdout.write(text)
    sys.stdout.flush()
    return 1 if count and not request.exit_zero else 0


def _files(asked: Sequence[str]) -> tuple[dict[str, list[Compact]], list[str]] | None:
    """The findings of each file with any that a run on `asked` (absolute, normalised)
    checks, from the record of their one project, and the record's table of strings;
    None when it does not answer for all of them."""
    from layercheck import warm_record

    warm = None
    chosen: dict[str, list[Compact]] = {}
    for path in asked:
        is_dir = os.path.isdir(path)
        folder = path if is_dir else os.path.dirname(path)
        found, _ = warm_record.lookup_folder(folder, () if is_dir else (path,))
        if found is None or not found.command or (warm is not None and found is not warm):
            return None
        warm = found
        if is_dir:
            if path not in warm.folders:
                return None
            prefix = path.rstrip(os.sep) + os.sep
            for name, items in warm.found.items():
                if name.startswith(prefix):
                    chosen[name] = items
        elif (held := warm.held(path)) is not None:
            chosen[path] = held
        elif warm.findings(path) is None:
            return None
    return chosen, warm.strings if warm is not None else []


def _concise(
    files: dict[str, list[Compact]], strings: list[str], cwd: str, quiet: bool
) -> tuple[str, int] | None:
    """The concise report, made from the record's values: building a finding of each
    was most of a warm run of a large project. None when a value is not as recorded."""
    from layercheck.headlines import display_name, headline_of, summary_of

    lines: list[str] = []
    available = hidden = 0
    for name in sorted(files):
        shown = display_name(name, cwd)
        for item in files[name]:
            # well_formed, inline: called for each of 150,000 findings it was a tenth of
            # the run.
            if type(item) is not list or len(item) != 9:
                return None
            code, message, row, column, end_row, end_column, _, fix, _ = item
            if not type(code) is type(message) is type(row) is int:
                return None
            if not type(column) is type(end_row) is type(end_column) is int:
                return None
            mark = False
            if fix is not None:
                applicability = fix[0]
                if applicability not in ("safe", "unsafe"):
                    return None
                if len(fix) > 2:  # it has edits
                    mark = applicability == "safe"
                    available += mark
                    hidden += not mark
            line = headline_of(shown, row, column, strings[code], mark, strings[message])
            lines.append(line + "\n")
    count = len(lines)
    if not quiet:
        lines.append(summary_of(count, available, hidden))
    return "".join(lines), count


def _report(
    files: dict[str, list[Compact]], strings: list[str], cwd: str, output_format: str, quiet: bool
) -> tuple[str, int] | None:
    """Any other format, from the findings rebuilt."""
    from pathlib import Path
    from typing import cast

    from layercheck.report import REPORTERS
    from layercheck.report.options import ReportOptions
    from layercheck.warm_record import resolved

    findings: list[Finding] = []
    for name in sorted(files):
        kept = [resolved(item, strings) for item in files[name]]
        if None in kept:
            return None
        findings.extend(_decoded(name, cast("list[Encoded]", kept)))
    text = REPORTERS[output_format](findings, ReportOptions(cwd=Path(cwd), quiet=quiet))
    return text, len(findings)


def _decoded(name: str, kept: list[Encoded]) -> list[Finding]:
    from pathlib import Path

    from layercheck.model import Applicability, ChainLink, Edit, Finding, Fix, Location

    path = Path(name)
    found: list[Finding] = []
    for code, message, row, column, end_row, end_column, noqa_row, fix, chain in kept:
        repair = None
        if fix is not None:
            applicability, fix_message, edits = fix
            repair = Fix(
                Applicability(applicability),
                fix_message,
                tuple(
                    Edit(Location(start_row, start_column), Location(stop_row, stop_column), text)
                    for start_row, start_column, stop_row, stop_column, text in edits
                ),
            )
        found.append(
            Finding(
                code,
                message,
                path,
                Location(row, column),
                Location(end_row, end_column),
                repair,
                noqa_row,
                tuple(ChainLink(*link) for link in chain),
            )
        )
    return found
