"""`layercheck graph`: the layers of a fixture project and the imports between them, the
violating ones marked with their rules, in each format; the README's picture is the
command's output; the HTML page loads in a real headless browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import FIXTURES, REPO

BAD_APP = FIXTURES / "bad_app"


def _graph(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "layercheck", "graph", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env=env,
        timeout=300,
    )


def test_json_has_layers_counts_and_the_violating_imports() -> None:
    proc = _graph(str(BAD_APP), "--format", "json", "--modules")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    names = [layer["name"] for layer in data["layers"]]
    assert names[:5] == ["routes", "dependencies", "services", "repositories", "models"]
    edge = next(
        e for e in data["layer_edges"] if (e["from"], e["to"]) == ("routes", "repositories")
    )
    assert edge["violations"] == {"LC101": 1}
    fine = next(e for e in data["layer_edges"] if (e["from"], e["to"]) == ("routes", "services"))
    assert fine["violations"] == {}
    assert fine["imports"] >= 1
    bad = [i for i in data["imports"] if i["violations"]]
    assert {
        "from": "app.routes.posts",
        "to": "app.repositories.post_repo",
        "line": 9,
        "violations": ["LC101"],
    } in bad
    # Every module is in one layer band, and every import joins two known modules.
    modules = {m["name"] for m in data["modules"]}
    assert all(i["from"] in modules and i["to"] in modules for i in data["imports"])


def test_the_readme_shows_the_graph_of_the_example_project() -> None:
    proc = _graph("fixtures/bad_app")
    assert proc.returncode == 0, proc.stderr
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- graph: fixtures/bad_app -->\n```mermaid\n(.*?)```", readme, re.S)
    assert found is not None, "the README's graph block is missing"
    assert found.group(1) == proc.stdout, (
        "README graph is stale: run `layercheck graph fixtures/bad_app` and paste it"
    )
    assert "LC101" in proc.stdout
    assert "linkStyle" in proc.stdout


def test_dot_marks_violations_red() -> None:
    proc = _graph(str(BAD_APP), "--format", "dot", "--modules")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("digraph layercheck {")
    line = next(row for row in proc.stdout.splitlines() if "LC101" in row)
    assert "n_app_2e_routes_2e_posts -> n_app_2e_repositories_2e_post__repo" in line
    assert "#d1242f" in line
    assert "posts.py#L9" in line


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (`dot`) is not installed")
def test_svg_is_laid_out_by_graphviz(tmp_path: Path) -> None:
    out = tmp_path / "graph.svg"
    proc = _graph(str(BAD_APP), "--format", "svg", "--modules", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    svg = out.read_text(encoding="utf-8")
    assert "<svg" in svg
    assert "LC101" in svg
    assert "app.routes.posts" in svg


def test_without_graphviz_one_line_and_the_dot_text(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))  # no `dot` here
    proc = _graph(str(BAD_APP), "--format", "svg", env=env)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "Graphviz" in proc.stderr
    assert proc.stdout.startswith("digraph layercheck {")


def test_a_missing_path_is_one_line_exit_2() -> None:
    proc = _graph("no/such/folder")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found is not None:
            return found
    return None


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (`dot`) is not installed")
@pytest.mark.skipif(_browser() is None, reason="no Chromium to load the HTML page in")
def test_the_html_page_loads_in_a_headless_browser(tmp_path: Path) -> None:
    page = tmp_path / "graph.html"
    proc = _graph(str(BAD_APP), "--format", "html", "--modules", "-o", str(page))
    assert proc.returncode == 0, proc.stderr
    browser = _browser()
    assert browser is not None
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"]
    shot = tmp_path / "graph.png"
    subprocess.run(
        [*common, f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert shot.stat().st_size > 10_000  # a picture, not a blank page
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    ).stdout
    assert "<svg" in dom
    assert "Violating imports" in dom
    assert "app.routes.posts" in dom


def test_a_large_module_picture_draws_only_the_reported_imports() -> None:
    from layercheck.diagram.build import Diagram, Import, Module
    from layercheck.diagram.formats import DRAWN_MODULES, to_dot, to_mermaid

    diagram = Diagram()
    for number in range(DRAWN_MODULES + 1):
        name = f"app.services.s{number}"
        diagram.modules[name] = Module(name, "services", Path(f"/p/app/services/s{number}.py"))
    diagram.modules["app.routes.r"] = Module("app.routes.r", "routes", Path("/p/app/routes/r.py"))
    diagram.imports = [
        Import("app.services.s0", "app.services.s1", 1),
        Import("app.services.s2", "app.routes.r", 3, ("LC102",), ("upward",)),
    ]

    def drawn(text: str, a: str, b: str) -> bool:
        return re.search(rf"^\s*{a} -+>(\|[^|]*\| )? ?{b}\b", text, re.M) is not None

    for render in (to_dot, to_mermaid):
        few = render(diagram, True)
        every = render(diagram, True, True)
        assert not drawn(few, "n_app_2e_services_2e_s0", "n_app_2e_services_2e_s1")
        assert drawn(few, "n_app_2e_services_2e_s2", "n_app_2e_routes_2e_r")
        assert drawn(every, "n_app_2e_services_2e_s0", "n_app_2e_services_2e_s1")


def test_a_layer_of_the_projects_own_gets_its_band_in_its_place(tmp_path: Path) -> None:
    from support import write_project

    write_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/services/__init__.py": "",
            "app/services/orders.py": "from app.domain.order import Order\n",
            "app/domain/__init__.py": "",
            "app/domain/order.py": "class Order:\n    pass\n",
            "app/repositories/__init__.py": "",
            "app/repositories/orders.py": "from app.domain.order import Order\n",
        },
        'layer-order = ["routes : dependencies", "services", "domain", "repositories", '
        '"models"]\n\n[tool.layercheck.layers]\ndomain = ["app/domain/**"]\n',
    )
    proc = _graph(str(tmp_path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    names = [layer["name"] for layer in json.loads(proc.stdout)["layers"]]
    assert names.index("services") < names.index("domain") < names.index("repositories")
    edges = {(e["from"], e["to"]): e for e in json.loads(proc.stdout)["layer_edges"]}
    assert edges[("repositories", "domain")]["violations"] == {"LC102": 1}


def test_modules_whose_names_differ_only_by_dot_and_underscore_are_two_boxes() -> None:
    from layercheck.diagram.build import Diagram, Import, Module
    from layercheck.diagram.formats import to_dot, to_mermaid

    diagram = Diagram()
    for name in ("app.services.a_b", "app.services.a.b", "app.services_a.b", "app.routes.r"):
        layer = "routes" if ".routes." in name else "services"
        diagram.modules[name] = Module(name, layer, Path("/p/" + name.replace(".", "/") + ".py"))
    diagram.imports = [Import("app.routes.r", name, 1) for name in list(diagram.modules)[:3]]
    for render in (to_dot, to_mermaid):
        text = render(diagram, True)
        boxes = set(re.findall(r"^\s*(n_\w+)\[", text, re.M)) | set(
            re.findall(r"^\s*(n_\w+) \[label", text, re.M)
        )
        assert len(boxes) == 4, (render.__name__, text)
        edges = re.findall(r"^\s*n_app\w+ -+> ?(n_app\w+)", text, re.M)
        assert len(set(edges)) == 3, (render.__name__, text)
