"""`layer-order`, `closed-layers` and layers of a project's own, through the CLI on copies of
the bad_app fixture project and on small projects; the built-in order is the default."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from projects import assert_usage_error
from support import run_cli, write_project

from layercheck.layer_order import LayerOrder, LayerOrderError
from layercheck.layers import SHARED_LAYERS, Layer

BUILT_IN = '["routes : dependencies", "services", "repositories", "models"]'
KNOWN = ("routes", "dependencies", "services", "repositories", "models", "schemas", "core")


def _configure(root: Path, config: str) -> None:
    """Replace what the fixture's `[tool.layercheck]` table says (the file's last table)."""
    path = root / "pyproject.toml"
    head = path.read_text().split("[tool.layercheck]\n")[0]
    path.write_text(f"{head}[tool.layercheck]\n{config}\n")


def _found(root: Path, *args: str) -> set[tuple[str, str, int, str]]:
    proc = run_cli("--select", "LC1", "--output-format", "json", "--no-cache", *args, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    return {
        (
            item["code"],
            Path(item["filename"]).relative_to(root).as_posix(),
            item["location"]["row"],
            item["message"],
        )
        for item in json.loads(proc.stdout)
    }


def test_the_built_in_order_written_out_changes_nothing(bad_app: Path) -> None:
    _configure(bad_app, "")
    before = _found(bad_app, ".")
    assert any(code == "LC102" for code, _, _, _ in before)
    _configure(bad_app, f"layer-order = {BUILT_IN}")
    assert _found(bad_app, ".") == before


def test_a_layer_of_the_projects_own(bad_app: Path) -> None:
    _configure(bad_app, "")
    before = _found(bad_app, ".")
    _configure(
        bad_app,
        'layer-order = ["routes : dependencies", "services", "repositories", "utils", "models"]\n'
        '[tool.layercheck.layers]\nutils = ["app/utils/**"]',
    )
    after = _found(bad_app, ".")
    assert after - before == {
        (
            "LC102",
            "app/utils/post_lookup.py",
            6,
            "`app.repositories.post_repo` (repositories layer) imported from the lower utils layer",
        )
    }
    assert before - after == set()


def test_a_layer_of_the_projects_own_through_the_caches(tmp_path: Path) -> None:
    files = {
        "app/services/billing.py": "def charge():\n    pass\n",
        "app/domain/pricing.py": "from app.services.billing import charge\n",
    }
    config = (
        'layer-order = ["services", "domain"]\n[tool.layercheck.layers]\ndomain = ["app/domain/**"]'
    )
    write_project(tmp_path, files, config)
    runs = [
        run_cli("--select", "LC102", "--output-format", "concise", *extra, cwd=tmp_path)
        for extra in ((), (), ("--no-cache",))
    ]
    line = (
        "app/domain/pricing.py:1:1: LC102 `app.services.billing` (services layer) imported "
        "from the lower domain layer"
    )
    assert [run.stdout.splitlines()[0] for run in runs] == [line] * 3
    # A facts cache written with the layer, read by settings that no longer have it.
    write_project(tmp_path, files)
    assert run_cli("--select", "LC102", cwd=tmp_path).stdout == "All checks passed!\n"


def test_a_closed_layer_may_not_be_skipped(tmp_path: Path) -> None:
    files = {
        "app/repositories/users.py": "X = 1\n",
        "app/services/users.py": "from app.repositories import users\n",
        "app/api/deps.py": "from app.repositories.users import X\nfrom app.services import users\n",
    }
    write_project(tmp_path, files)
    assert _found(tmp_path, ".") == set()
    write_project(tmp_path, files, 'closed-layers = ["services"]')
    assert _found(tmp_path, ".") == {
        (
            "LC101",
            "app/api/deps.py",
            1,
            "`app.repositories.users` (repositories layer) imported in the dependencies layer; "
            "go through the closed services layer",
        )
    }


def test_the_settings_show_the_order(tmp_path: Path) -> None:
    write_project(tmp_path, {}, 'closed-layers = ["services"]')
    proc = run_cli("--show-settings", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    shown = dict(line.split(" = ", 1) for line in proc.stdout.splitlines() if " = " in line)
    assert json.loads(shown["layer-order"]) == json.loads(BUILT_IN)
    assert json.loads(shown["closed-layers"]) == ["services"]


@pytest.mark.parametrize(
    ("config", "key", "needle"),
    [
        ('layer-order = ["routes", "servics"]', "layer-order", "did you mean `services`?"),
        ('layer-order = ["routes", "domain"]', "layer-order", "unknown layer `domain`"),
        ('layer-order = ["routes : services", "routes"]', "layer-order", "listed twice"),
        ('layer-order = ["shared", "core"]', "layer-order", "`core` is listed twice"),
        ('layer-order = ["migrations"]', "layer-order", "unknown layer `migrations`"),
        ('closed-layers = ["schemas"]', "closed-layers", "not in `layer-order`"),
        ('closed-layers = ["domain"]', "closed-layers", "unknown layer `domain`"),
        ('[tool.layercheck.layers]\ndomain = ["app/domain/**"]', "layers.domain", "unknown layer"),
    ],
)
def test_a_bad_order_is_one_line_and_exit_2(
    tmp_path: Path, config: str, key: str, needle: str
) -> None:
    write_project(tmp_path, {"app/services/users.py": "X = 1\n"}, config)
    assert_usage_error(run_cli(".", cwd=tmp_path), f"tool.layercheck.{key}", needle)


def test_an_order_given_on_the_command_line_is_blamed_there(tmp_path: Path) -> None:
    write_project(tmp_path, {"app/services/users.py": "X = 1\n"})
    proc = run_cli("--config", 'layer-order = ["routes", "servics"]', ".", cwd=tmp_path)
    assert "command line" in assert_usage_error(proc, "layer-order", "servics")


def test_levels_and_shared_layers() -> None:
    order = LayerOrder.parse(["routes : dependencies", "services", "models"], ["services"], KNOWN)
    assert order.forbidden(Layer.ROUTES) == frozenset()
    assert order.forbidden(Layer.DEPENDENCIES) == frozenset()
    assert order.forbidden(Layer.MODELS) == {Layer.ROUTES, Layer.DEPENDENCIES, Layer.SERVICES}
    # A shared layer left out sits just above the lowest level.
    assert order.forbidden(Layer.CORE) == {Layer.ROUTES, Layer.DEPENDENCIES, Layer.SERVICES}
    assert order.forbidden(Layer.MIGRATIONS) == frozenset()
    assert order.skipped(Layer.ROUTES, Layer.MODELS) is Layer.SERVICES
    assert order.skipped(Layer.ROUTES, Layer.SERVICES) is None
    assert order.skipped(Layer.MODELS, Layer.ROUTES) is None
    bottom = LayerOrder.parse(["services", "models", "shared"], [], KNOWN)
    assert bottom.forbidden(Layer.SCHEMAS) == {Layer.SERVICES, Layer.MODELS}
    assert bottom.layers == {Layer.SERVICES, Layer.MODELS} | SHARED_LAYERS
    with pytest.raises(LayerOrderError):
        LayerOrder.parse(["services"], ["models"], KNOWN)


def test_layers_are_interned_values() -> None:
    domain = Layer("domain")
    assert domain is Layer("domain")
    assert pickle.loads(pickle.dumps(domain)) is domain
    assert pickle.loads(pickle.dumps(Layer.ROUTES)) is Layer.ROUTES
    assert Layer("routes") is Layer.ROUTES
    assert domain.rank is None
    assert not domain.builtin
    assert Layer.SERVICES.rank == 3
    assert Layer.SERVICES.builtin
    assert Layer.MIGRATIONS in list(Layer)
    assert domain not in list(Layer)
    assert Layer.known("domain") is domain
    with pytest.raises(KeyError):
        Layer.known("nowhere")
    with pytest.raises(AttributeError):
        domain.value = "x"  # type: ignore[misc]
