"""Installed == warmed: what an install step added to a venv, against what the warm fetched.

pip backtracks quietly: when the newest release's dependency has no file in the cache, it
installs an older release that happens to be cached, and exits 0. So an install that
passed may not be the set the warm resolved. This module names the difference.

Names are normalised (PEP 503); warmed versions come from the warm's wheel and sdist file
names, installed ones from the metadata in the venv's site-packages. Only what the install
step added or changed counts: what the venv was seeded with (pip, setuptools) and the
install left alone is not the install's doing.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..findings import Difference as Difference  # re-exported: differences finds them
from ..util.distfiles import parse_filename

Versions = Mapping[str, str]  # normalised project name -> version


def warmed_versions(filenames: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Every project among the warm's files, with the versions of its files."""
    found: dict[str, dict[str, None]] = {}
    for filename in filenames:
        name, version = parse_filename(filename)
        if version is not None:
            found.setdefault(canonicalize_name(name), {})[version] = None
    return {name: tuple(versions) for name, versions in found.items()}


def site_packages(venv: Path) -> list[Path]:
    """The venv's site-packages directories (``lib`` and ``lib64`` may be one)."""
    found: dict[Path, None] = {}
    for pattern in ("lib*/python*/site-packages", "lib*/site-packages"):
        for path in sorted(venv.glob(pattern)):
            found.setdefault(path.resolve(), None)
    return list(found)


def distributions_in(venv: Path) -> dict[str, str]:
    """Every distribution whose metadata is in ``venv``'s site-packages, by normalised name."""
    paths = [str(p) for p in site_packages(venv)]
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions(path=paths):
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonicalize_name(name), dist.version)
    return found


def added(before: Versions, after: Versions) -> dict[str, str]:
    """What an install step added or changed: in ``after``, not at that version before."""
    return {name: version for name, version in after.items()
            if not _same(before.get(name), version)}


def differences(warmed: Mapping[str, Sequence[str]], installed: Versions) -> list[Difference]:
    """Each installed project whose version is not one the warm fetched, by name."""
    return [Difference(name, tuple(warmed.get(name, ())), version)
            for name, version in sorted(installed.items())
            if not any(_same(w, version) for w in warmed.get(name, ()))]


def _same(a: str | None, b: str) -> bool:
    return a is not None and version_key(a) == version_key(b)


def version_key(version: str) -> Version | str:
    """What two spellings of one version share (``1.0`` and ``1.0.0``, ``1-RC1`` and
    ``1rc1``): its PEP 440 value, else the text as it is."""
    try:
        return Version(version)
    except InvalidVersion:
        return version
