"""The major versions of Pydantic, SQLAlchemy, FastAPI and Alembic that a project allows,
from what it declares. The root folder and each component folder below it (one holding a
`pyproject.toml`, a lock file or a `*requirements*.txt`: `backend/`,
`dockerfiles/api/`) declare on their own: a lock file (`uv.lock`, `poetry.lock`,
`pdm.lock`) gives the installed version; else the constraints of `[project]
dependencies`, Poetry's `[tool.poetry.dependencies]` and `*requirements*.txt` (also under
`requirements/`) all hold at once. The project allows the majors that every folder
declaring the library allows; when they allow none in common (an API image pinned to
SQLAlchemy 1.4 beside a client on 2.x) the project allows no major for sure, and the
rules assuming one stay quiet. Tests, support folders (scripts, docs, examples, ...),
hidden and vendored folders declare nothing for the application. A library declared
nowhere is unknown: every major is allowed."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

LIBRARIES: Final = ("pydantic", "sqlalchemy", "fastapi", "alembic")
LOCK_FILES: Final = ("uv.lock", "poetry.lock", "pdm.lock")
_MAJORS: Final = range(10)
_FAR: Final = 99999
"""A minor version beyond any release: `M.99999` stands for the end of major M."""
_POETRY_CARET: Final = re.compile(r"^\^\s*(\d+(?:\.\d+)*)$")
_POETRY_TILDE: Final = re.compile(r"^~\s*(\d+(?:\.\d+)*)$")
_BARE: Final = re.compile(r"^\d+(?:\.\d+)*(?:\.\*)?$")
_PACKAGE_TABLE: Final = re.compile(r"^\[\[package\]\][ \t]*\r?$", re.MULTILINE)
_TABLE: Final = re.compile(r"^\[", re.MULTILINE)
"""Any table header: where a `[[package]]` entry's own keys end."""
_NAME_LINE: Final = re.compile(r"^name[ \t]*=[ \t]*([\"'])([^\"'\n]*)\1", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Declared:
    majors: frozenset[int]
    """The major versions the declaration allows."""
    source: str
    """Where it says so: `uv.lock: pydantic 1.10.13`, `pyproject.toml: pydantic<2`."""


def declared_versions(root: Path, skipped: frozenset[str] = frozenset()) -> Mapping[str, Declared]:
    """What the project at `root` declares of each of LIBRARIES (those it declares
    nothing of are left out): the majors every declaring folder allows. Folders named in
    `skipped` (tests, support folders) and what is below them declare nothing."""
    found: dict[str, Declared] = {}
    for folder in _component_folders(root, _SKIPPED_FOLDERS | skipped):
        prefix = "" if folder == root else folder.relative_to(root).as_posix() + "/"
        for library, declared in _folder_versions(folder, prefix).items():
            known = found.get(library)
            if known is None:
                found[library] = declared
            else:
                found[library] = Declared(
                    known.majors & declared.majors, f"{known.source}; {declared.source}"
                )
    return found


_SKIPPED_FOLDERS: Final = frozenset(
    {"node_modules", "site-packages", "venv", "env", "build", "dist", "__pycache__"}
)
_MAX_DEPTH: Final = 4
"""Component folders sit near the root (`backend/`, `dockerfiles/api/`); deeper ones are
vendored or generated trees."""


def _component_folders(root: Path, skipped: frozenset[str]) -> Iterator[Path]:
    yield root
    for current, folders, files in os.walk(root):
        here = Path(current)
        depth = len(here.relative_to(root).parts)
        folders[:] = sorted(
            name
            for name in folders
            if depth < _MAX_DEPTH and not name.startswith(".") and name not in skipped
        )
        if here != root and any(_declaring(name) for name in files):
            yield here


def _declaring(name: str) -> bool:
    return name in {"pyproject.toml", *LOCK_FILES} or requirements_file(name)


def requirements_file(name: str) -> bool:
    """`requirements.txt`, `requirements-dev.txt`, `extras-requirements.txt`."""
    return "requirements" in name and name.endswith(".txt")


def _folder_versions(folder: Path, prefix: str) -> dict[str, Declared]:
    """What one folder declares. Unreadable or malformed files count as not there, and
    so do constraints of one folder that contradict each other."""
    locked = _locked(folder)
    found: dict[str, Declared] = {}
    constraints: dict[str, list[tuple[str, SpecifierSet]]] = {}
    for source, name, specifier in _constraints(folder):
        constraints.setdefault(name, []).append((source, specifier))
    for library in LIBRARIES:
        if library in locked:
            source, version = locked[library]
            found[library] = Declared(
                frozenset({version.major}), f"{prefix}{source}: {library} {version}"
            )
            continue
        given = [(s, spec) for s, spec in constraints.get(library, []) if str(spec)]
        if not given:
            continue
        combined = SpecifierSet()
        for _, spec in given:
            combined &= spec
        majors = allowed_majors(combined)
        if majors:
            shown = ", ".join(f"{prefix}{source}: {library}{spec}" for source, spec in given)
            found[library] = Declared(majors, shown)
    return found


def allowed_majors(specifier: SpecifierSet) -> frozenset[int]:
    """The majors with at least one release the specifier allows. Allowed versions form
    intervals whose ends are the versions the specifier names, so testing those, a step
    past each, and the ends of each major is enough."""
    named: list[Version] = []
    for item in specifier:
        try:
            named.append(Version(item.version.removesuffix(".*")))
        except InvalidVersion:
            continue
    found: set[int] = set()
    for major in _MAJORS:
        candidates = [Version(f"{major}"), Version(f"{major}.{_FAR}")]
        for version in named:
            if version.major == major:
                release = (*version.release, 0, 0, 0)[:4]
                step = ".".join(map(str, (*release[:3], release[3] + 1)))
                candidates.extend((version, Version(step)))
        if any(specifier.contains(c, prereleases=True) for c in candidates):
            found.add(major)
    return frozenset(found)


def _read_toml(path: Path) -> dict[str, object] | None:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return None


def _lock_packages(path: Path) -> list[object] | None:
    """The `[[package]]` entries of a lock file that may be one of LIBRARIES (None when
    there is no readable lock file). A lock file lists every package of the project
    (600 KB for a large one), and parsing all of it cost more than the rest of a one-file
    run: only the entries whose `name` line names one of LIBRARIES are parsed, each
    alone; a file laid out otherwise, or an entry that does not parse alone, is parsed
    whole."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    starts = [match.end() for match in _PACKAGE_TABLE.finditer(text)]
    if not starts:
        document = _read_toml(path)
        packages = document.get("package") if document is not None else None
        return packages if isinstance(packages, list) else None
    found: list[object] = []
    for start in starts:
        table = _TABLE.search(text, start)
        entry = text[start : table.start() if table is not None else len(text)]
        named = _NAME_LINE.search(entry)
        if named is None or canonicalize_name(named.group(2)) not in LIBRARIES:
            continue
        try:
            found.append(tomllib.loads(entry))
        except (tomllib.TOMLDecodeError, RecursionError):
            document = _read_toml(path)
            packages = document.get("package") if document is not None else None
            return packages if isinstance(packages, list) else None
    return found


def _locked(folder: Path) -> dict[str, tuple[str, Version]]:
    found: dict[str, tuple[str, Version]] = {}
    for name in LOCK_FILES:
        packages = _lock_packages(folder / name)
        if packages is None:
            continue
        for package in packages:
            if not isinstance(package, dict):
                continue
            library = canonicalize_name(str(package.get("name", "")))
            if library not in LIBRARIES or library in found:
                continue
            try:
                found[library] = (name, Version(str(package.get("version", ""))))
            except InvalidVersion:
                continue
    return found


def _constraints(folder: Path) -> Iterator[tuple[str, str, SpecifierSet]]:
    """(file, library, specifier) for each declaration of one of LIBRARIES."""
    document = _read_toml(folder / "pyproject.toml") or {}
    project = document.get("project")
    if isinstance(project, dict):
        for line in project.get("dependencies") or []:
            found = _requirement(str(line))
            if found is not None:
                yield ("pyproject.toml", *found)
    tool = document.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    declared = poetry.get("dependencies") if isinstance(poetry, dict) else None
    if isinstance(declared, dict):
        for name, value in declared.items():
            library = canonicalize_name(str(name))
            constraint = value.get("version") if isinstance(value, dict) else value
            if library in LIBRARIES and isinstance(constraint, str):
                specifier = poetry_specifier(constraint)
                if specifier is not None:
                    yield "pyproject.toml", library, specifier
    files = [p for p in sorted(folder.glob("*.txt")) if requirements_file(p.name)]
    files += sorted(folder.glob("requirements/*.txt"))
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for line in text.splitlines():
            found = _requirement(line.split(" #")[0].strip())
            if found is not None:
                yield (path.relative_to(folder).as_posix(), *found)


def _requirement(line: str) -> tuple[str, SpecifierSet] | None:
    if not line or line.startswith(("#", "-")):
        return None
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return None
    name = canonicalize_name(requirement.name)
    return (name, requirement.specifier) if name in LIBRARIES else None


def poetry_specifier(constraint: str) -> SpecifierSet | None:
    """Poetry's `^1.10`, `~1.10`, `1.10.*`, `*`, `1.10.2` and PEP 440 ranges, joined by
    commas; None for what it cannot read (`||` alternatives among them)."""
    if "||" in constraint or "|" in constraint:
        return None
    parts: list[str] = []
    for raw in constraint.split(","):
        part = raw.strip()
        if part in {"", "*"}:
            continue
        caret = _POETRY_CARET.match(part)
        tilde = _POETRY_TILDE.match(part)
        if caret is not None:
            release = [int(n) for n in caret.group(1).split(".")]
            # the first non-zero component may not change: ^1.2 <2, ^0.4 <0.5, ^0.0.3 <0.0.4
            at = next((i for i, n in enumerate(release) if n), len(release) - 1)
            upper = [*release[:at], release[at] + 1]
            parts.extend((f">={caret.group(1)}", f"<{'.'.join(map(str, upper))}"))
        elif tilde is not None:
            release = [int(n) for n in tilde.group(1).split(".")]
            upper = [release[0] + 1] if len(release) == 1 else [release[0], release[1] + 1]
            parts.extend((f">={tilde.group(1)}", f"<{'.'.join(map(str, upper))}"))
        elif _BARE.match(part):
            parts.append(f"=={part}")
        else:
            parts.append(part)
    try:
        return SpecifierSet(",".join(parts))
    except InvalidSpecifier:
        return None
