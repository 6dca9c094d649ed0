"""The reading index answers as the index does and misses no question: every public
method of ProjectIndex is noted and can be asked again on another index."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import replace

import pytest

from layercheck import index_reads, orm
from layercheck.facts import ClassFact, FileFacts, ImportFact
from layercheck.index import ProjectIndex
from layercheck.index_reads import QUESTIONS, ReadingIndex, Replay

# Not questions: `shared` carries the reads of what it builds; the two mappings are
# noted key by key (`by_path`, `by_module`) and as a whole (`.keys`, `.all`).
NOT_ASKED = {"shared"}


def _public_methods() -> set[str]:
    return {
        name
        for name, value in inspect.getmembers(ProjectIndex, inspect.isfunction)
        if not name.startswith("_")
    }


def test_every_method_of_the_index_is_noted() -> None:
    own = {name for name in vars(ReadingIndex) if not name.startswith("_")}
    assert _public_methods() - own == set()


def test_every_question_noted_can_be_asked_again() -> None:
    assert _public_methods() - NOT_ASKED <= set(QUESTIONS)


def _module(module: str, **bases: tuple[str, ...]) -> FileFacts:
    classes = tuple(ClassFact(name, of, 1) for name, of in bases.items())
    path = "/p/" + module.replace(".", "/") + ".py"
    return FileFacts(path, module, False, None, False, classes=classes)


BASE = "app.errors.Base"
CHILD = "app.errors.Child"
HTTP = frozenset({"fastapi.HTTPException"})


def _index(base_of_base: str = "fastapi.HTTPException", other: str = "x") -> ProjectIndex:
    return ProjectIndex(
        [
            _module("app.errors", Base=(base_of_base,), Child=(BASE,)),
            _module("app.other", Other=(other,)),
        ]
    )


def _reads(reading: ReadingIndex, ask: Callable[[ProjectIndex], object]) -> list[tuple[str, str]]:
    reading.begin()
    ask(reading)
    return reading.finish()


def _holds(index: ProjectIndex, reads: list[tuple[str, str]]) -> bool:
    replay = Replay(index)
    return all(replay.holds(question, answer) for question, answer in reads)


def test_reads_hold_until_an_answer_changes() -> None:
    reading = ReadingIndex(_index())
    reads = _reads(reading, lambda index: index.inherits(CHILD, HTTP))
    assert [question for question, _ in reads] == [
        '["inherits","app.errors.Child",["fastapi.HTTPException"]]'
    ]
    assert _holds(_index(), reads)
    assert _holds(_index(other="y"), reads)  # nobody asked about app.other
    assert not _holds(_index(base_of_base="ValueError"), reads)


def _is_error(index: ProjectIndex, name: str) -> bool:
    """A derived answer kept in the memo, the way the rule families keep theirs."""
    key = ("is-error", name)
    found = index.memo.get(key)
    if found is None:
        found = index.memo[key] = index.inherits(name, HTTP)
    return bool(found)


def test_a_value_from_the_memo_carries_what_it_was_computed_from() -> None:
    reading = ReadingIndex(_index())
    first = _reads(reading, lambda index: _is_error(index, CHILD))
    second = _reads(reading, lambda index: _is_error(index, CHILD))  # a memo hit
    assert second == first
    assert not _holds(_index(base_of_base="ValueError"), second)


def test_a_shared_structure_carries_what_it_was_built_from() -> None:
    reading = ReadingIndex(_index())

    def ask(index: ProjectIndex) -> object:
        return index.shared("errors", lambda built: built.inherits(CHILD, HTTP))

    first = _reads(reading, ask)
    second = _reads(reading, ask)  # built once, read twice
    assert second == first != []
    assert not _holds(_index(base_of_base="ValueError"), second)


def _scan(index: ProjectIndex) -> bool:
    """A value stored for every module at once, the way `orm` once kept its whole-project
    answers: each stored value carries everything the file read so far."""
    if ("scanned", "") not in index.memo:
        for module in sorted(index.by_module):
            index.memo[("in-scan", module)] = index.inherits(f"{module}.X", HTTP)
        index.memo[("scanned", "")] = True
    return index.memo[("in-scan", "app.m0")]


def test_values_stored_at_once_share_what_they_carry() -> None:
    """Quadratic before: one copy of everything read so far for each value stored."""
    modules = [_module(f"app.m{number}", X=("fastapi.HTTPException",)) for number in range(50)]
    reading = ReadingIndex(ProjectIndex(modules))
    reads = _reads(reading, _scan)
    carried = reading._frames.carried
    assert len(carried) == 51
    held: dict[int, int] = {}
    for value in carried.values():
        link = value
        while isinstance(link, index_reads._Link) and id(link) not in held:
            held[id(link)] = len(link.items)
            link = link.parent
    assert sum(held.values()) <= 2 * len(reads)  # each read held about once, not 50 times
    # What the file read is the same: every module's question, each once.
    assert sum('"inherits"' in question for question, _ in reads) == 50
    assert _reads(reading, _scan) == reads  # memo hits carry the same


def test_a_module_loaded_async_is_one_derived_answer_not_every_import() -> None:
    asynchronous = ImportFact("sqlalchemy.ext.asyncio.AsyncSession", "sqlalchemy", 1, False)
    sync = ImportFact("sqlalchemy.orm.Session", "sqlalchemy.orm", 1, False)
    facts = [
        FileFacts(f"/p/app/m{n}.py", f"app.m{n}", False, None, False, imports=(asynchronous,))
        for n in range(20)
    ]
    reading = ReadingIndex(ProjectIndex(facts))
    reads = _reads(reading, lambda index: orm.loaded_async("app.m3", index))
    assert reads[0][0] == '["derive","loaded-async","app.m3"]'
    assert len(reads) == 1
    assert _holds(ProjectIndex(facts), reads)
    # The project turned mostly sync: the models of app.m3 are loaded synchronously.
    assert not _holds(ProjectIndex([replace(item, imports=(sync,)) for item in facts]), reads)


def test_walking_every_file_reads_every_file() -> None:
    reading = ReadingIndex(_index())
    reads = _reads(reading, lambda index: [item.module for item in index.by_path.values()])
    assert _holds(_index(), reads)
    assert not _holds(_index(other="y"), reads)
    names = _reads(reading, lambda index: sorted(index.by_module))
    assert _holds(_index(other="y"), names)  # the same modules


def test_the_files_views_answer_every_dict_method_from_the_index() -> None:
    """`by_path` and `by_module` are dicts that hold nothing: a dict method answered
    from the (empty) base would see no file, so each one reads the index, and notes it."""
    index = _index()
    reading = ReadingIndex(index)
    whole = dict(index.by_path)
    for ask in (
        lambda view: view.copy(),
        lambda view: dict(view),
        lambda view: {**view},
        lambda view: view | {},
        lambda view: {} | view,
        lambda view: view == whole and whole,
    ):
        reads = _reads(reading, lambda index, ask=ask: ask(index.by_path))
        reading.begin()
        assert ask(reading.by_path) == whole
        reading.finish()
        assert reads
        assert not _holds(_index(other="y"), reads)
    assert list(reversed(reading.by_module)) == list(reversed(index.by_module))
    assert reading.by_path != {}
    for write in (
        lambda view: view.update({}),
        lambda view: view.setdefault("x", None),
        lambda view: view.pop("x", None),
        lambda view: view.clear(),
        lambda view: view.__setitem__("x", None),
    ):
        with pytest.raises(TypeError, match="read-only"):
            write(reading.by_path)
    assert dict(reading.by_path) == whole


@pytest.mark.parametrize(
    "value",
    [
        "app.errors.Base",
        'é\u2028"quoted"\\\n\udcff',
        ("resolve", "app.x"),
        ("import_module", "app.x", "y", 2, True, None, False),
        ("inherits", "app.x", ("a", "b")),
        ("inherits", "app.x", ()),
        ("x", ("y", ("z", None, 3))),
        ("x", ("y", 1.5)),
        ("caught_in", ("service",), True),
        (),
        ("x", 1.5),
        ["list"],
        7,
    ],
)
def test_the_quick_encoding_is_the_json_encoding(value: object) -> None:
    quick = index_reads._flat_json(value)
    if quick is not None:
        assert quick == json.dumps(value, separators=(",", ":"))
    else:
        assert not isinstance(value, str)


def test_constant_answers_hash_as_their_json() -> None:
    hasher = index_reads._Hasher()
    for value in (None, True, False):
        assert index_reads._CONSTANT_HASHES[value] == index_reads._hash(
            json.dumps(hasher.canonical(value), separators=(",", ":"))
        )


def test_the_list_of_every_file_hashes_as_its_json() -> None:
    index = _index()
    index.by_path['/app/\u00e9 "odd".py'] = FileFacts(
        '/app/\u00e9 "odd".py', "app.odd", False, None, False
    )
    hasher = index_reads._Hasher({'/app/\u00e9 "odd".py': "d1"})
    for project in (index, ProjectIndex([])):
        for name in ("by_path.all", "by_module.all", "everything"):
            found = QUESTIONS[name](project)
            assert isinstance(found, list)
            text = json.dumps(hasher.canonical(found), separators=(",", ":"))
            assert hasher.answer(project, (name,)) == index_reads._hash(text)


def test_answers_forgotten_between_files_give_the_same_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A rules worker forgets the answers it hashed once it holds more than
    `ANSWERS_KEPT`: the reads recorded after that are those recorded without it."""

    def ask(index: ProjectIndex) -> None:
        index.inherits(CHILD, HTTP)
        _is_error(index, BASE)
        index.classes()

    hashed: list[object] = []
    real = index_reads._Hasher.answer

    def answer(
        self: index_reads._Hasher, index: ProjectIndex, question: index_reads.Question
    ) -> str:
        hashed.append(question)
        return real(self, index, question)

    monkeypatch.setattr(index_reads._Hasher, "answer", answer)
    kept = ReadingIndex(_index())
    expected = [_reads(kept, ask) for _ in range(3)]
    once = len(expected[0])
    assert len(hashed) == once, "kept: each answer hashed for the first file only"
    # Kept as the question's JSON and the answer's hash, the two strings the reads hold.
    assert sorted(kept._answers.items()) == expected[-1]
    hashed.clear()
    monkeypatch.setattr(index_reads, "ANSWERS_KEPT", 0)
    forgetting = ReadingIndex(_index())
    assert [_reads(forgetting, ask) for _ in range(3)] == expected
    assert len(hashed) == 3 * once, "forgotten before each file, then hashed again"
