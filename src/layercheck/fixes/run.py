"""Fixing files: each file with an applicable fix goes through passes (apply the fixes
that fit together, drop the imports they left unused, re-lint the new text) until no
applicable fix is left, at most `MAX_PASSES` times; a pass whose text does not parse is
thrown away. The result is either written back or shown as a diff."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from layercheck.discovery import SourceFile
from layercheck.fixes.apply import apply_pass
from layercheck.fixes.relint import Relinter
from layercheck.fixes.unused import (
    drop_unused_imports,
    merge_added_imports,
    place_added_imports,
)
from layercheck.model import Applicability, Finding
from layercheck.source import DecodeError, decode_source, read_regular_file
from layercheck.writeback import write_fixed

MAX_PASSES = 3


def applicable(finding: Finding, unsafe: bool) -> bool:
    fix = finding.fix
    if fix is None or not fix.edits:
        return False
    return unsafe or fix.applicability is Applicability.SAFE


@dataclass
class FileFix:
    path: Path
    original: str
    fixed: str
    applied: Counter[str] = field(default_factory=Counter)
    """Findings fixed, by code."""
    remaining: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    def diff(self, shown: str) -> str:
        """A unified diff with `shown` as both file names (`patch -p0` applies it)."""
        before = self.original.splitlines(keepends=True)
        after = self.fixed.splitlines(keepends=True)
        lines = difflib.unified_diff(before, after, fromfile=shown, tofile=shown)
        out: list[str] = []
        for line in lines:
            out.append(
                line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
            )
        return "".join(out)


def fix_text(
    relinter: Relinter,
    file: SourceFile,
    text: str,
    findings: Sequence[Finding],
    unsafe: bool,
    warn: Callable[[str], None],
) -> FileFix:
    """The file's text after up to `MAX_PASSES` passes of fixes, and what remains."""
    result = FileFix(file.path, text, text, remaining=list(findings))
    current = list(findings)
    for _ in range(MAX_PASSES):
        wanted = [finding for finding in current if applicable(finding, unsafe)]
        if not wanted:
            return result
        done = apply_pass(result.fixed, wanted)
        merged = merge_added_imports(result.fixed, done.text)
        placed = place_added_imports(result.fixed, merged, relinter.sections(file))
        new_text = drop_unused_imports(result.fixed, placed)
        found = relinter.lint(file, new_text)
        if found is None and new_text != done.text:
            # The import clean-up is what broke it: keep the fixes without it.
            new_text = done.text
            found = relinter.lint(file, new_text)
        if found is None:
            warn(
                f"{file.path}: the fixes of {', '.join(sorted({f.code for f in done.applied}))} "
                "gave code that does not parse; they were not applied (please report it)"
            )
            return result
        if new_text == result.fixed:
            return result
        result.fixed = new_text
        result.applied.update(finding.code for finding in done.applied)
        result.remaining = current = found
    if any(applicable(finding, unsafe) for finding in current):
        warn(f"{file.path}: fixes still apply after {MAX_PASSES} passes; run --fix again")
    return result


@dataclass
class FixRun:
    files: list[FileFix] = field(default_factory=list)
    originals: dict[Path, bytes] = field(default_factory=dict)

    @property
    def applied(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for item in self.files:
            total.update(item.applied)
        return total


def fix_files(
    relinter: Relinter,
    findings: Iterable[Finding],
    sources: Mapping[Path, str],
    unsafe: bool,
    warn: Callable[[str], None],
    stdin: tuple[Path, str] | None = None,
) -> FixRun:
    """Fix, in memory, each file that has a finding with an applicable fix. A file whose
    bytes on disk no longer give the text that was checked is left alone (warning)."""
    by_path: dict[Path, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    run = FixRun()
    for path, found in by_path.items():
        if not any(applicable(finding, unsafe) for finding in found):
            continue
        if stdin is not None and path == stdin[0]:
            text = stdin[1]
        else:
            try:
                data = read_regular_file(path)[0]
                text = decode_source(data)
            except (OSError, DecodeError):
                warn(f"{path}: cannot be read again to fix it; not fixed")
                continue
            if text != sources.get(path):
                warn(f"{path}: changed on disk since it was checked; not fixed")
                continue
            run.originals[path] = data
        run.files.append(fix_text(relinter, relinter.source_file(path), text, found, unsafe, warn))
    return run


def write_all(run: FixRun, warn: Callable[[str], None]) -> list[FileFix]:
    """Write each changed file back; the files that could not be written come back (their
    fixes did not happen)."""
    failed: list[FileFix] = []
    for item in run.files:
        if not item.changed:
            continue
        problem = write_fixed(item.path, run.originals[item.path], item.fixed)
        if problem is not None:
            warn(problem)
            failed.append(item)
    return failed
