"""An sdist builds offline only if its build backend is warmed too: which backend it needs.

The sdists are tiny but real ``.tar.gz`` and ``.zip`` archives, written in ``tmp_path``.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from pytest_offline_index.index.builddeps import (
    LEGACY_BACKEND,
    build_requirements,
    build_requirements_of,
)

HATCH = ('[build-system]\nrequires = ["hatchling>=1.18", "hatch-vcs"]\n'
         'build-backend = "hatchling.build"\n')
NO_BUILD_SYSTEM = '[project]\nname = "plain"\nversion = "1.0"\n\n[tool.black]\nline-length = 100\n'
NO_REQUIRES = '[build-system]\nbuild-backend = "setuptools.build_meta"\n'
SETUP_PY = "from setuptools import setup\nsetup(name='legacy', version='1.0')\n"


def sdist(directory: Path, filename: str, pyproject: str | None,
          nested_pyproject: str | None = None) -> Path:
    """An sdist holding ``<name>-<version>/`` with setup.py, PKG-INFO and maybe pyproject.toml
    (and, to be ignored, a pyproject.toml one level further down)."""
    base = filename.removesuffix(".tar.gz").removesuffix(".zip")
    files = {f"{base}/setup.py": SETUP_PY, f"{base}/PKG-INFO": "Metadata-Version: 2.1\n"}
    if pyproject is not None:
        files[f"{base}/pyproject.toml"] = pyproject
    if nested_pyproject is not None:
        files[f"{base}/vendored/pyproject.toml"] = nested_pyproject
    path = directory / filename
    if filename.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as archive:
            for name, text in files.items():
                archive.writestr(name, text)
    else:
        with tarfile.open(path, "w:gz") as archive:
            for name, text in files.items():
                data = text.encode()
                member = tarfile.TarInfo(name)
                member.size = len(data)
                archive.addfile(member, io.BytesIO(data))
    return path


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
def test_build_system_requires_are_the_build_requirements(tmp_path: Path, suffix: str) -> None:
    path = sdist(tmp_path, f"modern-1.0{suffix}", HATCH)
    assert build_requirements(path) == ("hatchling>=1.18", "hatch-vcs")


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
@pytest.mark.parametrize("pyproject", [None, NO_BUILD_SYSTEM, NO_REQUIRES],
                         ids=["no-pyproject", "no-build-system", "no-requires"])
def test_without_build_system_requires_setuptools_is_assumed(
        tmp_path: Path, suffix: str, pyproject: str | None) -> None:
    path = sdist(tmp_path, f"legacy-1.0{suffix}", pyproject)
    assert build_requirements(path) == LEGACY_BACKEND == ("setuptools>=40.8.0",)


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
def test_only_the_top_level_pyproject_counts(tmp_path: Path, suffix: str) -> None:
    path = sdist(tmp_path, f"legacy-1.0{suffix}", None, nested_pyproject=HATCH)
    assert build_requirements(path) == LEGACY_BACKEND


def test_the_union_over_sdists_keeps_order_drops_repeats_and_skips_wheels(
        tmp_path: Path) -> None:
    wheel = tmp_path / "six-1.17.0-py2.py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:  # a wheel is a zip, but never an sdist
        archive.writestr("six-1.17.0.dist-info/pyproject.toml", HATCH)
    files = [
        sdist(tmp_path, "modern-1.0.tar.gz", HATCH),
        wheel,
        sdist(tmp_path, "legacy-1.0.zip", None),
        sdist(tmp_path, "other-2.0.tar.gz", '[build-system]\nrequires = ["flit_core>=3.2", '
                                            '"setuptools>=40.8.0", "hatchling>=1.18"]\n'),
    ]
    assert build_requirements_of(files) == ("hatchling>=1.18", "hatch-vcs",
                                            "setuptools>=40.8.0", "flit_core>=3.2")


def test_no_sdists_no_build_requirements(tmp_path: Path) -> None:
    assert build_requirements_of([tmp_path / "six-1.17.0-py2.py3-none-any.whl"]) == ()
