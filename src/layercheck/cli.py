"""The command line: options -> settings -> engine -> reporter -> exit code."""

from __future__ import annotations

import difflib
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import click

from layercheck import __version__
from layercheck.config.errors import ConfigError
from layercheck.config.options import TARGET_VERSIONS
from layercheck.config.selection import SelectorError
from layercheck.config.settings import Overrides
from layercheck.config.workspace import Workspace
from layercheck.discovery import MissingPathError
from layercheck.engine import Engine
from layercheck.explain import explain, list_rules
from layercheck.model import internal_error
from layercheck.report import REPORTERS
from layercheck.report.options import ReportOptions
from layercheck.rules import ALL_RULES, BY_CODE, BY_NAME, CATALOG, lookup
from layercheck.source import split_lines

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(
        part.strip().upper() for value in values for part in value.split(",") if part.strip()
    )


def _fail(message: str) -> None:
    click.echo(f"layercheck: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _error(message: str) -> None:
    """An internal error that does not stop the run (one file, one worker)."""
    click.echo(f"layercheck: error: {message}", err=True)


def _warn(message: str) -> None:
    click.echo(f"layercheck: warning: {message}", err=True)


def _show_settings(workspace: Workspace, paths: Sequence[Path]) -> None:
    target = (paths[0] if paths else Path(".")).absolute()
    settings = workspace.settings_for(target)
    click.echo(f"Resolved settings for: {target}")
    for key, value in settings.describe():
        click.echo(f"{key} = {json.dumps(value)}")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
# `readable=False`: an unreadable file is an LC002 finding, not a usage error.
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated).")
@click.option("--extend-select", multiple=True, help="Rule codes or prefixes to add.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--preview/--no-preview", default=None, help="Enable preview rules.")
@click.option(
    "--output-format",
    type=click.Choice(sorted(REPORTERS)),
    default="concise",
    show_default=True,
    help="How findings are printed.",
)
@click.option("--statistics", is_flag=True, help="Print counts per rule instead of findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option(
    "--config", "config_file", type=click.Path(path_type=Path), help="Use this config file only."
)
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("--show-settings", is_flag=True, help="Print the resolved settings and exit.")
@click.option("--show-files", is_flag=True, help="Print each file with its layer and exit.")
@click.option("--target-version", type=click.Choice(TARGET_VERSIONS))
@click.option("--exclude", multiple=True, help="Glob patterns to exclude (replaces defaults).")
@click.option("--extend-exclude", multiple=True, help="Glob patterns to exclude as well.")
@click.option("--force-exclude", is_flag=True, help="Apply excludes to explicit paths too.")
@click.option(
    "--respect-gitignore/--no-respect-gitignore",
    default=None,
    help="Skip the files .gitignore, .ignore and .git/info/exclude ignore (default: on).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the facts cache.")
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    help="Keep the facts cache here (replaces the config's cache-dir).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes (default: the cores; 1 checks in this process).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option("-v", "--verbose", is_flag=True, help="Print what layercheck does on stderr.")
@click.option("--explain", "explain_code", metavar="CODE", help="Print a rule's docs and exit.")
@click.option("--list-rules", "list_rules_flag", is_flag=True, help="List every rule and exit.")
@click.option(
    "--stdin-filename",
    type=click.Path(path_type=Path),
    help="The file name to give the source read from stdin (pass `-` as the path).",
)
@click.version_option(
    __version__, "--version", prog_name="layercheck", message="%(prog)s %(version)s"
)
def main(
    paths: tuple[Path, ...],
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    preview: bool | None,
    output_format: str,
    statistics: bool,
    exit_zero: bool,
    config_file: Path | None,
    isolated: bool,
    show_settings: bool,
    show_files: bool,
    target_version: str | None,
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    force_exclude: bool,
    respect_gitignore: bool | None,
    no_cache: bool,
    cache_dir: Path | None,
    jobs: int | None,
    quiet: bool,
    verbose: bool,
    explain_code: str | None,
    list_rules_flag: bool,
    stdin_filename: Path | None,
) -> None:
    """Check Python web backends for layer and framework-usage violations."""
    if explain_code is not None:
        rule = lookup(explain_code)
        if rule is None:
            # Codes that differ by a digit are different rules: suggest only names.
            close = difflib.get_close_matches(explain_code.lower(), list(BY_NAME), n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`?" if close else "see --list-rules"
            _fail(f"unknown rule `{explain_code}`; {hint}")
        else:
            click.echo(explain(rule), nl=False)
        return
    if list_rules_flag:
        click.echo(list_rules(ALL_RULES), nl=False)
        return
    if config_file is not None and not config_file.is_file():
        _fail(f"{config_file}: config file not found")

    overrides = Overrides(
        select=_codes(select) if select else None,
        extend_select=_codes(extend_select),
        ignore=_codes(ignore),
        preview=preview,
        target_version=target_version,
        exclude=tuple(exclude) if exclude else None,
        extend_exclude=tuple(extend_exclude),
        force_exclude=force_exclude,
        respect_gitignore=respect_gitignore,
        no_cache=no_cache,
        cache_dir=cache_dir.absolute() if cache_dir is not None else None,
    )
    started = time.perf_counter()
    stage = ["reading the configuration"]
    try:
        workspace = Workspace(CATALOG, overrides, config_file=config_file, isolated=isolated)
        _run(
            workspace,
            paths,
            output_format,
            statistics,
            exit_zero,
            show_settings,
            show_files,
            quiet,
            verbose,
            stdin_filename,
            started,
            stage,
            jobs,
        )
    except ConfigError as exc:
        _fail(str(exc))
    except SelectorError as exc:
        _fail(str(exc))
    except MissingPathError as exc:
        _fail(str(exc))
    except Exception as exc:  # a bug: exit 2 with one line, never a traceback
        _fail(internal_error(stage[0], exc))


def _run(
    workspace: Workspace,
    paths: tuple[Path, ...],
    output_format: str,
    statistics: bool,
    exit_zero: bool,
    show_settings: bool,
    show_files: bool,
    quiet: bool,
    verbose: bool,
    stdin_filename: Path | None,
    started: float,
    stage: list[str],
    jobs: int | None = None,
) -> None:
    """`stage`: what is being done, kept up to date for the one line of an internal
    error."""
    if show_settings:
        _show_settings(workspace, paths)
        return
    engine = Engine(workspace, warn=_warn, error=_error, jobs=jobs)
    stdin = None
    if paths == (Path("-"),) or (stdin_filename is not None and not paths):
        name = stdin_filename or Path("stdin.py")
        stdin = (name, sys.stdin.buffer.read())
        paths = ()
    elif Path("-") in paths:
        _fail("`-` (stdin) cannot be combined with other paths")
    stage[0] = "checking the files"
    result = engine.check(list(paths) or [Path(".")], stdin=stdin)
    stage[0] = f"the {output_format} reporter"
    if verbose:
        elapsed = time.perf_counter() - started
        click.echo(
            f"layercheck: checked {len(result.files)} files in {elapsed:.2f}s, "
            f"{len(result.findings)} findings",
            err=True,
        )
    if show_files:
        cwd = workspace.cwd
        for path in sorted(result.files):
            layer = result.layers.get(path)
            try:
                shown = path.relative_to(cwd).as_posix()
            except ValueError:
                shown = str(path)
            click.echo(f"{shown}\t{layer.value if layer else '-'}")
        return
    findings = result.findings
    if statistics:
        counts = Counter(finding.code for finding in findings)
        width = max((len(str(n)) for n in counts.values()), default=1)
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            click.echo(f"{count:>{width}}\t{code}\t{BY_CODE[code].meta.name}")
    else:
        sources = {path: split_lines(text) for path, text in result.sources.items()}
        options = ReportOptions(cwd=workspace.cwd, quiet=quiet, sources=sources)
        click.echo(REPORTERS[output_format](findings, options), nl=False)
    if result.internal_errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if findings and not exit_zero else EXIT_CLEAN)
