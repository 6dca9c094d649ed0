"""The option rows: validation, defaults, fallbacks, --show-settings, the facts cache key and
the README's table all follow them, so a key is described once."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from support import REPO

from layercheck import cache
from layercheck.config.errors import ConfigError
from layercheck.config.loading import RawConfig, read_config, validate
from layercheck.config.options import BY_NAME, OPTIONS, Fallback, Option
from layercheck.config.settings import Overrides, Settings, build_settings
from layercheck.explain import options_table, readme_markers, toml_value
from layercheck.rules import CATALOG

ROW_IDS = [option.name for option in OPTIONS]

# For each key, a value other than its default, as TOML gives it. A new row needs one.
OTHER_VALUES: dict[str, object] = {
    "select": ["LC2"],
    "extend-select": ["LC104"],
    "ignore": ["LC201"],
    "preview": True,
    "exclude": ["legacy"],
    "extend-exclude": ["generated"],
    "respect-gitignore": False,
    "per-file-ignores": {"legacy/*.py": ["LC1"]},
    "target-version": "py312",
    "src": ["lib"],
    "cache-dir": ".cache/lc",
    "include-type-checking-imports": True,
    "detect-routes": False,
    "layers": {"services": ["app/domain/**"]},
    "fix": True,
    "unsafe-fixes": True,
    "baseline": "lc-baseline.json",
    "messages": {"LC2": "see docs/errors.md"},
    "banned-imports": {"repositories": ["httpx"]},
    "allow-imports": ["app.api.health -> app.repositories.ping"],
    "layer-order": ["routes", "dependencies", "services", "repositories", "models"],
    "closed-layers": ["services"],
    "upgrading": ["pydantic"],
    "timestamp-columns": {"created": ["born_at"]},
}
# Settings fields that no key sets: where the settings come from, and command-line flags.
NOT_FROM_A_KEY = {
    "root",
    "config_path",
    "catalog",
    "force_exclude",
    "cache",
    "derive_src",
    "libraries",
    "ignore_noqa",
}
# Keys that resolve into another key's field, and are shown there.
FOLDED = {"extend-exclude"}


def settings_from(values: dict[str, object], root: Path) -> Settings:
    return build_settings(RawConfig(None, values), root, Overrides(), CATALOG)


def as_toml(value: object) -> object:
    """A row's default as TOML would give it (arrays are lists)."""
    if isinstance(value, tuple):
        return [as_toml(item) for item in value]
    if isinstance(value, dict):
        return {key: as_toml(item) for key, item in value.items()}
    return value


def test_every_key_has_another_value_here() -> None:
    assert set(OTHER_VALUES) == set(BY_NAME)


def test_the_rows_name_the_settings_fields() -> None:
    fields = {field.name for field in dataclasses.fields(Settings)}
    assert {option.setting for option in OPTIONS} == fields - NOT_FROM_A_KEY


@pytest.mark.parametrize("option", OPTIONS, ids=ROW_IDS)
def test_the_default_is_a_valid_value_that_changes_nothing(
    option: Option[Any], tmp_path: Path
) -> None:
    default = as_toml(option.default)
    assert option.kind.check(default)
    assert validate(None, {option.name: default}, "").values == {option.name: default}
    written = settings_from({option.name: default}, tmp_path)
    assert written.describe() == settings_from({}, tmp_path).describe()


@pytest.mark.parametrize("option", OPTIONS, ids=ROW_IDS)
def test_another_value_is_valid_and_shows(option: Option[Any], tmp_path: Path) -> None:
    value = OTHER_VALUES[option.name]
    assert validate(None, {option.name: value}, "").values == {option.name: value}
    shown = settings_from({option.name: value}, tmp_path).describe()
    assert shown != settings_from({}, tmp_path).describe()


def test_show_settings_lists_the_keys_in_row_order(tmp_path: Path) -> None:
    keys = [key for key, _ in settings_from({}, tmp_path).describe()]
    assert keys[:2] == ["config", "root"]
    assert [key for key in keys if key in BY_NAME] == [
        option.name for option in OPTIONS if option.name not in FOLDED
    ]
    assert keys.index("active") == keys.index("preview") + 1


@pytest.mark.parametrize("option", OPTIONS, ids=ROW_IDS)
def test_the_facts_cache_key_changes_with_the_keys_that_shape_facts(
    option: Option[Any], tmp_path: Path
) -> None:
    before = cache.settings_key(settings_from({}, tmp_path))
    after = cache.settings_key(settings_from({option.name: OTHER_VALUES[option.name]}, tmp_path))
    assert (after != before) == option.shapes_facts


def test_the_facts_cache_key_changes_with_the_root(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    assert cache.settings_key(settings_from({}, tmp_path)) != cache.settings_key(
        settings_from({}, tmp_path / "a")
    )


@pytest.mark.parametrize("option", OPTIONS, ids=ROW_IDS)
def test_a_wrong_type_names_the_key_and_the_rows_type(option: Option[Any]) -> None:
    with pytest.raises(ConfigError) as caught:
        validate(Path("pyproject.toml"), {option.name: 2.5}, "tool.layercheck.")
    assert caught.value.key == f"tool.layercheck.{option.name}"
    assert caught.value.reason == f"expected {option.kind.expected}, got 2.5"


def test_an_unknown_key_suggests_the_nearest_row() -> None:
    with pytest.raises(ConfigError) as caught:
        validate(None, {"extend-selct": []}, "")
    assert caught.value.reason == "unknown key; did you mean `extend-select`?"


def test_a_tables_keys_are_checked_against_its_kind() -> None:
    with pytest.raises(ConfigError) as caught:
        validate(None, {"layers": {"service": []}}, "")
    assert (caught.value.key, caught.value.reason) == (
        "layers.service",
        "unknown layer; did you mean `services`?",
    )


@pytest.mark.parametrize("option", OPTIONS, ids=ROW_IDS)
def test_ruff_fills_only_the_keys_that_fall_back_to_it(option: Option[Any], tmp_path: Path) -> None:
    value = OTHER_VALUES[option.name]
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[tool.ruff]\n{option.name} = {toml_value(value)}\n", encoding="utf-8")
    values = read_config(path).values
    if Fallback.RUFF in option.fallbacks:
        assert values == {option.name: value}
    else:
        assert values == {}


def test_layercheck_values_win_over_the_fallbacks(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        '[project]\nrequires-python = ">=3.11"\n'
        '[tool.ruff]\nsrc = ["ruff"]\ntarget-version = "py312"\n'
        '[tool.layercheck]\nsrc = ["ours"]\ntarget-version = "py313"\n',
        encoding="utf-8",
    )
    assert read_config(path).values == {"src": ["ours"], "target-version": "py313"}


def test_readme_options_table_is_fresh() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start, end = readme_markers("options")
    assert start in readme
    assert end in readme
    table = readme.split(start, 1)[1].split(end, 1)[0]
    assert table == options_table(OPTIONS), (
        "README options table is stale: run `python -m layercheck.explain`"
    )


def test_the_options_table_has_a_line_per_row() -> None:
    lines = options_table(OPTIONS).splitlines()[2:]
    assert [line.split(" | ")[0] for line in lines] == [f"| `{name}`" for name in ROW_IDS]
    target = lines[ROW_IDS.index("target-version")]
    assert "`[tool.ruff]`'s, else the lower bound of `requires-python`" in target
    assert '`"py310"`' in target
