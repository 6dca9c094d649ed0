"""ruff's `full` format: the headline, then the code with the span underlined."""

from __future__ import annotations

from collections.abc import Sequence

from layercheck.model import Finding
from layercheck.report._common import headline, summary
from layercheck.report.options import ReportOptions, Write


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


def write(findings: Sequence[Finding], options: ReportOptions, out: Write) -> None:
    for finding in findings:
        lines = [headline(finding, options.cwd, options.unsafe_fixes)]
        source = options.sources.get(finding.path)
        if source and 0 < finding.start.row <= len(source):
            lines.extend(_snippet(finding, source))
        for number, link in enumerate(finding.chain):
            # import-linter's detail: each link of the import chain with its line.
            lead = "  = chain: " if number == 0 else " " * len("  = chain: ")
            lines.append(f"{lead}{link.importer} -> {link.imported} (l.{link.line})")
        if finding.fix is not None:
            lines.append(f"  = help: {finding.fix.message}")
        lines.append("")
        out("".join(line + "\n" for line in lines))
    if not options.quiet:
        out(summary(findings, unsafe_fixes=options.unsafe_fixes, fixed=options.fixed))
