"""The command line: options -> settings -> engine -> reporter -> exit code."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn

import click

from layercheck import __version__
from layercheck.choices import OUTPUT_FORMATS, TARGET_VERSIONS

# Only what defining the command needs is imported here: `--version` and `--help` must not
# pay for the engine, the rules and the reporters (tests/test_lazy_imports.py). Each function
# imports what it uses.
if TYPE_CHECKING:
    from layercheck.baseline import Applied
    from layercheck.config.settings import Settings
    from layercheck.config.workspace import Workspace
    from layercheck.engine import CheckResult, Engine
    from layercheck.fixes.run import FileFix
    from layercheck.model import Finding
    from layercheck.report.options import Write

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Adoption:
    """The options for adopting layercheck on an existing codebase."""

    add_noqa_reason: str | None = None
    """`--add-noqa[=REASON]`: None when not given."""
    write_baseline: Path | None = None
    baseline: Path | None = None
    baseline_strict: bool = False
    output_file: Path | None = None


def _codes(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(
        part.strip().upper() for value in values for part in value.split(",") if part.strip()
    )


def _fail(message: str) -> NoReturn:
    click.echo(f"layercheck: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _error(message: str) -> None:
    """An internal error that does not stop the run (one file, one worker)."""
    click.echo(f"layercheck: error: {message}", err=True)


def _warn(message: str) -> None:
    click.echo(f"layercheck: warning: {message}", err=True)


def _show_settings(workspace: Workspace, paths: Sequence[Path]) -> None:
    import json

    target = (paths[0] if paths else Path(".")).absolute()
    settings = workspace.settings_for(target)
    click.echo(f"Resolved settings for: {target}")
    for key, value in settings.describe():
        click.echo(f"{key} = {json.dumps(value)}")


class _Command(click.Command):
    """Accepts ruff's spellings that click cannot say: `--add-noqa` with its reason only
    after `=`, so that a path after it stays a path; the `check`, `server` and `graph`
    subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = ["--add-noqa=" if arg == "--add-noqa" else arg for arg in args]
        # `layercheck server` is always the language server, as `ruff server` is (a
        # folder named `server` is checked with `layercheck check server`).
        if args and args[0] == "server":
            from layercheck.server.command import server

            server.main(args[1:], prog_name="layercheck server")
        if args and args[0] == "graph" and not Path("graph").exists():
            from layercheck.diagram.command import graph

            graph.main(args[1:], prog_name="layercheck graph")
        # `layercheck check app/` is ruff's spelling of `layercheck app/` (unless a file
        # or folder named `check` is meant).
        if args and args[0] == "check" and not Path("check").exists():
            args = args[1:]
        return super().parse_args(ctx, args)


@click.command(cls=_Command, context_settings={"help_option_names": ["-h", "--help"]})
# `readable=False`: an unreadable file is an LC002 finding, not a usage error.
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, readable=False))
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated).")
@click.option("--extend-select", multiple=True, help="Rule codes or prefixes to add.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--preview/--no-preview", default=None, help="Enable preview rules.")
@click.option(
    "--output-format",
    type=click.Choice(sorted(OUTPUT_FORMATS)),
    default="concise",
    show_default=True,
    help="How findings are printed.",
)
@click.option("--statistics", is_flag=True, help="Print counts per rule instead of findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain.")
@click.option(
    "--config",
    "config_args",
    multiple=True,
    help="Use this config file only; or KEY=VALUE (TOML) to override one key.",
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
# -- fixes --
@click.option(
    "--fix/--no-fix", default=None, help="Apply fixes (the unsafe ones too with --unsafe-fixes)."
)
@click.option(
    "--unsafe-fixes/--no-unsafe-fixes",
    default=None,
    help="Apply and offer unsafe fixes as well as safe ones.",
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff; write nothing."
)
@click.option("--show-fixes", is_flag=True, help="List the fixes applied (or available).")
@click.option(
    "-w", "--watch", is_flag=True, help="Check again whenever a file changes (needs [watch])."
)
@click.option("--fix-only", is_flag=True, help="Apply fixes; report no remaining findings.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when any file was fixed.")
# -- adopting layercheck on an existing codebase (issue 16) --
@click.option(
    "--add-noqa",
    "add_noqa_reason",
    metavar="[=REASON]",
    help="Add `# noqa` comments to the lines with findings (with REASON after the codes).",
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file instead of stdout (the exit code is the same).",
)
@click.option("--ignore-noqa", is_flag=True, help="Ignore `# noqa` comments.")
@click.option(
    "--per-file-ignores",
    multiple=True,
    metavar="PATTERN:CODES",
    help="Rules not to report in the files a glob matches (on top of the config's).",
)
@click.option(
    "--write-baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Record today's findings in this file, to hide them with --baseline.",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Report only findings this baseline file does not record.",
)
@click.option(
    "--baseline-strict",
    is_flag=True,
    help="Fail when baseline entries match no finding (the debt was paid: shrink it).",
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
    config_args: tuple[str, ...],
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
    fix: bool | None,
    unsafe_fixes: bool | None,
    show_diff: bool,
    show_fixes: bool,
    watch: bool,
    fix_only: bool,
    exit_non_zero_on_fix: bool,
    add_noqa_reason: str | None,
    output_file: Path | None,
    ignore_noqa: bool,
    per_file_ignores: tuple[str, ...],
    write_baseline: Path | None,
    baseline_file: Path | None,
    baseline_strict: bool,
) -> None:
    """Check Python web backends for layer and framework-usage violations."""
    if explain_code is not None:
        import difflib

        from layercheck.explain import explain
        from layercheck.rules import BY_NAME, lookup

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
        from layercheck.explain import list_rules
        from layercheck.rules import ALL_RULES

        if output_format == "json":
            click.echo(_rules_json(), nl=False)
        else:
            click.echo(list_rules(ALL_RULES), nl=False)
        return
    from layercheck.config.errors import ConfigError
    from layercheck.config.selection import SelectorError
    from layercheck.config.settings import Overrides
    from layercheck.config.workspace import Workspace
    from layercheck.discovery import MissingPathError
    from layercheck.model import internal_error
    from layercheck.rules import CATALOG

    config_file, values = _config_args(config_args)
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
        ignore_noqa=ignore_noqa,
        per_file_ignores=_per_file_ignores(per_file_ignores),
        values=values,
    )

    def attempt() -> None:
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
                FixRequest(
                    fix, unsafe_fixes, show_diff, show_fixes, fix_only, exit_non_zero_on_fix
                ),
                Adoption(
                    add_noqa_reason, write_baseline, baseline_file, baseline_strict, output_file
                ),
            )
        except ConfigError as exc:
            _fail(str(exc))
        except SelectorError as exc:
            _fail(str(exc))
        except MissingPathError as exc:
            _fail(str(exc))
        except Exception as exc:  # a bug: exit 2 with one line, never a traceback
            # A baseline's error comes from its module, imported only by a run that
            # reads or writes a baseline (most runs: its imports cost as much as a
            # one-file run's index).
            baseline = sys.modules.get("layercheck.baseline")
            if baseline is not None and isinstance(exc, baseline.BaselineError):
                _fail(str(exc))
            _fail(internal_error(stage[0], exc))

    if not watch:
        attempt()
        return
    if stdin_filename is not None or Path("-") in paths:
        _fail("--watch cannot read stdin")
    if add_noqa_reason is not None or write_baseline is not None:
        _fail("--watch cannot be combined with --add-noqa or --write-baseline")
    from layercheck.config.workspace import forget_files
    from layercheck.watch import watch as watch_loop

    def again() -> None:
        # Each run reads the configuration afresh; its exit status ends only the run.
        forget_files()
        with contextlib.suppress(SystemExit):
            attempt()

    watch_loop(list(paths) or [Path(".")], again, clear=sys.stdout.isatty())


_SHOWS_SOURCE: Final = frozenset({"full", "gitlab", "sarif"})
"""The report formats that read the files' text (code frames, fingerprints): for the
others the run does not hold it (`Engine.hold_texts`)."""


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
    fixing: FixRequest | None = None,
    adoption: Adoption | None = None,
) -> None:
    """`stage`: what is being done, kept up to date for the one line of an internal
    error."""
    from layercheck.add_noqa import add_noqa
    from layercheck.discovery import add_anchors
    from layercheck.engine import Engine
    from layercheck.held import SourceLines
    from layercheck.lint import version_skips
    from layercheck.report import WRITERS
    from layercheck.report.options import ReportOptions
    from layercheck.rules import ALL_RULES

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
    if adoption is not None and adoption.add_noqa_reason is not None and stdin is not None:
        _fail("--add-noqa cannot edit source read from stdin")
    fixing = fixing or FixRequest()
    if stdin is None:
        # The settings are asked for before the walk: with the anchors it would give them.
        add_anchors(list(paths) or [Path(".")], workspace)
    target = (paths[0] if paths else stdin[0] if stdin else Path(".")).absolute()
    fixing = fixing.resolved(workspace.settings_for(target if target.is_dir() else target.parent))
    adopting = adoption or Adoption()
    engine.hold_texts = (
        output_format in _SHOWS_SOURCE
        or fixing.active
        or stdin is not None
        or adopting.write_baseline is not None
        or _baseline_file(workspace, paths, adopting) is not None
    )
    result = engine.check(list(paths) or [Path(".")], stdin=stdin)
    if adoption is not None and adoption.add_noqa_reason is not None:
        stage[0] = "adding noqa comments"
        added = add_noqa(result.findings, adoption.add_noqa_reason.strip(), _warn)
        click.echo(f"Added {added} noqa directive{'' if added == 1 else 's'}.", err=True)
        sys.exit(EXIT_ERROR if result.internal_errors else EXIT_CLEAN)
    stage[0] = f"the {output_format} reporter"
    if verbose:
        elapsed = time.perf_counter() - started
        click.echo(
            f"layercheck: checked {len(result.files)} files in {elapsed:.2f}s, "
            f"{len(result.findings)} findings",
            err=True,
        )
        said: set[str] = set()
        for folder in sorted({path.parent for path in result.files}):
            settings = workspace.settings_for(folder)
            for line in version_skips(settings, ALL_RULES):
                if line not in said:
                    said.add(line)
                    click.echo(f"layercheck: {settings.root}: {line}", err=True)
    if show_files:
        cwd = workspace.cwd
        for path in sorted(result.files):
            layer = result.layers.get(str(path))
            try:
                shown = path.relative_to(cwd).as_posix()
            except ValueError:
                shown = str(path)
            note = result.layer_notes.get(str(path))
            why = f"\t({note})" if note else ""
            click.echo(f"{shown}\t{layer.value if layer else '-'}{why}")
        return
    findings = result.findings
    fixed = 0
    if fixing.active:
        stage[0] = "fixing the files"
        findings, fixed = _apply_fixes(engine, result, fixing, workspace.cwd, stdin)
        if fixing.fix_only:
            if not quiet:
                click.echo(f"Fixed {fixed} error{'s' if fixed != 1 else ''}.")
            sys.exit(EXIT_FINDINGS if fixing.exit_non_zero_on_fix and fixed else EXIT_CLEAN)
    elif fixing.show_fixes and findings and not quiet and not statistics:
        click.echo(_available_fixes(findings, fixing.unsafe, workspace.cwd), nl=False)
    kept = _apply_baseline(workspace, paths, result, findings, adoption or Adoption(), verbose)
    if kept is not None:
        findings = kept.findings
    output_file = (adoption or Adoption()).output_file
    if statistics:
        text = _statistics(findings, output_format)
        _emit(lambda out: out(text), output_file)
    else:
        sources = SourceLines(result.sources)
        options = ReportOptions(
            cwd=workspace.cwd,
            quiet=quiet,
            sources=sources,
            unsafe_fixes=fixing.unsafe,
            fixed=fixed,
        )
        writer = WRITERS[output_format]
        _emit(lambda out: writer(findings, options, out), output_file)
    found_any = bool(findings)
    if stdin is None and not fixing.active and kept is None and not result.internal_errors:
        from layercheck import warm_write

        # Printed, so dropped before the record is written from the caches: the write
        # then reuses their memory instead of adding to it (the texts of every file
        # with findings, and the findings, are held to here).
        del findings
        result.findings.clear()
        result.sources.clear()
        stage[0] = "writing the warm record"
        warm_write.after_run(engine, list(paths) or [Path(".")], _warn, result.files)
    stale = False
    if kept is not None:
        stale = _baseline_summary(kept, adoption or Adoption(), quiet)
    if result.internal_errors:
        sys.exit(EXIT_ERROR)
    if fixing.exit_non_zero_on_fix and fixed:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_FINDINGS if (found_any and not exit_zero) or stale else EXIT_CLEAN)


# -- fixes -------------------------------------------------------------------------------
@dataclass(frozen=True)
class FixRequest:
    """The fix options of the command line; `resolved` fills in the config's `fix` and
    `unsafe-fixes` where the command line says nothing."""

    fix: bool | None = None
    unsafe_fixes: bool | None = None
    diff: bool = False
    show_fixes: bool = False
    fix_only: bool = False
    exit_non_zero_on_fix: bool = False

    def resolved(self, settings: Settings) -> FixRequest:
        return replace(
            self,
            fix=settings.fix if self.fix is None else self.fix,
            unsafe_fixes=settings.unsafe_fixes if self.unsafe_fixes is None else self.unsafe_fixes,
        )

    @property
    def unsafe(self) -> bool:
        return bool(self.unsafe_fixes)

    @property
    def active(self) -> bool:
        return bool(self.fix) or self.diff or self.fix_only


def _apply_fixes(
    engine: Engine,
    result: CheckResult,
    fixing: FixRequest,
    cwd: Path,
    stdin: tuple[Path, bytes] | None,
) -> tuple[list[Finding], int]:
    """Fix the files (write them, print a diff, or print the fixed stdin source); the
    findings that remain, and how many were fixed."""
    from layercheck.fixes.relint import Relinter
    from layercheck.fixes.run import fix_files, write_all
    from layercheck.model import Finding
    from layercheck.report import REPORTERS
    from layercheck.report._common import display_path
    from layercheck.report.options import ReportOptions

    stdin_text = None
    if stdin is not None and result.files:
        source = result.sources.get(result.files[0])
        stdin_text = (result.files[0], source) if source is not None else None
    run = fix_files(
        Relinter(engine), result.findings, result.sources, fixing.unsafe, _warn, stdin_text
    )
    if fixing.diff:
        changed = [item for item in run.files if item.changed]
        for item in changed:
            click.echo(item.diff(display_path(item.path, cwd)), nl=False)
        count = sum(sum(item.applied.values()) for item in changed)
        click.echo(f"Would fix {count} error{'s' if count != 1 else ''}.", err=True)
        sys.exit(EXIT_FINDINGS if changed else EXIT_CLEAN)
    if stdin is not None:
        # Editors read the fixed source from stdout; findings go to stderr.
        fixed_text = run.files[0].fixed if run.files else stdin[1].decode("utf-8", "replace")
        click.echo(fixed_text, nl=False)
        remaining = run.files[0].remaining if run.files else result.findings
        options = ReportOptions(cwd=cwd, quiet=False, unsafe_fixes=fixing.unsafe)
        click.echo(REPORTERS["concise"](remaining, options), nl=False, err=True)
        sys.exit(EXIT_FINDINGS if remaining else EXIT_CLEAN)
    failed = {item.path for item in write_all(run, _warn)}
    done = [item for item in run.files if item.changed and item.path not in failed]
    fixed_paths = {item.path for item in done}
    findings = [finding for finding in result.findings if finding.path not in fixed_paths]
    for item in done:
        findings.extend(item.remaining)
        result.sources[item.path] = item.fixed
    findings.sort(key=Finding.sort_key)
    fixed = sum(sum(item.applied.values()) for item in done)
    if fixing.show_fixes and done:
        click.echo(_fixed_listing(done, cwd), nl=False)
    return findings, fixed


def _fixed_listing(done: Sequence[FileFix], cwd: Path) -> str:
    """ruff's `--show-fixes` enumeration of what was fixed, by file and rule."""
    from layercheck.report._common import display_path
    from layercheck.rules import BY_CODE

    total = sum(sum(item.applied.values()) for item in done)
    out = [f"Fixed {total} error{'s' if total != 1 else ''}:"]
    for item in sorted(done, key=lambda item: str(item.path)):
        out.append(f"- {display_path(item.path, cwd)}:")
        for code, count in sorted(item.applied.items()):
            # ruff's listing uses the multiplication sign.
            out.append(f"    {count} × {code} ({BY_CODE[code].meta.name})")  # noqa: RUF001
    return "\n".join(out) + "\n\n"


def _available_fixes(findings: Sequence[Finding], unsafe: bool, cwd: Path) -> str:
    """`--show-fixes` without `--fix`: each available fix, under the finding it fixes."""
    from layercheck.model import Applicability
    from layercheck.report._common import display_path

    out: list[str] = []
    for finding in findings:
        fix = finding.fix
        if fix is None or not fix.edits:
            continue
        if fix.applicability is Applicability.UNSAFE and not unsafe:
            continue
        where = f"{display_path(finding.path, cwd)}:{finding.start.row}:{finding.start.column}"
        out.append(f"{where}: {finding.code} fix ({fix.applicability.value}): {fix.message}")
    return "".join(line + "\n" for line in out) + ("\n" if out else "")


# -- adopting layercheck on an existing codebase (issue 16) --


def _config_args(args: Sequence[str]) -> tuple[Path | None, tuple[tuple[str, object], ...]]:
    """`--config` values: one config file, and `KEY=VALUE` overrides (validated)."""
    from layercheck.config.errors import ConfigError
    from layercheck.config.files import parse_inline
    from layercheck.config.loading import validate

    files: list[str] = []
    values: dict[str, object] = {}
    for arg in args:
        if "=" not in arg or Path(arg).is_file():
            files.append(arg)
            continue
        try:
            parsed = parse_inline(arg)
            values.update(validate(None, parsed, "--config ").values)
        except ValueError as exc:
            _fail(f"--config {arg!r}: {exc}")
        except ConfigError as exc:
            _fail(str(exc))
    if len(files) > 1:
        _fail("--config: one config file at most (use KEY=VALUE for the others)")
    return (Path(files[0]) if files else None), tuple(values.items())


def _per_file_ignores(args: Sequence[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`PATTERN:CODE,CODE` (ruff's spelling); the codes are checked with the settings."""
    found: list[tuple[str, tuple[str, ...]]] = []
    for arg in args:
        pattern, colon, codes = arg.rpartition(":")
        if not colon or not pattern or not codes.strip():
            _fail(f"--per-file-ignores {arg!r}: expected PATTERN:CODES, e.g. 'tests/*:LC2'")
        found.append((pattern, _codes([codes])))
    return tuple(found)


def _statistics(findings: Sequence[Finding], output_format: str) -> str:
    import json

    from layercheck.rules import BY_CODE

    counts = Counter(finding.code for finding in findings)
    fixable = Counter(finding.code for finding in findings if finding.fix is not None)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if output_format == "json":
        rows = [
            {
                "code": code,
                "name": BY_CODE[code].meta.name,
                "count": count,
                "fixable": fixable[code] > 0,
            }
            for code, count in ordered
        ]
        return json.dumps(rows, indent=2) + "\n"
    width = max((len(str(n)) for n in counts.values()), default=1)
    return "".join(
        f"{count:>{width}}\t{code}\t{BY_CODE[code].meta.name}\n" for code, count in ordered
    )


def _rules_json() -> str:
    import json

    from layercheck.rules import ALL_RULES

    rows = [
        {
            "code": rule.meta.code,
            "name": rule.meta.name,
            "family": rule.meta.family,
            "status": rule.meta.status.value,
            "fix": rule.meta.fix.value,
        }
        for rule in ALL_RULES
    ]
    return json.dumps(rows, indent=2) + "\n"


_ECHOED = 1 << 16
"""Characters of the report gathered before they go to stdout: one write a piece made
a system call for each finding."""


def _stdout_to_devnull() -> None:
    """What is still written to stdout, and its buffer flushed at exit, goes nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def _emit(report: Callable[[Write], object], output_file: Path | None) -> None:
    """The report on stdout, or in `--output-file` (its folders made as needed), written
    as `report` makes it: a large project's report is never held whole."""
    if output_file is None:
        pending: list[str] = []
        size = 0

        def flush() -> None:
            nonlocal size
            try:
                click.echo("".join(pending), nl=False)
            except BrokenPipeError:
                # The reader went away (`| head`): the rest is not wanted, and the run
                # ends as it would have, with its exit status and without a word.
                _stdout_to_devnull()
            except OSError as exc:  # a full disk behind `>`: no bug of layercheck's
                _stdout_to_devnull()
                _fail(f"cannot write the report to stdout: {exc.strerror}")
            pending.clear()
            size = 0

        def echo(piece: str) -> None:
            nonlocal size
            pending.append(piece)
            size += len(piece)
            # Only after a line's end: click strips escape sequences from what it is
            # given, and none spans two lines.
            if size >= _ECHOED and piece.endswith("\n"):
                flush()

        report(echo)
        if pending:
            flush()
        return

    def cannot(exc: OSError) -> NoReturn:
        _fail(f"{output_file}: cannot write the report: {exc.strerror}")

    try:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        stream = output_file.open("w", encoding="utf-8")
    except OSError as exc:
        cannot(exc)

    def write(piece: str) -> None:
        try:
            stream.write(piece)
        except OSError as exc:
            cannot(exc)

    try:
        report(write)
    finally:
        try:
            stream.close()
        except OSError as exc:
            cannot(exc)


def _baseline_file(workspace: Workspace, paths: Sequence[Path], adoption: Adoption) -> Path | None:
    """`--baseline`, else the `baseline` key of the settings for the first path."""
    if adoption.baseline is not None:
        return adoption.baseline
    target = (paths[0] if paths else Path(".")).absolute()
    return workspace.settings_for(target if target.is_dir() else target.parent).baseline


def _apply_baseline(
    workspace: Workspace,
    paths: Sequence[Path],
    result: CheckResult,
    findings: list[Finding],
    adoption: Adoption,
    verbose: bool,
) -> Applied | None:
    """Write the baseline (and exit), or hide the findings it records (those left after
    any fixes)."""
    from layercheck.held import SourceLines

    sources = SourceLines(result.sources)
    if adoption.write_baseline is not None:
        from layercheck import baseline

        written = baseline.write(adoption.write_baseline, findings, sources)
        s = "" if written == 1 else "s"
        click.echo(f"Wrote {written} finding{s} to {adoption.write_baseline}.", err=True)
        sys.exit(EXIT_ERROR if result.internal_errors else EXIT_CLEAN)
    source = _baseline_file(workspace, paths, adoption)
    if source is None:
        return None
    from layercheck import baseline

    recorded = baseline.load(source)
    applied = baseline.apply(recorded, findings, sources, source.parent, result.files)
    if verbose:
        for entry in applied.stale:
            click.echo(
                f"layercheck: stale baseline entry: {entry.path}: {entry.code} "
                f"{entry.message} (in {entry.scope or 'the module'})",
                err=True,
            )
    return applied


def _baseline_summary(applied: Applied, adoption: Adoption, quiet: bool) -> bool:
    """Say how many findings the baseline hid and how many entries are stale; True when
    stale entries fail the run (`--baseline-strict`)."""
    if not quiet:
        s = "" if applied.hidden == 1 else "s"
        click.echo(f"layercheck: {applied.hidden} finding{s} hidden by the baseline.", err=True)
    if not applied.stale:
        return False
    count = len(applied.stale)
    s = "y" if count == 1 else "ies"
    what = f"{count} baseline entr{s} match no finding (fixed?)"
    if adoption.baseline_strict:
        click.echo(f"layercheck: {what}: rewrite it with --write-baseline.", err=True)
        return True
    if not quiet:
        click.echo(f"layercheck: {what}; --verbose lists them.", err=True)
    return False
