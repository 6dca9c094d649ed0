"""Rules carry their own docs and examples; these tests keep them honest and in sync."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from support import REPO, check_project, default_path, write_project

import layercheck.rules
from layercheck.explain import docs_body, docs_page, markdown_table
from layercheck.rules import ALL_RULES
from layercheck.rules._base import FixAvailability, Invalid, Rule, Valid

FAMILY_PACKAGES = {
    "LC0": "meta",
    "LC1": "layering",
    "LC2": "http",
    "LC3": "routes",
    "LC4": "sqlalchemy",
    "LC5": "sessions",
    "LC6": "pydantic",
    "LC7": "alembic",
    "LC8": "app_config",
}
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead")
RULE_IDS = [rule.meta.code for rule in ALL_RULES]


def test_codes_and_names_are_unique() -> None:
    codes = [rule.meta.code for rule in ALL_RULES]
    names = [rule.meta.name for rule in ALL_RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    assert codes == sorted(codes), "ALL_RULES is kept in code order"


def test_every_rule_module_is_registered() -> None:
    registered = {rule.__module__ for rule in ALL_RULES}
    on_disk = set()
    for package in pkgutil.iter_modules(layercheck.rules.__path__):
        if not package.ispkg:
            continue
        sub = importlib.import_module(f"layercheck.rules.{package.name}")
        for module in pkgutil.iter_modules(sub.__path__):
            if not module.name.startswith("_"):
                on_disk.add(f"layercheck.rules.{package.name}.{module.name}")
    assert on_disk == registered


@pytest.mark.parametrize("rule", ALL_RULES, ids=RULE_IDS)
def test_metadata_shape(rule: type[Rule]) -> None:
    meta = rule.meta
    assert re.fullmatch(r"LC\d{3}", meta.code)
    assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", meta.name)
    package = FAMILY_PACKAGES[meta.code[:3]]
    assert rule.__module__ == f"layercheck.rules.{package}.{meta.name.replace('-', '_')}"
    assert meta.message
    assert not meta.message.startswith(meta.code)
    assert "\n" not in meta.message
    assert (meta.fix is FixAvailability.NONE) == (meta.fix_title is None)


@pytest.mark.parametrize("rule", ALL_RULES, ids=RULE_IDS)
def test_examples_are_enough(rule: type[Rule]) -> None:
    invalid = [e for e in rule.examples if isinstance(e, Invalid)]
    valid = [e for e in rule.examples if isinstance(e, Valid)]
    assert len(invalid) >= 2, "at least two firing examples"
    assert len(valid) >= 3, "at least three quiet examples"
    assert any(e.note for e in valid), "at least one quiet near-miss, with a note saying why"


@pytest.mark.parametrize("rule", ALL_RULES, ids=RULE_IDS)
def test_docs_sections(rule: type[Rule]) -> None:
    body = docs_body(rule)
    positions = [body.find(section) for section in SECTIONS]
    assert all(p >= 0 for p in positions), f"missing one of {SECTIONS}"
    assert positions == sorted(positions)
    assert ("## Fix safety" in body) == (rule.meta.fix is not FixAvailability.NONE)


def _code_block(body: str, section: str) -> str:
    part = body.split(section, 1)[1]
    match = re.search(r"```python\n(.*?)```", part, re.S)
    assert match, f"{section} needs a ```python block"
    return match.group(1)


def _block_files(rule: type[Rule], block: str) -> dict[str, str | bytes]:
    """A block may hold several files, each introduced by a `# file: path` line."""
    if not block.startswith("# file: "):
        return {default_path(rule): block}
    files: dict[str, str | bytes] = {}
    for chunk in re.split(r"^# file: ", block, flags=re.M)[1:]:
        name, _, text = chunk.partition("\n")
        files[name.strip()] = text
    return files


@pytest.mark.parametrize("rule", ALL_RULES, ids=RULE_IDS)
def test_docs_example_fires_and_use_instead_is_quiet(rule: type[Rule], tmp_path: Path) -> None:
    body = docs_body(rule)
    for section, should_fire in (("## Example", True), ("## Use instead", False)):
        root = tmp_path / section.strip("# ").replace(" ", "_")
        root.mkdir()
        write_project(root, _block_files(rule, _code_block(body, section)))
        result = check_project(root, select=(rule.meta.code, *rule.examples_select))
        fired = any(f.code == rule.meta.code for f in result.findings)
        assert fired == should_fire, f"{section} block {'must' if should_fire else 'must not'} fire"


def test_docs_rules_folder_is_fresh() -> None:
    folder = REPO / "docs" / "rules"
    expected = {f"{rule.meta.code}.md": docs_page(rule) for rule in ALL_RULES}
    actual = {path.name: path.read_text(encoding="utf-8") for path in folder.glob("LC*.md")}
    assert actual == expected, "docs/rules is stale: run `python -m layercheck.explain`"


def test_readme_rules_table_is_fresh() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- rules:start -->\n", "<!-- rules:end -->"
    assert start in readme
    assert end in readme
    table = readme.split(start, 1)[1].split(end, 1)[0]
    assert table == markdown_table(ALL_RULES), (
        "README rules table is stale: run `python -m layercheck.explain`"
    )
