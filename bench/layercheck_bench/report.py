"""The text the benchmark prints: seconds, multiples of the parse floor, and the findings
checked against what was planted and against flake8's."""

from __future__ import annotations

import os
import re
import sys
from collections import Counter

from layercheck_bench.generator import Generated
from layercheck_bench.scenarios import Results
from layercheck_bench.timing import Timing


def report(gen: Generated, results: Results, seed: int) -> str:
    """The table of timings, the ratios that matter, and whether the findings agree with
    what was planted and with flake8's."""
    floor, lc, lc_warm = results.floor, results.layercheck, results.layercheck_warm
    one, one_warm = results.one_file, results.one_file_warm
    f8_lc, f8_all, found = results.flake8_lc, results.flake8_default, results.found
    timings = results.rows
    out: list[str] = []
    out.append(
        f"layercheck bench: {gen.files} files, {gen.lines:,} lines "
        f"(seed {seed}, {gen.root}), Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )
    out.append("")
    width = max(len(t.label) for t in timings)
    out.append(f"{'':{width}}  {'best s':>7}  {'runs':>4}  {'x floor':>7}  all runs (s)")
    for t in timings:
        runs = " ".join(f"{r:.2f}" for r in t.runs)
        out.append(
            f"{t.label:{width}}  {t.best:7.2f}  {len(t.runs):4d}  "
            f"{t.best / floor.best:7.2f}  {runs}"
        )
        if t.own:
            label = "  own time (layercheck -v)"
            own = min(t.own)
            out.append(f"{label:{width}}  {own:7.2f}  {len(t.own):4d}  {own / floor.best:7.2f}")
    out.append("")
    out.append(f"layercheck / parse floor      {_ratio(lc, floor)}")
    if lc_warm is not None:
        out.append(f"layercheck warm / cold        {_ratio(lc_warm, lc)}")
    if one_warm is not None:
        out.append(f"one file warm / cold          {_ratio(one_warm, one)}")
    out.append(f"flake8 --select LC / floor    {_ratio(f8_lc, floor)}")
    out.append(f"flake8 --select LC / lc       {_ratio(f8_lc, lc)}")
    if f8_all is not None:
        out.append(f"flake8 default / floor        {_ratio(f8_all, floor)}")
        out.append(f"flake8 default / layercheck   {_ratio(f8_all, lc)}")
    out.append("")
    shown = ", ".join(f"{code} {n}" for code, n in sorted(found.items())) or "none"
    out.append(f"layercheck findings: {sum(found.values())} ({shown})")
    expected = gen.expected_lc201
    verdict = "matches" if found["LC201"] == expected else "DIFFERS FROM"
    out.append(f"  LC201 {found['LC201']} {verdict} the {expected} planted")
    if f8_lc is not None:
        codes = _flake8_codes(f8_lc.output)
        lc_codes = {k: v for k, v in codes.items() if k.startswith("LC")}
        agree = "same as CLI" if lc_codes == dict(found) else f"CLI differs: {lc_codes}"
        out.append(f"flake8 --select LC findings: {sum(codes.values())} ({agree})")
    if f8_all is not None:
        codes = _flake8_codes(f8_all.output)
        top = ", ".join(f"{c} {n}" for c, n in codes.most_common(6))
        out.append(f"flake8 default findings: {sum(codes.values())} ({top or 'none'})")
    out.append("planted in the tree:")
    out.extend(f"  {n:4d}  {kind}" for kind, n in gen.planted.items())
    return "\n".join(out)


def _flake8_codes(output: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for line in output.splitlines():
        match = re.match(r".*?:\d+:\d+: ([A-Z]+\d+) ", line)
        if match:
            found[match.group(1)] += 1
    return found


def _ratio(a: Timing | None, b: Timing | None) -> str:
    if a is None or b is None:
        return "-"
    return f"{a.best / b.best:.2f}"
