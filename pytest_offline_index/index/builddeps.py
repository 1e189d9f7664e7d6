"""Build requirements of sdists: what a fresh venv needs from the cache to build them.

An sdist installs offline only if its build backend (setuptools, hatchling, flit_core, ...)
is in the cache too. This reads ``[build-system] requires`` from the sdist's own
``pyproject.toml``, falling back to what pip assumes for a legacy setup.py project.
"""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from ..util import toml

LEGACY_BACKEND = ("setuptools>=40.8.0",)
SDIST_SUFFIXES = (".tar.gz", ".zip")


def is_sdist(path: Path) -> bool:
    return path.name.endswith(SDIST_SUFFIXES)


def _pyproject_text(path: Path) -> str | None:
    """The top-level pyproject.toml inside an sdist, if it has one."""
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1
                     and n.endswith("/pyproject.toml")]
            return archive.read(names[0]).decode() if names else None
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            if member.name.count("/") == 1 and member.name.endswith("/pyproject.toml"):
                handle = archive.extractfile(member)
                return handle.read().decode() if handle else None
    return None


def build_requirements(path: Path) -> tuple[str, ...]:
    text = _pyproject_text(path)
    if text is None:
        return LEGACY_BACKEND
    system = toml.loads(text).get("build-system", {})
    if "requires" not in system:
        return LEGACY_BACKEND
    return tuple(str(req) for req in system["requires"])


def build_requirements_of(files: Iterable[Path]) -> tuple[str, ...]:
    """The union of the build requirements of every sdist among ``files``, in order."""
    found: dict[str, None] = {}
    for path in files:
        if is_sdist(path):
            found.update(dict.fromkeys(build_requirements(path)))
    return tuple(found)
