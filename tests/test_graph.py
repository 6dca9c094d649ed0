"""graph.py: shortest import chains, distinct chains (pop and repeat), cycles, rendering;
and LC104's chain as the CLI prints it for fixtures/transitive_app."""

from __future__ import annotations

from support import REPO, run_cli

from layercheck.graph import ImportGraph, render
from layercheck.model import ChainLink


def graph(*links: str) -> ImportGraph:
    """`"a -> b:3"`: a imports b at line 3 (line 1 when omitted)."""
    built = ImportGraph()
    for text in links:
        importer, _, rest = text.partition(" -> ")
        imported, _, line = rest.partition(":")
        built.add_import(importer=importer, imported=imported, line=int(line or 1))
    return built


def modules(chain: tuple[ChainLink, ...] | None) -> list[str]:
    assert chain is not None
    return [chain[0].importer, *(link.imported for link in chain)]


def test_shortest_chain_prefers_fewest_links() -> None:
    found = graph("a -> b", "b -> c", "c -> d", "a -> e", "e -> d")
    chain = found.shortest_chain(importer="a", imported="d")
    assert modules(chain) == ["a", "e", "d"]


def test_shortest_chain_keeps_lines() -> None:
    found = graph("a -> b:4", "b -> c:7")
    assert found.shortest_chain(importer="a", imported="c") == (
        ChainLink(importer="a", imported="b", line=4),
        ChainLink(importer="b", imported="c", line=7),
    )


def test_no_chain() -> None:
    found = graph("a -> b", "c -> a")
    assert found.shortest_chain(importer="a", imported="c") is None
    assert found.shortest_chain(importer="a", imported="a") is None
    assert found.shortest_chain(importer="missing", imported="a") is None


def test_avoided_modules_are_not_passed_through() -> None:
    found = graph("a -> s", "s -> r", "a -> u", "u -> v", "v -> r")
    assert modules(found.shortest_chain(importer="a", imported="r")) == ["a", "s", "r"]
    chain = found.shortest_chain(importer="a", imported="r", avoid=frozenset({"s"}))
    assert modules(chain) == ["a", "u", "v", "r"]
    assert found.shortest_chain(importer="a", imported="r", avoid=frozenset({"s", "v"})) is None


def test_cycles_terminate() -> None:
    found = graph("a -> b", "b -> c", "c -> a", "c -> b", "b -> a")
    assert found.shortest_chain(importer="a", imported="z") is None
    assert modules(found.shortest_chain(importer="a", imported="c")) == ["a", "b", "c"]
    assert found.distances(targets=frozenset({"z"})) == {}
    assert found.chains(importer="a", imported="z") == []


def test_distinct_chains_pop_and_repeat() -> None:
    found = graph("a -> b", "b -> d", "a -> c", "c -> d", "a -> e", "e -> f", "f -> d")
    chains = found.chains(importer="a", imported="d")
    assert [modules(chain) for chain in chains] == [
        ["a", "b", "d"],
        ["a", "c", "d"],
        ["a", "e", "f", "d"],
    ]
    # The search works on a copy: the graph itself keeps every import.
    assert modules(found.shortest_chain(importer="a", imported="d")) == ["a", "b", "d"]


def test_distinct_chains_share_no_link() -> None:
    found = graph("a -> b", "b -> c", "b -> d", "c -> e", "d -> e")
    chains = found.chains(importer="a", imported="e")
    assert [modules(chain) for chain in chains] == [["a", "b", "c", "e"]]
    assert len(found.chains(importer="a", imported="e", limit=0)) == 0


def test_nearest_chain_to_any_target() -> None:
    found = graph("r -> u", "u -> w", "w -> repo1", "u -> x", "x -> y", "y -> repo2", "r -> s")
    targets = frozenset({"repo1", "repo2"})
    assert modules(found.nearest_chain(importer="u", targets=targets)) == ["u", "w", "repo1"]
    assert found.distances(targets=targets)["r"] == 3
    assert found.nearest_chain(importer="repo1", targets=targets) is None
    assert found.nearest_chain(importer="s", targets=targets) is None
    avoided = found.nearest_chain(importer="u", targets=targets, avoid=frozenset({"w"}))
    assert modules(avoided) == ["u", "x", "y", "repo2"]


def test_nearest_chain_follows_source_order_on_ties() -> None:
    found = graph("r -> m2:1", "r -> m1:2", "m1 -> t", "m2 -> t")
    assert modules(found.nearest_chain(importer="r", targets=frozenset({"t"}))) == ["r", "m2", "t"]


def test_distances_are_recomputed_after_a_change() -> None:
    found = graph("a -> b", "b -> t")
    targets = frozenset({"t"})
    assert found.distances(targets=targets)["a"] == 2
    found.remove_import(importer="b", imported="t")
    assert "a" not in found.distances(targets=targets)


def test_render() -> None:
    chain = (
        ChainLink(importer="app.routes.users", imported="app.utils.helpers", line=3),
        ChainLink(importer="app.utils.helpers", imported="app.repositories.user", line=1),
    )
    assert render(chain) == "app.routes.users -> app.utils.helpers -> app.repositories.user"
    assert render(()) == ""


def test_cli_prints_the_chain_of_transitive_repository_access() -> None:
    proc = run_cli("fixtures/transitive_app", cwd=REPO)
    assert (proc.returncode, proc.stderr) == (1, "")
    prefix = "route reaches the repository layer without a service: "
    assert proc.stdout.splitlines() == [
        "fixtures/transitive_app/app/routes/greetings.py:3:1: LC104 "
        + prefix
        + "app.routes.greetings -> app.utils.formatting -> app.utils.helpers"
        " -> app.repositories.user",
        "fixtures/transitive_app/app/routes/orders.py:13:5: LC104 "
        + prefix
        + "app.routes.orders -> app.utils.money -> app.utils.totals -> app.repositories.order",
        "fixtures/transitive_app/app/routes/users.py:5:1: LC104 "
        + prefix
        + "app.routes.users -> app.utils.helpers -> app.repositories.user",
        "Found 3 errors.",
    ]


def test_full_output_lists_each_link_with_its_line() -> None:
    proc = run_cli("fixtures/transitive_app", "--output-format", "full", cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    assert (
        "  = chain: app.routes.users -> app.utils.helpers (l.5)\n"
        "           app.utils.helpers -> app.repositories.user (l.3)\n"
    ) in proc.stdout
