"""`any_match` answers plain names from a set: the same answers as each glob's regex."""

from __future__ import annotations

from pathlib import PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from layercheck.config.globs import Glob, GlobError, any_match

_PART = st.sampled_from(
    ["venv", ".venv", "env", "app", "build", "a.py", "x-y", "..", ".", "Venv", "__pycache__"]
)
_PATTERN = st.one_of(
    _PART,
    st.sampled_from(
        ["*.py", "b?ild", "[ab]pp", "app/venv", "/build", "build/", "./env", "a*", "venv ", ".."]
    ),
    st.text(alphabet="ab.-_*?[]/ ", min_size=1, max_size=6),
)


def _globs(patterns: list[str]) -> tuple[Glob, ...]:
    made: list[Glob] = []
    for pattern in patterns:
        try:
            made.append(Glob(pattern))
        except GlobError:
            continue
    return tuple(made)


@given(
    st.lists(_PATTERN, max_size=6),
    st.lists(_PART, min_size=1, max_size=5),
    st.booleans(),
)
def test_any_match_equals_every_glob_asked(
    patterns: list[str], parts: list[str], ancestors: bool
) -> None:
    globs = _globs(patterns)
    relative = PurePosixPath(*parts)
    expected = any(glob.matches(relative, ancestors=ancestors) for glob in globs)
    assert any_match(globs, relative, ancestors=ancestors) == expected


def test_plain_names_match_a_component_only_whole() -> None:
    globs = _globs(["venv", "node_modules"])
    assert any_match(globs, PurePosixPath("app/venv/lib.py"))
    assert not any_match(globs, PurePosixPath("app/venv/lib.py"), ancestors=False)
    assert any_match(globs, PurePosixPath("app/venv"), ancestors=False)
    assert not any_match(globs, PurePosixPath("app/venvs/lib.py"))
    assert not any_match(globs, PurePosixPath("app/Venv/lib.py"))
