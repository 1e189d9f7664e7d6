"""Target interpreters: which Pythons the cache must serve, found on this machine.

A target is either a *local* interpreter (warmed with it, then install-checked in a fresh
venv of it) or a *foreign* one (a platform tag and version: resolved for that platform's
markers by ``uv pip compile --python-platform --python-version``, its wheels fetched, and
reported as warmed, never as passed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import SettingsError

VERSION = re.compile(r"^(\d+)\.(\d+)$")
# "3.12", "python3.12", "py3.12", and tox's "py312" / "cp312"
VERSION_SPEC = re.compile(r"^(?:python|py|cp)?(\d)\.?(\d{1,2})$")
# the oldest target: virtualenv's seed for the warm's venv ships pip for 3.9 and later
OLDEST = (3, 9)
PLATFORM_TAG = re.compile(r"^[a-z0-9_]+$")
PROBE = "import json, sys; print(json.dumps([sys.version_info[0], sys.version_info[1]]))"


@dataclass(frozen=True)
class Target:
    """One Python the cache must serve."""

    version: str  # "3.12"
    executable: str | None = None  # None for a foreign target
    platform: str | None = None  # a platform tag for a foreign target

    @property
    def foreign(self) -> bool:
        return self.executable is None

    @property
    def label(self) -> str:
        base = f"py{self.version}"
        return f"{self.platform}-{base}" if self.platform else base


def running_target() -> Target:
    return Target(f"{sys.version_info[0]}.{sys.version_info[1]}", sys.executable)


def pyenv_roots() -> list[Path]:
    roots = [Path(os.environ["PYENV_ROOT"])] if os.environ.get("PYENV_ROOT") else []
    roots.append(Path.home() / ".pyenv")
    return [r for r in dict.fromkeys(roots) if (r / "versions").is_dir()]


def candidates(version: str) -> list[Path]:
    """Where a Python ``version`` may live: PATH first, then pyenv installations."""
    found: list[Path] = []
    for name in (f"python{version}",):
        for directory in os.environ.get("PATH", "").split(os.pathsep):
            path = Path(directory) / name
            if path.is_file() and os.access(path, os.X_OK) and ".pyenv/shims" not in str(path):
                found.append(path)
    for root in pyenv_roots():
        for install in sorted((root / "versions").glob(f"{version}*"), reverse=True):
            path = install / "bin" / f"python{version}"
            if path.is_file() and re.fullmatch(rf"{re.escape(version)}(\.\d+)?", install.name):
                found.append(path)
    system = shutil.which(f"python{version}", path="/usr/local/bin:/usr/bin")
    if system:
        found.append(Path(system))
    return list(dict.fromkeys(found))


def interpreter_version(path: str) -> str | None:
    try:
        done = subprocess.run([path, "-I", "-c", PROBE], capture_output=True, text=True,
                              timeout=30, env={"PATH": os.environ.get("PATH", "")})
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode:
        return None
    major, minor = json.loads(done.stdout)
    return f"{major}.{minor}"


def find_python(spec: str) -> Target:
    """A version ("3.12") found on this machine, or a path to an interpreter."""
    spec = spec.strip()
    if match := VERSION_SPEC.match(spec):
        version = f"{match.group(1)}.{match.group(2)}"
        _supported(spec, version)
        if version == running_target().version:
            return running_target()
        places = candidates(version)
        for path in places:
            if interpreter_version(str(path)) == version:
                return Target(version, str(path))
        raise SettingsError(
            f"python {spec!r}: no Python {version} found; looked in PATH (python{version}) "
            f"and pyenv ({', '.join(str(r / 'versions') for r in pyenv_roots()) or 'none'}); "
            f"install it or pass a path to an interpreter")
    path = Path(spec).expanduser()
    if path.is_file() and os.access(path, os.X_OK):
        found = interpreter_version(str(path))
        if found is None:
            raise SettingsError(f"python {spec!r}: does not run as a Python interpreter")
        _supported(spec, found)
        return Target(found, str(path.absolute()))
    raise SettingsError(f"python {spec!r}: neither a version like '3.12' nor an executable "
                        f"interpreter path")


def _supported(spec: str, version: str) -> None:
    major, minor = map(int, version.split("."))
    if (major, minor) < OLDEST:
        raise SettingsError(
            f"python {spec!r}: Python {version} cannot be a target: the warm's venv "
            f"(virtualenv's seed) ships pip for Python {OLDEST[0]}.{OLDEST[1]} and later "
            f"only; give a later one")


def foreign_target(spec: str) -> Target:
    """``TAG:VERSION``, e.g. ``manylinux2014_aarch64:3.12`` (warm only)."""
    tag, sep, version = spec.strip().partition(":")
    if not sep or not PLATFORM_TAG.match(tag) or not VERSION.match(version):
        raise SettingsError(
            f"platform {spec!r}: expected TAG:VERSION, e.g. 'manylinux2014_aarch64:3.12'")
    return Target(version, None, tag)


def resolve_targets(pythons: tuple[str, ...], platforms: tuple[str, ...]) -> list[Target]:
    """Local targets (default: the running interpreter), then foreign ones; no repeats."""
    local = [find_python(spec) for spec in pythons] or [running_target()]
    found: dict[str, Target] = {}
    for target in [*local, *map(foreign_target, platforms)]:
        found.setdefault(target.label, target)
    return list(found.values())
