"""ProjectIndex: what all files together say (layers, class hierarchy, re-exports)."""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Final, NamedTuple, TypeVar, cast

from layercheck.facts import UNKNOWN, ClassFact, FileFacts, FunctionFact, ImportFact
from layercheck.layer_evidence import LayerDecision, LayerEvidence
from layercheck.layers import Layer

_DATABASE_PACKAGES: Final = frozenset({"sqlalchemy", "sqlmodel"})
ROUTER_CLASSES: Final = frozenset(
    {
        "fastapi.APIRouter",
        "fastapi.routing.APIRouter",
        "fastapi.FastAPI",
        "fastapi.applications.FastAPI",
    }
)
_MAX_HOPS: Final = 32
_REMEMBERED: Final = 10_000
"""Derived answers about one name kept before `trim` forgets them: each is about 150
bytes (its key, a tuple of the question and a name, and the entry), and with 50,000 a
rules worker of a cold run of 10,000 generated files held 5 MiB of them after 3,000
files, 7.5 at the bound; asked again after a trim, they are computed again, the same."""
_CLASSES_REMEMBERED: Final = 4_096
"""Fewer of `class_fact`'s: past `spill.DECODED` files each is a copy read from disk."""
_NAMES_KEPT: Final = 10_000
"""Answers of `resolve`, and of `inherits`, kept before they are forgotten (`_bounded`):
a scan of every class of the project asks each once, and with 50,000 each rules worker
of a cold run of 30,000 generated files held 11 MiB more."""
_BINDINGS_KEPT: Final = 512
"""Modules whose bindings `_binding` keeps, the last asked about: each about 1 to 2 KiB
(a pair a module-level name); `resolve` asks about the same few modules name after
name."""
_T = TypeVar("_T")
_K = TypeVar("_K")
_V = TypeVar("_V")
_Use = TypeVar("_Use", str, tuple[str, str])

Compute = Callable[["ProjectIndex", str], bool]
DERIVED: Final[dict[str, Compute]] = {}
"""The derived questions by name (`derived`)."""


def derived(question: str) -> Callable[[Compute], Compute]:
    """Registers `compute(index, subject)` as the answer to `question` about `subject`.
    It must read nothing but the index and the subject. The function it returns asks
    `index.derive`: each answer is computed once per index (in `index.memo`), and a file
    whose reads of the index are recorded reads the answer, not what computing it read,
    so that it is checked again only when the answer changes (index_reads.py)."""

    def register(compute: Compute) -> Compute:
        DERIVED[question] = compute

        def ask(index: ProjectIndex, subject: str) -> bool:
            return index.derive(question, subject)

        return ask

    return register


WHOLE: Final[dict[str, Callable[[ProjectIndex], object]]] = {}
"""The structures of the whole project read as one answer (`whole`), by key."""


def whole(key: str) -> Callable[[Callable[[ProjectIndex], _T]], Callable[[ProjectIndex], _T]]:
    """Registers `build(index)` as the structure `key`, built once per index
    (`index.shared`). A file whose reads are recorded reads the structure as one answer,
    not every question building it asked: for a structure built from every file (the
    Alembic graphs), the reads of each file that uses it would otherwise hold one per
    file of the project, a findings cache quadratic in the project's size."""

    def register(build: Callable[[ProjectIndex], _T]) -> Callable[[ProjectIndex], _T]:
        WHOLE[key] = build

        def get(index: ProjectIndex) -> _T:
            return index.shared(key, build)

        return get

    return register


class IndexState(NamedTuple):
    """What the index's constructor computes from every file's facts (`state_of`):
    given back with the same facts, it is the index built from them, and nothing of the
    facts is read to build it (index_state.py keeps it on disk)."""

    classes: dict[str, tuple[str | tuple[str, ...], ...]]
    functions: dict[str, tuple[str, ...]]
    instances: dict[str, str]
    type_aliases: dict[str, tuple[str, str]]
    decisions: list[LayerDecision]
    """Each file's, by its path sorted (the targets a run names come first in its facts:
    the state serves a run whatever it names)."""
    memo: dict[tuple[str, str], bool]
    """The derived answers the decisions asked for, and those the rules on the files
    checked in the process that kept the state asked for (`learned`)."""
    bodies: dict[str, tuple[tuple[str, str], ...]] | None = None
    """`request_bodies`'s table, when a rule asked for it."""
    routes: dict[str, tuple[str, ...]] | None = None
    """`response_routes`'s table, when a rule asked for it."""
    handled: tuple[str, ...] | None = None
    """`handled_exceptions`'s answer, when a rule asked for it."""
    caught: tuple[tuple[tuple[str, ...], bool, tuple[str, ...]], ...] = ()
    """`caught_in`'s answers the rules asked for: (layers' values sorted, unlayered,
    exceptions sorted)."""
    routers: tuple[str, ...] | None = None
    """The router instances (`_router_instances`), when the layer evidence was made."""
    caught_outside_tests: tuple[str, ...] | None = None
    """`caught_outside_tests`'s answer, when a rule asked for it."""


class ProjectIndex:
    def __init__(self, facts: Iterable[FileFacts], state: IndexState | None = None) -> None:
        """`state`: what `state_of` gave for the same facts, in any order."""
        self.by_path: dict[str, FileFacts] = {}
        self.by_module: dict[str, FileFacts] = {}
        for item in facts:
            self.by_path[item.path] = item
            if item.module:
                self.by_module[item.module] = item
        self._inherits_cache: dict[tuple[str, frozenset[str]], bool] = {}
        self._bases_of: dict[str, tuple[str, ...] | None] = {}
        """`_bases`'s answers: `inherits` and `ancestors` ask it at every step up a
        hierarchy (polar: 173,362 times), each a scan of a module's classes."""
        self._class_facts: dict[str, ClassFact | None] = {}
        """`class_fact`'s answers: rules ask about the same classes at node after node
        (polar: 137,662 questions, 8,093 names), each a scan of a module's classes."""
        self.memo: dict[tuple[str, str], bool] = {}
        self.memo_kept = 0
        """Answers `trim` kept in `memo` the last time it looked."""
        self._response_routes: dict[str, tuple[str, ...]] | None = None
        self._bodies: dict[str, tuple[tuple[str, str], ...]] | None = None
        self._mixins: dict[str, str] | None = None
        self._resolved: dict[str, str] = {}
        """Answers that rule families derive from the index, keyed (question, subject)."""
        self._bindings: OrderedDict[str, tuple[tuple[str, str], ...]] = OrderedDict()
        self._handled: frozenset[str] | None = None
        self._caught: dict[tuple[frozenset[Layer], bool], frozenset[str]] = {}
        self._routers: frozenset[str] | None = None
        self._caught_outside_tests: frozenset[str] | None = None
        self._shared: dict[str, object] = {}
        self._graph: dict[str, tuple[str | int | bool, ...]] | None = None
        self._evidence: LayerEvidence | None = None
        self._decisions: dict[str, LayerDecision] = {}
        # Qualified names are interned: each is the key of several maps here and the
        # value of its module's binding, one string for all of them.
        # Classes and functions by module, by name (no qualified name of each: those
        # and their entries were a third of the index): a module's classes as
        # (names, bases, bases, ...), its functions' names, the names of each module in
        # one string (`_joined`: a string and a pointer a name were some 0.3 KiB a file,
        # held by the parent and inherited by every rules worker); their facts are read
        # from the module's, which may be on disk (spill.py), when asked for.
        self._classes: dict[str, tuple[str | tuple[str, ...], ...]] = {}
        self._functions: dict[str, str] = {}
        self._instances: dict[str, str] = {}
        self._type_aliases: dict[str, tuple[str, str]] = {}
        if state is not None and len(state.decisions) == len(self.by_path):
            # Classes in the order of these facts, as the constructor lists them.
            kept = state.classes
            self._classes = {m: _compact_classes(kept[m]) for m in self.by_module if m in kept}
            self._functions = {m: _joined(names) for m, names in state.functions.items()}
            self._instances, self._type_aliases = state.instances, state.type_aliases
            self._decisions = dict(zip(sorted(self.by_path), state.decisions, strict=True))
            self.memo.update(state.memo)
            self._bodies, self._response_routes = state.bodies, state.routes
            # Scans of every file's facts a rule's question or the layer evidence made:
            # kept with the state, a run that checks one file of a large project makes
            # none of them again.
            if state.handled is not None:
                self._handled = frozenset(state.handled)
            for layers, unlayered, names in state.caught:
                self._caught[(frozenset(map(Layer, layers)), unlayered)] = frozenset(names)
            if state.routers is not None:
                self._routers = frozenset(state.routers)
            if state.caught_outside_tests is not None:
                self._caught_outside_tests = frozenset(state.caught_outside_tests)
            return
        kinds: dict[tuple[str, ...], tuple[str, ...]] = {}
        """Equal bases held once: most classes derive from a few."""
        # Each file's facts read once here and not kept: facts on disk held for the next
        # reader, one file after another, left their garbage among what the index keeps.
        for item in self.by_module.values():
            module = item.module
            classes: tuple[ClassFact, ...] = item.passing("classes")
            if classes:
                of: list[tuple[str, ...]] = []
                for cls in classes:
                    bases = tuple(map(sys.intern, cls.bases))
                    of.append(kinds.setdefault(bases, bases))
                self._classes[module] = (_joined(cls.name for cls in classes), *of)
            functions: tuple[FunctionFact, ...] = item.passing("functions")
            if functions:
                self._functions[module] = _joined(fn.name for fn in functions)
            instances: tuple[tuple[str, str], ...] = item.passing("instances")
            for name, callee in instances:
                self._instances[sys.intern(f"{item.module}.{name}")] = sys.intern(callee)
            aliases: tuple[tuple[str, str, str], ...] = item.passing("type_aliases")
            for name, kind, provider in aliases:
                alias = (sys.intern(kind), sys.intern(provider))
                self._type_aliases[sys.intern(f"{item.module}.{name}")] = alias
        evidence = self._layer_evidence()
        # Most files share a decision (the layer of their folder, no note): one object
        # each, not one a file.
        pool: dict[LayerDecision, LayerDecision] = {}
        for path, item in self.by_path.items():
            decision = evidence.decide(item)
            self._decisions[path] = pool.setdefault(decision, decision)

    def _layer_evidence(self) -> LayerEvidence:
        """Made when first asked: an index given its state decides no file unless a rule
        asks about one that is not in it."""
        if self._evidence is None:
            self._evidence = LayerEvidence(self, self._router_instances())
        return self._evidence

    def derive(self, question: str, subject: str) -> bool:
        """The answer of a `derived` question, computed once."""
        key = (question, subject)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = DERIVED[question](self, subject)
        return found

    def shared(self, key: str, build: Callable[[ProjectIndex], _T]) -> _T:
        """A structure derived from the whole index (the import graph, the Alembic
        graphs), built once per index by `build(index)`. Kept here rather than beside
        the code that builds it so that the findings cache learns what it was built from
        (index_reads.py)."""
        if key not in self._shared:
            self._shared[key] = build(self)
        return cast(_T, self._shared[key])

    # -- names -------------------------------------------------------------------------
    def module_of(self, dotted: str) -> str | None:
        """The longest prefix of `dotted` that is a module of this project."""
        name = dotted
        while name:
            if name in self.by_module:
                return name
            name = name.rpartition(".")[0]
        return None

    def resolve(self, qualified: str) -> str:
        """Follow re-exports and aliases: `app.errors.Gone` -> `app.errors.base.Gone`."""
        cached = self._resolved.get(qualified)
        if cached is not None:
            return cached
        result = self._resolve(qualified)
        _bounded(self._resolved)[qualified] = result
        return result

    def _resolve(self, qualified: str) -> str:
        seen: set[str] = set()
        current = qualified
        for _ in range(_MAX_HOPS):
            if current in seen:
                break
            seen.add(current)
            module = self.module_of(current)
            if module is None or module == current:
                break
            rest = current[len(module) + 1 :]
            head, _, tail = rest.partition(".")
            target = self._binding(module, head)
            if target is None or target == f"{module}.{head}":
                break
            current = f"{target}.{tail}" if tail else target
        return current

    def _binding(self, module: str, name: str) -> str | None:
        """What `name` is bound to at the top of `module` (its last binding); read from
        the module's facts, not copied into a map of every module's names (`resolve`
        keeps its answers). The bindings of the modules asked about last are kept
        (`_BINDINGS_KEPT`), apart from the facts: facts on disk read back to answer
        `resolve` were kept decoded whole, and each such read made the file read longest
        ago forget its fields (10,000 generated files, `-j1`: 38,000 reads)."""
        kept = self._bindings
        bindings = kept.get(module)
        if bindings is None:
            bindings = kept[module] = self.by_module[module].passing("bindings")
            if len(kept) > _BINDINGS_KEPT:
                kept.popitem(last=False)
        else:
            kept.move_to_end(module)
        for bound, target in reversed(bindings):
            if bound == name:
                return target
        return None

    def import_module(self, fact: ImportFact) -> str | None:
        """The project module an import statement brings in (grimp: module before name)."""
        found = self.module_of(fact.target)
        if found is not None and fact.from_module is not None and found != fact.target:
            resolved = self.resolve(fact.target)
            found = self.module_of(resolved) or found
        return found

    # -- classes -----------------------------------------------------------------------
    def _bases(self, resolved: str) -> tuple[str, ...] | None:
        """The bases of the project class `resolved` (its last definition); None when
        it is none."""
        kept = self._bases_of
        if resolved in kept:
            return kept[resolved]
        found = _bounded(kept)[resolved] = self._scan_bases(resolved)
        return found

    def _scan_bases(self, resolved: str) -> tuple[str, ...] | None:
        module, _, name = resolved.rpartition(".")
        defined = self._classes.get(module)
        if defined is None:
            return None
        names = cast(str, defined[0])
        at = names.rfind(f"\0{name}\0")  # the last definition
        if at < 0:
            return None
        return cast(tuple[str, ...], defined[1 + names.count("\0", 0, at)])

    def is_project_class(self, qualified: str) -> bool:
        return self._bases(self.resolve(qualified)) is not None

    def inherits(self, qualified: str, targets: frozenset[str]) -> bool:
        """True when `qualified` is one of `targets` or a project class deriving from one,
        through any number of modules, aliases and re-exports."""
        key = (qualified, targets)
        cached = self._inherits_cache.get(key)
        if cached is not None:
            return cached
        result = False
        pending = [qualified]
        seen: set[str] = set()
        while pending:
            name = pending.pop()
            resolved = self.resolve(name)
            if name in targets or resolved in targets:
                result = True
                break
            if resolved in seen:
                continue
            seen.add(resolved)
            pending.extend(self._bases(resolved) or ())
        _bounded(self._inherits_cache)[key] = result
        return result

    def ancestors(self, qualified: str) -> list[str]:
        """The class and every class it derives from (resolved), nearest first."""
        order: list[str] = []
        pending = [self.resolve(qualified)]
        while pending:
            name = pending.pop(0)
            if name in order:
                continue
            order.append(name)
            pending.extend(self.resolve(base) for base in self._bases(name) or ())
        return order

    def class_fact(self, qualified: str) -> ClassFact | None:
        kept = self._class_facts
        if qualified in kept:
            return kept[qualified]
        # Bounded as it is added to, not only between files: the model-ancestors scan
        # asks about every model of the project within one file, and each answer holds
        # the class's attributes (30,000 files: 9 MiB of a 23 MiB step in each rules
        # worker, which freeing them after the file did not give back).
        found = _bounded(kept, _CLASSES_REMEMBERED)[qualified] = self._class_fact(qualified)
        return found

    def _class_fact(self, qualified: str) -> ClassFact | None:
        resolved = self.resolve(qualified)
        if self._bases(resolved) is None:
            return None
        module, _, name = resolved.rpartition(".")
        # The last definition of a name is the module's.
        return next(cls for cls in reversed(self.by_module[module].classes) if cls.name == name)

    def classes(self) -> list[tuple[str, ClassFact, FileFacts]]:
        """Every project class: (qualified name, facts, its file's facts)."""
        return [
            (f"{item.module}.{cls.name}", cls, item)
            for item in self.by_module.values()
            for cls in item.classes
        ]

    def class_names(self) -> Iterator[str]:
        """The qualified name of every class the project defines, one at a time, in the
        order of `classes()`: from the index's own (name, bases), no file's facts read."""
        for module, defined in self._classes.items():
            for name in _names(cast(str, defined[0])):
                yield f"{module}.{name}"

    def function(self, qualified: str) -> FunctionFact | None:
        resolved = self.resolve(qualified)
        module, _, name = resolved.rpartition(".")
        if f"\0{name}\0" not in self._functions.get(module, ""):
            return None
        return next(fn for fn in reversed(self.by_module[module].functions) if fn.name == name)

    def instance_of(self, qualified: str) -> str | None:
        """The callee that built a module-level `name = Callee(...)`, resolved."""
        callee = self._instances.get(self.resolve(qualified))
        return self.resolve(callee) if callee is not None else None

    def base_mixin(self, qualified: str) -> str | None:
        """The `cls=` class of a `Base = declarative_base(cls=Mixin)`, resolved."""
        if self._mixins is None:
            self._mixins = {
                f"{item.module}.{name}": mixin
                for item in self.by_module.values()
                for name, mixin in item.passing("base_mixins")
            }
        found = self._mixins.get(self.resolve(qualified))
        return self.resolve(found) if found is not None else None

    def type_alias(self, qualified: str) -> tuple[str, str] | None:
        """(type, provider) of a module-level `Name = Annotated[Type, Depends(provider)]`,
        resolved; "" where the alias says nothing."""
        found = self._type_aliases.get(self.resolve(qualified))
        if found is None:
            return None
        kind, provider = found
        return (self.resolve(kind) if kind else "", self.resolve(provider) if provider else "")

    # -- exceptions --------------------------------------------------------------------
    def handled_exceptions(self) -> frozenset[str]:
        """Exceptions that a global handler is registered for, anywhere in the project;
        contains UNKNOWN when some registration names no class the facts can see."""
        if self._handled is None:
            self._handled = frozenset(
                name if name == UNKNOWN else self.resolve(name)
                for item in self.by_path.values()
                for name in item.passing("handlers")
            )
        return self._handled

    def caught_in(self, layers: frozenset[Layer], *, unlayered: bool = False) -> frozenset[str]:
        """Exceptions `except` clauses name in modules of `layers` (and, with
        `unlayered`, of no layer; tests aside)."""
        key = (layers, unlayered)
        found = self._caught.get(key)
        if found is None:
            found = self._caught[key] = frozenset(
                self.resolve(name)
                for path, item in self.by_path.items()
                if self.layer_of_path(path) in layers
                or (unlayered and self.layer_of_path(path) is None and not item.is_test)
                for name in item.passing("catches")
            )
        return found

    def caught_outside_tests(self) -> frozenset[str]:
        """Exceptions `except` clauses name in any module but tests (services catching
        what a helper raises, middleware catching what routes let through)."""
        if self._caught_outside_tests is None:
            self._caught_outside_tests = frozenset(
                self.resolve(name)
                for item in self.by_path.values()
                if not item.is_test
                for name in item.passing("catches")
            )
        return self._caught_outside_tests

    def raised_in(self, layers: frozenset[Layer]) -> frozenset[str]:
        return frozenset(
            self.resolve(name)
            for path, item in self.by_path.items()
            if self.layer_of_path(path) in layers
            for name, _ in item.passing("raises")
        )

    # -- import graph ------------------------------------------------------------------
    def imports_of(self, module: str, *, type_checking: bool = False) -> list[tuple[str, int]]:
        """Project modules a module imports, each with the line of its first import;
        imports under `if TYPE_CHECKING:` count only when asked for."""
        if self._graph is None:
            # Every module's edges, flat (target, line, guarded, target, ...), each target
            # the one string of its name: a tuple and a new string an edge held the
            # graph at 0.85 KiB a module, in each rules worker.
            self._graph = {}
            for name, item in self.by_module.items():
                edges: list[str | int | bool] = []
                for fact in item.passing("imports"):
                    target = self.import_module(fact)
                    if target is not None and target != name:
                        edges += (sys.intern(target), fact.line, fact.type_checking)
                if edges:
                    self._graph[name] = tuple(edges)
        found: dict[str, int] = {}
        flat = self._graph.get(module, ())
        for at in range(0, len(flat), 3):
            if type_checking or not flat[at + 2]:
                found.setdefault(cast(str, flat[at]), cast(int, flat[at + 1]))
        return list(found.items())

    def shows_data_access(self, module: str) -> bool:
        """The module imports SQLAlchemy or sqlmodel, a module of the models layer, or a
        repository module that does: data access, not a `repository.py` that manages git
        repositories. A module the index does not know is taken at its word."""
        key = ("data-access", module)
        known = self.memo.get(key)
        if known is not None:
            return known
        item = self.by_module.get(module)
        if item is None:
            return True
        self.memo[key] = False  # an import cycle does not prove anything
        found = False
        for fact in item.imports:
            if fact.target.split(".")[0] in _DATABASE_PACKAGES:
                found = True
                break
            imported = self.import_module(fact)
            if imported is None or imported == module:
                continue
            layer = self.layer_of_module(imported)
            if layer is Layer.MODELS or (
                layer is Layer.REPOSITORIES and self.shows_data_access(imported)
            ):
                found = True
                break
        self.memo[key] = found
        return found

    def response_routes(self, model: str) -> tuple[str, ...]:
        """The path operations (function names) that send `model` (resolved) as their
        response, registered on a router of the project."""
        found = self._response_routes
        if found is None:
            routers = self._router_instances()
            table: dict[str, set[str]] = {}
            for item in self.by_module.values():
                for receiver, shown, function in item.passing("response_models"):
                    if self.resolve(receiver) in routers:
                        table.setdefault(self.resolve(shown), set()).add(function)
            self._response_routes = found = _pooled(table)
        return found.get(self.resolve(model), ())

    def request_bodies(self, model: str) -> tuple[tuple[str, str], ...]:
        """(method, path) of each path operation that may take `model` (resolved) as its
        body; see `FileFacts.request_bodies`."""
        found = self._bodies
        if found is None:
            table: dict[str, set[tuple[str, str]]] = {}
            unions: dict[str, list[str]] = {}
            for item in self.by_module.values():
                for name, member in item.passing("union_aliases"):
                    unions.setdefault(f"{item.module}.{name}", []).append(member)
            for item in self.by_module.values():
                for _, method, path, shown in item.passing("request_bodies"):
                    name = self.resolve(shown)
                    # a body typed by a union alias takes each of its members
                    for member in (name, *unions.get(name, ())):
                        table.setdefault(self.resolve(member), set()).add((method, path))
            self._bodies = found = _pooled(table)
        return found.get(self.resolve(model), ())

    def shows_request_bodies(self) -> bool:
        """Some path operation of the project takes a project class as its body: then a
        schema no route takes is no request schema, rather than one whose routes are
        elsewhere (a single file checked alone, a package of schemas)."""
        key = ("request-bodies", "")
        known = self.memo.get(key)
        if known is None:
            self.request_bodies("")
            known = any(self.is_project_class(name) for name in self._bodies or {})
            self.memo[key] = known
        return known

    # -- layers ------------------------------------------------------------------------
    def _router_instances(self) -> frozenset[str]:
        if self._routers is None:
            found: set[str] = set()
            for item in self.by_module.values():
                for name, callee in item.passing("instances"):
                    if self.inherits(callee, ROUTER_CLASSES):
                        found.add(f"{item.module}.{name}")
            self._routers = frozenset(found)
        return self._routers

    def layer_of_path(self, path: str) -> Layer | None:
        found = self._decisions.get(path)
        return found.layer if found is not None else None

    def layer_for_facts(self, item: FileFacts) -> Layer | None:
        """The layer of a file, from the index if it is there, else from its own facts."""
        return self.decision(item).layer

    def decision(self, item: FileFacts) -> LayerDecision:
        """The layer of a file with the folder that gave it and why it is not the path's
        (layer_evidence.py)."""
        found = self._decisions.get(item.path)
        return found if found is not None else self._layer_evidence().decide(item)

    def alembic_environment(self, path: str) -> str | None:
        """The folder of the Alembic `env.py` whose environment holds `path` (a module
        beside the revisions, not one of them), else None (layer_evidence.py)."""
        return self._layer_evidence().alembic_environment(path)

    def layer_folder(self, path: str) -> str | None:
        """The folder whose name gave the file its layer (None when no folder did)."""
        found = self._decisions.get(path)
        return found.folder if found is not None else None

    def layer_of_module(self, dotted: str) -> Layer | None:
        module = self.module_of(dotted)
        if module is None:
            return None
        return self.layer_of_path(self.by_module[module].path)


def _pooled(table: dict[str, set[_Use]]) -> dict[str, tuple[_Use, ...]]:
    """Each name's values sorted, equal values and equal tuples of them held once: the
    request bodies of a project are a table of every model a route takes, built in each
    rules worker, and most models share their routes' (method, path) with others (10,000
    generated files: 4,832 names, 12,173 pairs of which 4,758 differ, 2,987 tuples of
    them; 1.2 -> 0.7 MiB)."""
    items: dict[_Use, _Use] = {}
    kinds: dict[tuple[_Use, ...], tuple[_Use, ...]] = {}
    found: dict[str, tuple[_Use, ...]] = {}
    for name, values in table.items():
        kind = tuple(items.setdefault(value, value) for value in sorted(values))
        found[name] = kinds.setdefault(kind, kind)
    return found


def _bounded(kept: dict[_K, _V], limit: int | None = None) -> dict[_K, _V]:
    """`kept` emptied once it holds `limit` (`_NAMES_KEPT`) answers, as it is added to: a scan of
    every class of the project (the settings modules, the model ancestors) asks about
    each once within one file, and its answers, kept until the trim after that file, held
    a name, a key and an entry for every class. Asked again, they are computed again,
    the same."""
    if len(kept) >= (_NAMES_KEPT if limit is None else limit):
        kept.clear()
    return kept


def _joined(names: Iterable[str]) -> str:
    """Names in one string, each after a NUL and the last before one (`\0a\0b\0`): no
    name of Python's holds one, so `\0name\0` is found only as a whole name."""
    return "\0" + "".join(f"{name}\0" for name in names)


def _names(joined: str) -> list[str]:
    """The names `_joined` joined, in order."""
    return joined.split("\0")[1:-1]


def _compact_classes(
    defined: tuple[str | tuple[str, ...], ...],
) -> tuple[str | tuple[str, ...], ...]:
    """A module's classes as `IndexState` keeps them, (name, bases, name, bases, ...), as
    the index holds them, (names joined, bases, bases, ...)."""
    names = (cast(str, defined[at]) for at in range(0, len(defined), 2))
    return (_joined(names), *defined[1::2])


def _listed_classes(
    defined: tuple[str | tuple[str, ...], ...],
) -> tuple[str | tuple[str, ...], ...]:
    """`_compact_classes` undone."""
    listed: list[str | tuple[str, ...]] = []
    for name, bases in zip(_names(cast(str, defined[0])), defined[1:], strict=True):
        listed += (name, bases)
    return tuple(listed)


def state_of(index: ProjectIndex) -> IndexState:
    """What the index's constructor computed; asked before any question, so that the
    answers in `memo` are those the constructor asked for. Not a method: no rule asks
    it, and the rules' view of the index (index_reads.py) notes every method."""
    decisions = [index._decisions[path] for path in sorted(index.by_path)]
    return IndexState(
        {module: _listed_classes(defined) for module, defined in index._classes.items()},
        {module: tuple(_names(names)) for module, names in index._functions.items()},
        index._instances,
        index._type_aliases,
        decisions,
        dict(index.memo),
        index._bodies,
        index._response_routes,
        None if index._handled is None else tuple(sorted(index._handled)),
        tuple(
            (tuple(sorted(layer.value for layer in layers)), unlayered, tuple(sorted(names)))
            for (layers, unlayered), names in index._caught.items()
        ),
        None if index._routers is None else tuple(sorted(index._routers)),
        None if index._caught_outside_tests is None else tuple(sorted(index._caught_outside_tests)),
    )


def learned(index: ProjectIndex) -> int:
    """How many answers about the whole project the index holds (`trim` forgets none of
    them): the model ancestors, `orm`'s scans, the request bodies and response routes.
    Each costs a scan of every file's facts, and a run that checks one file of a large
    project asks for them: when a run learned some, the state is kept again with them,
    and the next run on the same facts scans nothing."""
    whole = sum(1 for question, subject in index.memo if not subject or question not in DERIVED)
    scans = (index._handled is not None) + len(index._caught) + (index._routers is not None)
    scans += index._caught_outside_tests is not None
    return whole + (index._bodies is not None) + (index._response_routes is not None) + scans


def trim(index: ProjectIndex) -> None:
    """Forget the answers the index keeps of a kind once there are more than
    `_NAMES_KEPT` (`resolve`, `inherits`) or `_REMEMBERED` (derived): asked again, they
    are computed again, the same; kept, they would grow with each file checked (a file's
    own names are asked about once). Called between files, never while an answer is
    being computed. Not a method: the rules never call it, and every method of the index
    is a question they may ask (index_reads.py)."""
    for kept in (index._resolved, index._inherits_cache, index._bases_of):
        if len(kept) > _NAMES_KEPT:
            kept.clear()
    if len(index._class_facts) > _CLASSES_REMEMBERED:
        index._class_facts.clear()
    # Of the derived answers, only those about one name are forgotten: a question about
    # the whole project stores its answer (`uses-async`, no subject) or one for each
    # module or class at once (`orm`'s loaded-async scan, the model ancestors: stored
    # in `memo` under keys no `derive` question has), and forgotten, the next file to ask
    # scans every file's facts again, a run quadratic in the project (100,000 files:
    # most of a rules worker's time). What is kept is counted, so that a trim looks
    # again only after as many new answers.
    memo = index.memo
    if len(memo) > index.memo_kept + _REMEMBERED:
        for key in [key for key in memo if key[1] and key[0] in DERIVED]:
            del memo[key]
        index.memo_kept = len(memo)
