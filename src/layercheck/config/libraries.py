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

import contextlib
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from layercheck import __version__
from layercheck.envelope import seal, unseal, write_atomic
from layercheck.envelope import sha256_hex as _sha256

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# `packaging` is imported where a declaration is parsed: a run whose declarations are
# unchanged takes them from the record (`_held`) and never loads it.
if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

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


def declared_versions(
    root: Path, skipped: frozenset[str] = frozenset(), record_in: Path | None = None
) -> Mapping[str, Declared]:
    """What the project at `root` declares of each of LIBRARIES (those it declares
    nothing of are left out): the majors every declaring folder allows. Folders named in
    `skipped` (tests, support folders) and what is below them declare nothing.
    `record_in`: a cache folder where the answer is kept with the stats it rests on."""
    record = _Record(record_in, root, skipped) if record_in is not None else None
    if record is not None:
        held = record.held()
        if held is not None:
            return held
    walked: list[Path] = []
    folders = list(_component_folders(root, _SKIPPED_FOLDERS | skipped, walked))
    # Stamped before anything is read: a file changed while it is read is seen as
    # changed by the next run.
    stamps = _stamps(root, walked, folders) if record is not None else None
    found = _declared(root, folders)
    if record is not None and stamps is not None:
        record.keep(stamps, found)
    return found


def _declared(root: Path, folders: list[Path]) -> dict[str, Declared]:
    found: dict[str, Declared] = {}
    for folder in folders:
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


def _component_folders(
    root: Path, skipped: frozenset[str], walked: list[Path] | None = None
) -> Iterator[Path]:
    """The root and the folders below it that declare; each folder listed goes to
    `walked`."""
    yield root
    for current, folders, files in os.walk(root):
        here = Path(current)
        if walked is not None:
            walked.append(here)
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
    from packaging.specifiers import SpecifierSet

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
    from packaging.version import InvalidVersion, Version

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
    from packaging.utils import canonicalize_name

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
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

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
    from packaging.utils import canonicalize_name

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
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

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
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

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


# -- the record of the last answer -------------------------------------------------------

_RECORD_REVISION: Final = 1
_RACY_NS: Final = 2_000_000_000
"""A stamp this close to the moment it was taken may not show the next change within
the file system's timestamp granularity: the answer is not kept."""
Stamp = tuple[str, int, int]
"""(path below the root, mtime_ns, size)."""


def _stamps(root: Path, walked: list[Path], folders: list[Path]) -> list[Stamp] | None:
    """The stats the answer rests on: every folder the walk listed (an entry added,
    removed or renamed changes its mtime) and every file a declaring folder may be read
    from; None when one is too recent to tell a later change by."""
    paths = list(walked)
    for folder in folders:
        paths += [folder / "pyproject.toml", *(folder / name for name in LOCK_FILES)]
        paths += [p for p in folder.glob("*.txt") if requirements_file(p.name)]
        paths += [folder / "requirements", *folder.glob("requirements/*.txt")]
    now = time.time_ns()
    stamps: list[Stamp] = []
    for path in dict.fromkeys(paths):
        try:
            status = path.stat()
        except OSError:
            continue  # not there: its folder's mtime says when it comes
        if abs(now - status.st_mtime_ns) < _RACY_NS:
            return None
        name = path.relative_to(root).as_posix()
        stamps.append((name, status.st_mtime_ns, status.st_size))
    return stamps


class _Record:
    """The last answer for one root in a cache folder, with the stats it rests on: a run
    whose declaring files and folders are unchanged reads no declaration (and loads no
    `packaging`). Damaged, edited or stale records are not used; one that cannot be
    written is no error (the answer is only computed again)."""

    def __init__(self, directory: Path, root: Path, skipped: frozenset[str]) -> None:
        self.directory = directory
        self.root = root
        tag = hashlib.sha256(str(root).encode()).hexdigest()[:12]
        self.path = directory / f"libraries-{__version__}-{tag}.json"
        code: int | None = None
        with contextlib.suppress(OSError):
            code = Path(__file__).stat().st_mtime_ns  # a development install's edit
        self.header = {
            "layercheck": __version__,
            "revision": _RECORD_REVISION,
            "code": code,
            "root": str(root),
            "skipped": sorted(skipped),
        }

    def held(self) -> dict[str, Declared] | None:
        try:
            raw = self.path.read_bytes()
            opened = unseal(raw, "sha256", _sha256)
            if opened is None or any(opened[0].get(k) != v for k, v in self.header.items()):
                return None
            payload = json.loads(opened[1])
            for name, mtime, size in payload["stamps"]:
                status = (self.root / name).stat()
                if (status.st_mtime_ns, status.st_size) != (mtime, size):
                    return None
            return {
                library: Declared(frozenset(majors), source)
                for library, (majors, source) in payload["found"].items()
            }
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            return None

    def keep(self, stamps: list[Stamp], found: Mapping[str, Declared]) -> None:
        import multiprocessing

        if not self.directory.is_dir():
            return  # made by the caches that run after the settings
        if multiprocessing.parent_process() is not None:
            return  # one of several processes at once (flake8's jobs): caches are read only
        payload = {
            "stamps": stamps,
            "found": {
                library: [sorted(declared.majors), declared.source]
                for library, declared in found.items()
            },
        }
        text = seal(self.header, json.dumps(payload, separators=(",", ":")), "sha256", _sha256)
        with contextlib.suppress(OSError):
            write_atomic(self.path, text)
