"""What a file's findings read of the project index, so that the findings cache can tell
whether they still hold for another index.

The rules pass hands the rules a `ReadingIndex` instead of the index: it answers every
question as the index does and notes the question (`("resolve", "app.errors.Gone")`,
`("by_module", "app.models")`...). When the file is done, each question is asked again of
the index and its answer hashed: the file's reads are (question, answer hash) pairs.
Findings are a function of the file, its settings and these answers, so on a later run
with another index they hold when every question still gets the same answer
(`Replay.holds`): a base class changed in another module changes the answer to
`("inherits", ...)` and the file is checked again; a change nobody asked about re-checks
nothing.

Derived answers (`index.derive`, registered with `index.derived`: is this a declarative
model, does the project use async sessions) are questions of their own: a file that asks
one reads its answer, not what computing it read.

Two more things keep answers across files, and carry what they were built from:
- `index.memo` (derived answers keyed (question, subject)): a value stored while a file
  is checked depends on the questions asked since the `memo` lookup that missed it (or,
  with no such lookup, on everything asked for the file so far); a later file that reads
  it reads those questions too.
- `index.shared(key, build)` (the import graph): `build` runs on the reading index, so
  the questions it asks become the structure's reads. A structure registered with
  `index.whole` (the Alembic graphs, built from every file) is read as one question
  instead, ("whole", key), whose answer is the structure: each file that uses it
  would otherwise read one question a file of the project.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from json.encoder import encode_basestring_ascii as _encode_string
from typing import Any, Final, TypeVar, cast

# Registers the structures it builds (`whole`): a replay may ask for one before any rule
# that uses it is imported.
import layercheck.alembic_graph  # noqa: F401
from layercheck.cache import facts_digest
from layercheck.facts import ClassFact, FileFacts, FunctionFact, ImportFact
from layercheck.index import WHOLE, ProjectIndex
from layercheck.layer_evidence import LayerDecision
from layercheck.layers import Layer

_T = TypeVar("_T")

Question = tuple[Any, ...]
"""The name of what was asked and its arguments, JSON-able: sets are sorted lists, an
import statement is its fields, a file's facts are its path."""

Marker = tuple[str, Any]
"""("memo", key) or ("shared", key): a value that carries reads of its own."""

Reads = list[tuple[str, str]]
"""(question as JSON, hash of its answer), sorted."""

EVERYTHING: Final = ("everything",)
"""The question whose answer is every file's facts: what a value read from the memo
depends on when nobody saw it computed."""


def _facts(index: ProjectIndex, path: str) -> FileFacts | None:
    return index.by_path.get(path)


def _decision(index: ProjectIndex, path: str) -> LayerDecision | None:
    item = index.by_path.get(path)
    return index.decision(item) if item is not None else None


def _layer(index: ProjectIndex, path: str) -> Layer | str | None:
    item = index.by_path.get(path)
    return index.layer_for_facts(item) if item is not None else "-"


def _layers(values: list[str]) -> frozenset[Layer]:
    return frozenset(Layer(value) for value in values)


# How each question is asked of an index. A method of ProjectIndex missing here is
# missing in ReadingIndex too, and tests/test_index_reads.py fails.
QUESTIONS: Final[dict[str, Callable[..., object]]] = {
    "derive": ProjectIndex.derive,
    "module_of": ProjectIndex.module_of,
    "resolve": ProjectIndex.resolve,
    "import_module": lambda index, *fields: index.import_module(ImportFact(*fields)),
    "is_project_class": ProjectIndex.is_project_class,
    "inherits": lambda index, name, targets: index.inherits(name, frozenset(targets)),
    "ancestors": ProjectIndex.ancestors,
    "class_fact": ProjectIndex.class_fact,
    "classes": ProjectIndex.classes,
    "class_names": lambda index: list(index.class_names()),
    "function": ProjectIndex.function,
    "instance_of": ProjectIndex.instance_of,
    "type_alias": ProjectIndex.type_alias,
    "handled_exceptions": ProjectIndex.handled_exceptions,
    "caught_in": lambda index, layers, unlayered=False: index.caught_in(
        _layers(layers), unlayered=unlayered
    ),
    "caught_outside_tests": ProjectIndex.caught_outside_tests,
    "base_mixin": ProjectIndex.base_mixin,
    "request_bodies": ProjectIndex.request_bodies,
    "shows_request_bodies": ProjectIndex.shows_request_bodies,
    "alembic_environment": ProjectIndex.alembic_environment,
    "raised_in": lambda index, layers: index.raised_in(_layers(layers)),
    "imports_of": lambda index, module, guarded: index.imports_of(module, type_checking=guarded),
    "shows_data_access": ProjectIndex.shows_data_access,
    "response_routes": ProjectIndex.response_routes,
    "layer_of_path": ProjectIndex.layer_of_path,
    "layer_for_facts": _layer,
    "decision": _decision,
    "layer_folder": ProjectIndex.layer_folder,
    "layer_of_module": ProjectIndex.layer_of_module,
    "by_path": _facts,
    "by_module": lambda index, module: index.by_module.get(module),
    "by_path.keys": lambda index: sorted(index.by_path),
    "by_module.keys": lambda index: sorted(index.by_module),
    "by_path.all": lambda index: sorted(index.by_path.items()),
    "by_module.all": lambda index: sorted(index.by_module.items()),
    "everything": lambda index: sorted(index.by_path.items()),
    "whole": lambda index, key: index.shared(key, WHOLE[key]),
}


class _Hasher:
    """Answers as hashes; a file's facts by the digest the facts cache gives them."""

    def __init__(self, digests: Mapping[str, str] | None = None) -> None:
        # The caller's map, not a copy of it: a run's by every path of the project (at
        # 100,000 files some 5 MiB a dict), held by the run through the rules pass and
        # inherited by each worker; the digests made here are those of facts it lacks.
        self._given: Mapping[str, str] = digests if digests is not None else {}
        self._made: dict[str, str] = {}

    def canonical(self, value: object) -> object:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, enum.Enum | Layer):
            return value.value
        if isinstance(value, FileFacts):
            return ["facts", value.path, self._digest(value)]
        if isinstance(value, tuple | list):
            return [self.canonical(item) for item in value]
        if isinstance(value, frozenset | set):
            return sorted((self.canonical(item) for item in value), key=json.dumps)
        if isinstance(value, dict):
            return sorted(
                ([self.canonical(k), self.canonical(v)] for k, v in value.items()), key=json.dumps
            )
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = dataclasses.fields(value)
            return [type(value).__name__, *(self.canonical(getattr(value, f.name)) for f in fields)]
        raise TypeError(f"no canonical form for {type(value).__name__}")

    def _digest(self, facts: FileFacts) -> str:
        digest = self._given.get(facts.path)
        if digest is None:
            digest = self._made.get(facts.path)
            if digest is None:
                digest = self._made[facts.path] = facts_digest(facts)
        return digest

    def files_hash(self, files: Mapping[str, FileFacts]) -> str:
        """`_hash(json.dumps(self.canonical(sorted(files.items())), separators=(",",
        ":")))`, the answer that lists every file (a rule that looks at the whole
        project), without the recursion: thousands of files, asked on every run. Hashed
        a file at a time: the text of every file at once (made in pieces, joined, copied
        and encoded, some 150 bytes a file each time) was the largest thing a rules
        worker made, for a moment, and the pages it took stayed with the process."""
        digest = self._digest
        hashed = hashlib.sha256(b"[")
        separator = ""
        for name in sorted(files):
            facts = files[name]
            piece = (
                f'{separator}[{_encode_string(name)},["facts",{_encode_string(facts.path)},'
                f"{_encode_string(digest(facts))}]]"
            )
            hashed.update(piece.encode("utf-8", "surrogateescape"))
            separator = ","
        hashed.update(b"]")
        return hashed.hexdigest()[:16]

    def answer(self, index: ProjectIndex, question: Question) -> str:
        """The hash of the index's answer to `question` ("!" when it cannot be asked)."""
        try:
            files = _FILE_LISTS.get(question[0])
            if files is not None and len(question) == 1:
                return self.files_hash(files(index))
            found = QUESTIONS[question[0]](index, *question[1:])
            constant = _CONSTANT_HASHES.get(found) if _is_constant(found) else None
            if constant is not None:
                return constant
            text = _flat_json(found) if type(found) is str else None
            if text is None:
                text = json.dumps(self.canonical(found), separators=(",", ":"))
        except (KeyError, TypeError, ValueError, IndexError):
            return "!"
        return _hash(text)


_FILE_LISTS: Final[dict[str, Callable[[ProjectIndex], dict[str, FileFacts]]]] = {
    "by_path.all": lambda index: index.by_path,
    "by_module.all": lambda index: index.by_module,
    "everything": lambda index: index.by_path,
}
"""Questions whose answer is (name, facts) pairs, one per file, in the order of the
names: `QUESTIONS` lists them so; `_Hasher.files_hash` reads them from the map."""


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _is_constant(value: object) -> bool:
    return value is None or value is True or value is False


# Most answers are yes, no or nothing (derived answers, `inherits`): their hashes once.
_CONSTANT_HASHES: Final[dict[object, str]] = {
    value: _hash(json.dumps(value)) for value in (None, True, False)
}


def _flat_json(value: object) -> str | None:
    """`json.dumps(value, separators=(",", ":"))` for a string, or a tuple of strings,
    ints, booleans, None and such tuples (most questions, and many answers), without
    the encoder's machinery; None for anything else."""
    if type(value) is str:
        return _encode_string(value)
    if type(value) is not tuple:
        return None
    parts: list[str] = []
    for item in value:
        kind = type(item)
        if kind is str:
            parts.append(_encode_string(item))
        elif item is None or kind is bool:
            parts.append(_CONSTANT_JSON[item])
        elif kind is int:
            parts.append(int.__repr__(item))
        elif kind is tuple:
            # The targets of `inherits`: a question as JSON is made each time it is
            # asked again, not only the first time.
            inner = _flat_json(item)
            if inner is None:
                return None
            parts.append(inner)
        else:
            return None
    return "[" + ",".join(parts) + "]"


_CONSTANT_JSON: Final[dict[object, str]] = {None: "null", True: "true", False: "false"}


class Replay:
    """Whether recorded reads still hold for `index`: each question asked once."""

    def __init__(self, index: ProjectIndex, digests: Mapping[str, str] | None = None) -> None:
        self._index = index
        self._hasher = _Hasher(digests)
        self._known: dict[str, str] = {}

    def holds(self, question: str, answer: str) -> bool:
        found = self._known.get(question)
        if found is None:
            try:
                asked = json.loads(question)
            except ValueError:
                asked = None
            if isinstance(asked, list) and asked and isinstance(asked[0], str):
                found = self._hasher.answer(self._index, tuple(asked))
            else:
                found = "!"
            self._known[question] = found
        return found == answer and found != "!"


@dataclasses.dataclass(frozen=True, slots=True)
class _Link:
    """What a value stored without a frame of its own carries: everything seen for the
    file so far, as what was seen since the last such value (`items`) and what that one
    carried (`parent`). Values stored one after another share their past instead of
    each holding a copy of it: a scan that stores one value a module, reading as it
    goes, would otherwise hold as many copies as modules."""

    items: frozenset[Question | Marker]
    parent: _Link | None


class _Frames:
    """The questions asked for the file being checked, and for each memo value being
    computed (a frame opened by the lookup that missed it)."""

    def __init__(self) -> None:
        self.stack: list[tuple[object, set[Question | Marker]]] = []
        self.carried: dict[Marker, frozenset[Question | Marker] | _Link] = {}
        """What each memo or shared value was computed from."""
        self._chain: _Link | None = None
        """What the last value stored without a frame carries."""
        self._fresh: list[Question | Marker] = []
        """What was seen since then."""

    def note(self, item: Question | Marker) -> None:
        if self.stack:
            items = self.stack[-1][1]
            if item not in items:
                items.add(item)
                if self._chain is None or self.carried.get(item) is not self._chain:
                    self._fresh.append(item)

    def open(self, marker: Marker) -> None:
        self.stack.append((marker, set()))

    def begin(self) -> None:
        """A new file: nothing seen."""
        self.stack.clear()
        self._chain = None
        self._fresh = []
        self.open(("file", ""))

    def close(self, marker: Marker) -> None:
        """The value of `marker` was stored: it carries what its frame saw, or, when no
        frame was opened for it, everything seen for this file so far."""
        depth = next(
            (i for i in range(len(self.stack) - 1, 0, -1) if self.stack[i][0] == marker), None
        )
        if depth is None:
            # Everything seen so far: every item noted since `begin` went to `_fresh`
            # once, and what a closed frame held was noted in it first.
            if self._fresh or self._chain is None:
                self._chain = _Link(frozenset(self._fresh) - {marker}, self._chain)
                self._fresh = []
            self.carried[marker] = self._chain
        else:
            seen: set[Question | Marker] = set()
            while len(self.stack) > depth:
                seen |= self.stack.pop()[1]
            self.carried[marker] = frozenset(seen - {marker})
            self.note_all(seen)
        self.note(marker)

    def note_all(self, items: set[Question | Marker]) -> None:
        if self.stack:
            self.stack[-1][1].update(items)

    def finish(self) -> set[Question]:
        """Every question the file's findings read, values' reads included."""
        seen: set[Question | Marker] = set()
        for _, items in self.stack:
            seen |= items
        self.stack.clear()
        self._chain = None
        self._fresh = []
        questions: set[Question] = set()
        done: set[Marker] = set()
        taken: set[int] = set()  # the links already expanded: many values share them
        pending = list(seen)
        while pending:
            item = pending.pop()
            if item[0] in ("memo", "shared") and len(item) == 2 and isinstance(item, tuple):
                marker = cast(Marker, item)
                if marker in done:
                    continue
                done.add(marker)
                carried = self.carried.get(marker)
                if carried is None:
                    questions.add(EVERYTHING)
                elif isinstance(carried, _Link):
                    link: _Link | None = carried
                    while link is not None and id(link) not in taken:
                        taken.add(id(link))
                        pending.extend(link.items)
                        link = link.parent
                else:
                    pending.extend(carried)
            else:
                questions.add(item)
        return questions


class _Memo(dict[tuple[str, str], bool]):
    """The index's memo, noting which values a file reads and what each was built from."""

    def __init__(self, frames: _Frames, values: Mapping[tuple[str, str], bool]) -> None:
        super().__init__(values)
        self._frames = frames

    def get(self, key: tuple[str, str], default: Any = None) -> Any:
        if dict.__contains__(self, key):
            self._frames.note(("memo", key))
            return dict.__getitem__(self, key)
        self._frames.open(("memo", key))
        return default

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            self._frames.note(("memo", key))
            return True
        self._frames.open(("memo", key))
        return False

    def __getitem__(self, key: tuple[str, str]) -> bool:
        self._frames.note(("memo", key))
        return dict.__getitem__(self, key)

    def __setitem__(self, key: tuple[str, str], value: bool) -> None:
        dict.__setitem__(self, key, value)
        self._frames.close(("memo", key))

    def setdefault(self, key: tuple[str, str], default: bool = False) -> bool:
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, key)


class _Files(dict[str, FileFacts]):
    """`by_path` or `by_module`, noting what is looked up and what is walked. A view of
    the index's map, holding nothing of its own (a dict for the rules' type only): a
    copy was an entry a file, twice, in the parent and in each rules worker (at
    100,000 files some 5 MiB a copy)."""

    def __init__(self, name: str, frames: _Frames, values: dict[str, FileFacts]) -> None:
        super().__init__()
        self._name = name
        self._frames = frames
        self._values = values

    def get(self, key: str, default: Any = None) -> Any:
        self._frames.note((self._name, key))
        return self._values.get(key, default)

    def __getitem__(self, key: str) -> FileFacts:
        self._frames.note((self._name, key))
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        self._frames.note((self._name, key))
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        self._frames.note((f"{self._name}.keys",))
        return iter(self._values)

    def __len__(self) -> int:
        self._frames.note((f"{self._name}.keys",))
        return len(self._values)

    def __bool__(self) -> bool:
        self._frames.note((f"{self._name}.keys",))
        return bool(self._values)

    def __repr__(self) -> str:
        return repr(self._values)

    def keys(self) -> Any:
        self._frames.note((f"{self._name}.keys",))
        return self._values.keys()

    def values(self) -> Any:
        self._frames.note((f"{self._name}.all",))
        return self._values.values()

    def items(self) -> Any:
        self._frames.note((f"{self._name}.all",))
        return self._values.items()

    # The dict base holds nothing, so every dict method the base would answer from its
    # own (empty) table is answered from the index's map, or refused if it would write.
    def __reversed__(self) -> Iterator[str]:
        self._frames.note((f"{self._name}.keys",))
        return reversed(self._values)

    def copy(self) -> dict[str, FileFacts]:
        self._frames.note((f"{self._name}.all",))
        return dict(self._values)

    def __eq__(self, other: object) -> bool:
        self._frames.note((f"{self._name}.all",))
        return self._values == other

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __or__(self, other: Any) -> Any:
        return self.copy() | other

    def __ror__(self, other: Any) -> Any:
        return other | self.copy()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"the reading index's {self._name} is read-only")

    __setitem__ = __delitem__ = __ior__ = _refuse
    setdefault = pop = popitem = update = clear = _refuse


ANSWERS_KEPT: Final = 20_000
"""The answers hashed that a `ReadingIndex` keeps before forgetting them all."""


class ReadingIndex(ProjectIndex):
    """The index as the rules see it while their reads are recorded. It holds no index
    of its own (ProjectIndex.__init__ is not run): every question goes to `inner`."""

    def __init__(self, inner: ProjectIndex, digests: Mapping[str, str] | None = None) -> None:
        self._inner = inner
        self._frames = _Frames()
        self._hasher = _Hasher(digests)
        self._answers: dict[str, str] = {}
        """The hash of the answer to each question asked, by the question as JSON: the
        text is what the reads hold, and the question's tuple, kept as the key beside it
        (with a new tuple of the targets for each `inherits`) and a pair of the two for
        each answer, were more than half of a rules worker's answers (10,000 files:
        about 340 bytes an answer, up to `ANSWERS_KEPT` of them)."""
        self.by_path = _Files("by_path", self._frames, inner.by_path)
        self.by_module = _Files("by_module", self._frames, inner.by_module)
        self.memo = _Memo(self._frames, inner.memo)
        self._shared = {}

    # -- one file at a time -----------------------------------------------------------
    def begin(self) -> None:
        if len(self._answers) > ANSWERS_KEPT:
            # Forgotten, not bounded by the project: most questions name something of
            # one file (its path, its classes), and a rules worker of a 10,000-file
            # project kept about 70 MiB of them; the few asked by every file are
            # hashed again once per clearing.
            self._answers.clear()
        self._frames.begin()

    def finish(self) -> Reads:
        """The file's reads: each question with the hash of its answer."""
        reads: Reads = []
        answers = self._answers
        for question in self._frames.finish():
            text = _flat_json(question) or json.dumps(question, separators=(",", ":"))
            found = answers.get(text)
            if found is None:
                found = answers[text] = self._hasher.answer(self._inner, question)
            reads.append((text, found))
        reads.sort()
        return reads

    def _ask(self, question: Question) -> None:
        self._frames.note(question)

    # -- ProjectIndex ------------------------------------------------------------------
    def shared(self, key: str, build: Callable[[ProjectIndex], _T]) -> _T:
        if key in WHOLE:
            self._ask(("whole", key))
            return self._inner.shared(key, build)
        marker = ("shared", key)
        if key not in self._shared:
            self._frames.open(marker)
            self._shared[key] = build(self)
            self._frames.close(marker)
        else:
            self._frames.note(marker)
        return cast(_T, self._shared[key])

    def derive(self, question: str, subject: str) -> bool:
        self._ask(("derive", question, subject))
        return self._inner.derive(question, subject)

    def module_of(self, dotted: str) -> str | None:
        self._ask(("module_of", dotted))
        return self._inner.module_of(dotted)

    def resolve(self, qualified: str) -> str:
        self._ask(("resolve", qualified))
        return self._inner.resolve(qualified)

    def import_module(self, fact: ImportFact) -> str | None:
        self._ask(("import_module", *dataclasses.astuple(fact)))
        return self._inner.import_module(fact)

    def is_project_class(self, qualified: str) -> bool:
        self._ask(("is_project_class", qualified))
        return self._inner.is_project_class(qualified)

    def inherits(self, qualified: str, targets: frozenset[str]) -> bool:
        self._ask(("inherits", qualified, tuple(sorted(targets))))
        return self._inner.inherits(qualified, targets)

    def ancestors(self, qualified: str) -> list[str]:
        self._ask(("ancestors", qualified))
        return self._inner.ancestors(qualified)

    def class_fact(self, qualified: str) -> ClassFact | None:
        self._ask(("class_fact", qualified))
        return self._inner.class_fact(qualified)

    def classes(self) -> list[tuple[str, ClassFact, FileFacts]]:
        self._ask(("classes",))
        return self._inner.classes()

    def class_names(self) -> Iterator[str]:
        self._ask(("class_names",))
        return self._inner.class_names()

    def function(self, qualified: str) -> FunctionFact | None:
        self._ask(("function", qualified))
        return self._inner.function(qualified)

    def instance_of(self, qualified: str) -> str | None:
        self._ask(("instance_of", qualified))
        return self._inner.instance_of(qualified)

    def type_alias(self, qualified: str) -> tuple[str, str] | None:
        self._ask(("type_alias", qualified))
        return self._inner.type_alias(qualified)

    def handled_exceptions(self) -> frozenset[str]:
        self._ask(("handled_exceptions",))
        return self._inner.handled_exceptions()

    def caught_in(self, layers: frozenset[Layer], *, unlayered: bool = False) -> frozenset[str]:
        self._ask(("caught_in", tuple(sorted(layer.value for layer in layers)), unlayered))
        return self._inner.caught_in(layers, unlayered=unlayered)

    def caught_outside_tests(self) -> frozenset[str]:
        self._ask(("caught_outside_tests",))
        return self._inner.caught_outside_tests()

    def base_mixin(self, qualified: str) -> str | None:
        self._ask(("base_mixin", qualified))
        return self._inner.base_mixin(qualified)

    def request_bodies(self, model: str) -> tuple[tuple[str, str], ...]:
        self._ask(("request_bodies", model))
        return self._inner.request_bodies(model)

    def shows_request_bodies(self) -> bool:
        self._ask(("shows_request_bodies",))
        return self._inner.shows_request_bodies()

    def alembic_environment(self, path: str) -> str | None:
        self._ask(("alembic_environment", path))
        return self._inner.alembic_environment(path)

    def raised_in(self, layers: frozenset[Layer]) -> frozenset[str]:
        self._ask(("raised_in", tuple(sorted(layer.value for layer in layers))))
        return self._inner.raised_in(layers)

    def imports_of(self, module: str, *, type_checking: bool = False) -> list[tuple[str, int]]:
        self._ask(("imports_of", module, type_checking))
        return self._inner.imports_of(module, type_checking=type_checking)

    def shows_data_access(self, module: str) -> bool:
        self._ask(("shows_data_access", module))
        return self._inner.shows_data_access(module)

    def response_routes(self, model: str) -> tuple[str, ...]:
        self._ask(("response_routes", model))
        return self._inner.response_routes(model)

    def layer_of_path(self, path: str) -> Layer | None:
        self._ask(("layer_of_path", path))
        return self._inner.layer_of_path(path)

    def layer_for_facts(self, item: FileFacts) -> Layer | None:
        self._ask(("layer_for_facts", item.path))
        return self._inner.layer_for_facts(item)

    def decision(self, item: FileFacts) -> LayerDecision:
        self._ask(("decision", item.path))
        return self._inner.decision(item)

    def layer_folder(self, path: str) -> str | None:
        self._ask(("layer_folder", path))
        return self._inner.layer_folder(path)

    def layer_of_module(self, dotted: str) -> Layer | None:
        self._ask(("layer_of_module", dotted))
        return self._inner.layer_of_module(dotted)
