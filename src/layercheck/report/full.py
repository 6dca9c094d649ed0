"""ruff's `full` format: the headline, then the code with the span underlined."""

from __future__ import annotations

from collections.abc import Sequence

from layercheck.model import Finding
from layercheck.report._common import headline, summary
from layercheck.report.options import ReportOptions


def _snippet(finding: Finding, lines: tuple[str, ...]) -> list[str]:
    row = finding.start.row
    first = max(1, row - 1)
    last = min(len(lines), row + 1)
    width = len(str(last))
    out = [f"{' ' * width} |"]
    for number in range(first, last + 1):
        out.append(f"{number:>{width}} | {lines[number - 1]}".rstrip())
        if number == row:
            start = finding.start.column - 1
            if finding.end.row == row:
                length = max(1, finding.end.column - finding.start.column)
            else:
                length = max(1, len(lines[number - 1]) - start)
            out.append(f"{' ' * width} | {' ' * start}{'^' * length} {finding.code}")
    out.append(f"{' ' * width} |")
    return out


def render(findings: Sequence[Finding], options: ReportOptions) -> str:
    out: list[str] = []
    for finding in findings:
        out.append(headline(finding, options.cwd, options.unsafe_fixes))
        lines = options.sources.get(finding.path)
        if lines and 0 < finding.start.row <= len(lines):
            out.extend(_snippet(finding, lines))
        for number, link in enumerate(finding.chain):
            # import-linter's detail: each link of the import chain with its line.
            lead = "  = chain: " if number == 0 else " " * len("  = chain: ")
            out.append(f"{lead}{link.importer} -> {link.imported} (l.{link.line})")
        if finding.fix is not None:
            out.append(f"  = help: {finding.fix.message}")
        out.append("")
    text = "\n".join(out) + ("\n" if out else "")
    return (
        text
        if options.quiet
        else text + summary(findings, unsafe_fixes=options.unsafe_fixes, fixed=options.fixed)
    )
