"""One renderer for --explain, --list-rules, docs/rules/ and the README's generated tables
(rules, configuration keys): `python -m layercheck.explain` rewrites the generated files."""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from layercheck.config.options import OPTIONS, Option
from layercheck.rules._base import FixAvailability, Rule, Status

FAMILIES: Final = {
    "LC0": "meta",
    "LC1": "layer boundaries",
    "LC2": "HTTP concerns outside routes",
    "LC3": "route conventions",
    "LC4": "SQLAlchemy 2.0 models",
    "LC5": "data access and sessions",
    "LC6": "Pydantic v2",
    "LC7": "Alembic migrations",
    "LC8": "configuration and secrets",
}
_FIX_TEXT: Final = {
    FixAvailability.NONE: "no fix",
    FixAvailability.SOMETIMES: "fix sometimes",
    FixAvailability.ALWAYS: "fix always",
}


def docs_body(rule: type[Rule]) -> str:
    return inspect.cleandoc(rule.__doc__ or "")


def summary_line(rule: type[Rule]) -> str:
    """First sentence of "What it does"."""
    body = docs_body(rule)
    text = " ".join(body.split("## What it does", 1)[-1].split("##", 1)[0].split())
    end = text.find(". ")
    return text if end == -1 else text[: end + 1]


def explain(rule: type[Rule]) -> str:
    meta = rule.meta
    layers = meta.checks or (
        ", ".join(sorted(layer.value for layer in meta.layers))
        if meta.layers is not None
        else "all files"
    )
    status = "preview rule (enable with --preview or by its exact code)"
    if meta.status is Status.DEFAULT:
        status = "default rule"
    fix = "Fix is not available."
    if meta.fix is not FixAvailability.NONE:
        fix = f"Fix is {'always' if meta.fix is FixAvailability.ALWAYS else 'sometimes'} available."
    header = (
        f"# {meta.name} ({meta.code})\n\n"
        f"Family: {meta.family} {FAMILIES.get(meta.family, '')}. Status: {status}.\n"
        f"Checks: {layers}. {fix}\n"
    )
    if meta.assumes is not None:
        library, major = meta.assumes
        header += (
            f"Assumes {library} {major}: quiet where the project's declared versions rule it "
            f'out (`upgrading = ["{library}"]` runs it).\n'
        )
    header += "\n"
    return header + docs_body(rule) + "\n"


def list_rules(rules: Sequence[type[Rule]]) -> str:
    rows = [("code", "name", "family", "status", "fix")]
    for rule in rules:
        meta = rule.meta
        rows.append(
            (
                meta.code,
                meta.name,
                f"{meta.family} {FAMILIES.get(meta.family, '')}",
                meta.status.value,
                _FIX_TEXT[meta.fix],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in rows
    )


def markdown_table(rules: Sequence[type[Rule]]) -> str:
    out = ["| code | name | what it flags | default | fix |", "|---|---|---|---|---|"]
    for rule in rules:
        meta = rule.meta
        default = "yes" if meta.status is Status.DEFAULT else "preview"
        fix = "-" if meta.fix is FixAvailability.NONE else meta.fix.value
        link = f"[{meta.code}](docs/rules/{meta.code}.md)"
        out.append(f"| {link} | {meta.name} | {summary_line(rule)} | {default} | {fix} |")
    return "\n".join(out) + "\n"


def toml_value(value: object) -> str:
    """A value as TOML writes it (tuples as arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        pairs = (f"{json.dumps(key)} = {toml_value(item)}" for key, item in value.items())
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return str(value)


def options_table(options: Sequence[Option[Any]]) -> str:
    """The configuration keys, from their rows: a `pyproject.toml`'s fallbacks, then the
    default, make the default column."""
    out = ["| key | value | default | what it sets |", "|---|---|---|---|"]
    for option in options:
        default = option.default_doc or f"`{toml_value(option.default)}`"
        default = ", else ".join((*(fallback.doc for fallback in option.fallbacks), default))
        out.append(f"| `{option.name}` | {option.kind.expected} | {default} | {option.doc} |")
    return "\n".join(out) + "\n"


def docs_page(rule: type[Rule]) -> str:
    return explain(rule)


def readme_markers(name: str) -> tuple[str, str]:
    """The lines around a generated table of the README."""
    return f"<!-- {name}:start -->\n", f"<!-- {name}:end -->"


def readme_tables() -> dict[str, str]:
    """Each generated table of the README, by marker name."""
    from layercheck.rules import ALL_RULES

    return {"rules": markdown_table(ALL_RULES), "options": options_table(OPTIONS)}


def write_generated_docs(repo: Path) -> None:
    """Regenerate docs/rules/*.md from the registry, and the README's tables."""
    from layercheck.rules import ALL_RULES

    folder = repo / "docs" / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("LC*.md"):
        stale.unlink()
    for rule in ALL_RULES:
        (folder / f"{rule.meta.code}.md").write_text(docs_page(rule), encoding="utf-8")
    readme = repo / "README.md"
    text = readme.read_text(encoding="utf-8")
    for name, table in readme_tables().items():
        start, end = readme_markers(name)
        if start in text and end in text:
            head, rest = text.split(start, 1)
            tail = rest.split(end, 1)[1]
            text = head + start + table + end + tail
    readme.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_generated_docs(Path.cwd())
