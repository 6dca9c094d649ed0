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
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from layercheck.model import Finding
    from layercheck.warm_record import Encoded

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
        files = _files(asked)
    except (ValueError, TypeError):  # a record of another shape, whatever its checksum
        return None
    if files is None:
        return None
    from layercheck.model import Finding

    findings = sorted((finding for name in files for finding in files[name]), key=Finding.sort_key)
    from layercheck.report import REPORTERS
    from layercheck.report.options import ReportOptions

    text = REPORTERS[request.output_format](
        findings, ReportOptions(cwd=Path(cwd), quiet=request.quiet)
    )
    if "\x1b" in text:
        return None  # click would strip the escape sequences it takes for styles
    sys.stdout.write(text)
    sys.stdout.flush()
    return 1 if findings and not request.exit_zero else 0


def _files(asked: Sequence[str]) -> dict[str, list[Finding]] | None:
    """The findings of each file a run on `asked` (absolute, normalised) checks, from the
    record of their one project; None when it does not answer for all of them."""
    from layercheck import warm_record

    warm = None
    chosen: dict[str, list[Finding]] = {}
    for path in asked:
        is_dir = os.path.isdir(path)
        found, _ = warm_record.lookup(Path(path if is_dir else os.path.dirname(path)))
        if found is None or not found.command or (warm is not None and found is not warm):
            return None
        warm = found
        if is_dir:
            if path not in warm.folders:
                return None
            prefix = path.rstrip(os.sep) + os.sep
            names = [name for name in warm.found if name.startswith(prefix)]
        elif path in warm.found:
            names = [path]
        else:
            return None
        for name in names:
            if name not in chosen:
                chosen[name] = _decoded(name, warm.found[name])
    return chosen


def _decoded(name: str, kept: list[Encoded]) -> list[Finding]:
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
