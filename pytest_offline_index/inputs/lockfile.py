"""Lockfiles as inputs: ``pylock.toml`` (PEP 751) read as it is, ``uv.lock`` through uv's own
``uv export --frozen --format pylock.toml``, each turned into one requirements file per target.

A lock is checked *through the index*, never from the URLs written in it: for each target,
the entries whose markers match it become ``name==version --hash=sha256:…`` lines, so pip
(and uv) resolve nothing beyond the lock (hash-checking mode needs every dependency pinned)
and take each file from the index under test, which must hold one with a locked hash.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from ..errors import SettingsError
from ..util import toml
from .targets import Target
from .tools import UV, install_hint, uv_binary

# a marker environment as PEP 751 evaluates it: PEP 508's strings, and the sets of extras
# and dependency groups the install asks for
Environment = Mapping[str, "str | frozenset[str]"]
PYLOCK_NAME = re.compile(r"^pylock\.([^.]+\.)?toml$")
UV_LOCK = "uv.lock"
NOT_FROM_AN_INDEX = ("vcs", "directory", "archive")
# PEP 508's environment as packaging computes it, printed by the target's own interpreter
ENVIRONMENT_SCRIPT = """\
import json, os, platform, sys
i = sys.implementation
v = "{0.major}.{0.minor}.{0.micro}".format(i.version)
if i.version.releaselevel != "final":
    v += i.version.releaselevel[0] + str(i.version.serial)
print(json.dumps({
    "implementation_name": i.name, "implementation_version": v, "os_name": os.name,
    "platform_machine": platform.machine(), "platform_release": platform.release(),
    "platform_system": platform.system(), "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform}))
"""
# a foreign target's platform tag, as the marker environment its interpreter would report
PLATFORMS = (("manylinux", "linux", "Linux", "posix"), ("musllinux", "linux", "Linux", "posix"),
             ("linux", "linux", "Linux", "posix"), ("macosx", "darwin", "Darwin", "posix"),
             ("win", "win32", "Windows", "nt"))
ARCHES = ("x86_64", "aarch64", "arm64", "armv7l", "ppc64le", "s390x", "riscv64", "i686",
          "universal2", "amd64", "win32")
WINDOWS_MACHINES = {"amd64": "AMD64", "arm64": "ARM64", "win32": "x86"}


def is_lock(path: Path) -> bool:
    """A lock by its name: ``pylock.toml``, ``pylock.<name>.toml`` or ``uv.lock``."""
    return path.name == UV_LOCK or bool(PYLOCK_NAME.match(path.name))


@dataclass(frozen=True)
class LockEntry:
    """One locked package: what pip is told to install for a target it applies to."""

    name: str
    version: str
    hashes: tuple[str, ...]  # sha256 of each locked file (wheels and sdist)
    files: tuple[str, ...]  # their names, to say what the index lacks
    marker: Marker | None = None
    requires_python: SpecifierSet | None = None

    @property
    def pin(self) -> str:
        return f"{self.name}=={self.version}"

    def applies(self, environment: Environment) -> bool:
        return _holds(self.requires_python, environment) and (
            self.marker is None or self.marker.evaluate(environment, context="lock_file"))

    def requirement_line(self) -> str:
        return " ".join([self.pin, *(f"--hash=sha256:{h}" for h in self.hashes)])


@dataclass(frozen=True)
class Lock:
    """A lock's entries, and what it says about where it holds."""

    path: Path
    entries: tuple[LockEntry, ...]
    requires_python: SpecifierSet | None = None
    environments: tuple[Marker, ...] = ()
    default_groups: frozenset[str] = frozenset()  # PEP 751: what a default install takes

    def entries_for(self, target: Target, machine: Mapping[str, str]) -> list[LockEntry]:
        """The entries that apply to ``target`` (whose interpreter reports ``machine``) in
        a default install: no extras, the lock's default groups. A lock that does not hold
        for it, or has no entry for it, is refused in one line naming the lock."""
        environment: Environment = {**machine, "extras": frozenset(),
                                    "dependency_groups": self.default_groups}
        if not _holds(self.requires_python, environment):
            raise SettingsError(f"{self.path.name}: locked for Python {self.requires_python}, "
                                f"not for {target.label} ({machine['python_full_version']})")
        if self.environments and not any(m.evaluate(environment, context="lock_file")
                                         for m in self.environments):
            raise SettingsError(
                f"{self.path.name}: locked for the environments "
                f"{' or '.join(repr(str(m)) for m in self.environments)}; {target.label} is "
                f"none of them")
        applying = [entry for entry in self.entries if entry.applies(environment)]
        if not applying:
            raise SettingsError(f"{self.path.name}: none of its {len(self.entries)} "
                                f"entries applies to {target.label}")
        return applying

    def requirements_for(self, target: Target, environment: Mapping[str, str]) -> str:
        """The requirements file text that installs exactly the lock, for ``target``."""
        lines = [f"# {self.path.name}, the entries that apply to {target.label}"]
        lines += [entry.requirement_line() for entry in self.entries_for(target, environment)]
        return "\n".join(lines) + "\n"


def read_lock(path: Path) -> Lock:
    """The lock at ``path``, any problem with it one line naming the file (or the entry)."""
    if path.name == UV_LOCK:
        return parse_pylock(exported_uv_lock(path), path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"lock {str(path)!r} cannot be read "
                            f"({getattr(exc, 'strerror', None) or exc})") from None
    return parse_pylock(text, path)


def load_lock(path: Path) -> Lock:
    """:func:`read_lock`, once per file and content (a uv.lock costs a uv run)."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _cached_lock(path, stamp)


@functools.lru_cache(maxsize=16)
def _cached_lock(path: Path, stamp: int) -> Lock:
    return read_lock(path)


def exported_uv_lock(path: Path) -> str:
    """``uv.lock`` as uv itself exports it (pylock.toml), from the project beside it: uv's
    lock format is its own, its export is the supported way out."""
    try:
        uv = uv_binary()
    except FileNotFoundError:
        raise SettingsError(f"{path.name}: reading a uv.lock needs uv, which is not "
                            f"installed; {install_hint(UV)}") from None
    project = path.parent
    if not (project / "pyproject.toml").is_file():
        raise SettingsError(f"{path}: no pyproject.toml beside it; uv exports a lock only "
                            f"from its project's directory")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/"),
           "UV_NO_CONFIG": "1", "UV_OFFLINE": "1", "UV_NO_PROGRESS": "1",
           "UV_PYTHON_DOWNLOADS": "never"}  # --frozen reads the lock alone: nothing to fetch
    try:
        done = subprocess.run([uv, "export", "--frozen", "--format", "pylock.toml",
                               "--no-emit-project", "--no-header", "--quiet", "--no-cache"],
                              cwd=project, env=env, capture_output=True, text=True,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SettingsError(f"{path}: uv export did not run ({exc})") from None
    if done.returncode:
        why = next((ln.strip() for ln in done.stderr.splitlines()
                    if ln.strip().startswith("error")), done.stderr.strip() or "no output")
        raise SettingsError(f"{path}: uv export --frozen failed: {why}")
    return done.stdout


def parse_pylock(text: str, path: Path) -> Lock:
    """A PEP 751 lock's text: its index packages, with versions and hashes."""
    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise SettingsError(f"{path.name}: not a TOML lock ({exc})") from None
    version = str(data.get("lock-version", ""))
    if not version.split(".")[0] == "1":
        raise SettingsError(f"{path.name}: lock-version {version or 'missing'!s} is not one "
                            f"this check reads (1.x, PEP 751)")
    packages = data.get("packages")
    if not isinstance(packages, list) or not packages:
        raise SettingsError(f"{path.name}: no [[packages]]: nothing is locked")
    entries = tuple(_entry(path, at, package) for at, package in enumerate(packages, 1))
    groups = data.get("default-groups", [])
    return Lock(path, entries, _specifier(path, "requires-python", data.get("requires-python")),
                tuple(m for m in (_marker(path, "environments", text)
                          for text in data.get("environments", [])) if m is not None),
                frozenset(str(g) for g in groups) if isinstance(groups, list) else frozenset())


def _entry(path: Path, at: int, package: object) -> LockEntry:
    if not isinstance(package, dict) or not package.get("name"):
        raise SettingsError(f"{path.name}: packages[{at}] has no name")
    name = str(package["name"])
    where = f"{path.name}: {name} (packages[{at}])"
    for kind in NOT_FROM_AN_INDEX:
        if kind in package:
            raise SettingsError(f"{where} is locked from a {kind}, not an index; the check "
                                f"proves only what an index serves")
    if not package.get("version"):
        raise SettingsError(f"{where} has no version: the check installs exactly what the "
                            f"lock pins")
    files = [*package.get("wheels", []), *([package["sdist"]] if "sdist" in package else [])]
    if not files:
        raise SettingsError(f"{where} locks no wheel and no sdist")
    hashes, names = [], []
    for locked in files:
        hashes_of = locked.get("hashes") if isinstance(locked, dict) else None
        sha256 = hashes_of.get("sha256") if isinstance(hashes_of, dict) else None
        if not sha256:
            raise SettingsError(f"{where}: a locked file has no sha256 hash")
        hashes.append(str(sha256))
        names.append(_file_name(locked))
    return LockEntry(canonicalize_name(name), str(package["version"]),
                     tuple(dict.fromkeys(hashes)), tuple(names),
                     _marker(path, f"{name}'s marker", package.get("marker")),
                     _specifier(path, f"{name}'s requires-python",
                                package.get("requires-python")))


def _file_name(locked: Mapping[str, object]) -> str:
    for key in ("name", "url", "path"):
        if value := locked.get(key):
            return str(value).rstrip("/").rsplit("/", 1)[-1]
    return "?"


def _marker(path: Path, what: str, text: object) -> Marker | None:
    if not text:
        return None
    try:
        return Marker(str(text))
    except InvalidMarker as exc:
        raise SettingsError(f"{path.name}: {what} {text!r} is not a marker "
                            f"({str(exc).splitlines()[0]})") from None


def _specifier(path: Path, what: str, text: object) -> SpecifierSet | None:
    if not text:
        return None
    try:
        return SpecifierSet(str(text))
    except InvalidSpecifier:
        raise SettingsError(f"{path.name}: {what} {text!r} is not a version "
                            f"specifier") from None


def _holds(spec: SpecifierSet | None, environment: Environment) -> bool:
    """``environment``'s Python is one ``spec`` (a requires-python) admits."""
    version = environment["python_full_version"]
    return spec is None or (isinstance(version, str) and spec.contains(version,
                                                                        prereleases=True))


def marker_environment(target: Target) -> dict[str, str]:
    """The environment a lock's markers are evaluated in for ``target``: its interpreter's
    own; for a foreign target, what an interpreter on that platform would report."""
    if target.executable is not None:
        try:
            done = subprocess.run([target.executable, "-I", "-c", ENVIRONMENT_SCRIPT],
                                  capture_output=True, text=True, timeout=60,
                                  env={"PATH": os.environ.get("PATH", "")})
            environment: dict[str, str] = json.loads(done.stdout)
            return environment
        except (OSError, subprocess.SubprocessError, ValueError):
            raise SettingsError(f"{target.label}: {target.executable} did not report its "
                                f"marker environment") from None
    return foreign_environment(target.platform or "", target.version)


def foreign_environment(tag: str, version: str) -> dict[str, str]:
    """A platform tag's marker environment (CPython ``version``, the tag's OS and machine)."""
    sys_platform, system, os_name = "linux", "Linux", "posix"
    for prefix, *values in PLATFORMS:
        if tag.startswith(prefix):
            sys_platform, system, os_name = values
            break
    machine = next((arch for arch in ARCHES if tag.endswith(arch)), tag.rsplit("_", 1)[-1])
    if sys_platform == "win32":
        machine = WINDOWS_MACHINES.get(machine, machine)
    elif machine == "universal2":
        machine = "arm64"  # either; the newer Macs
    return {"implementation_name": "cpython", "implementation_version": f"{version}.0",
            "os_name": os_name, "platform_machine": machine, "platform_release": "",
            "platform_system": system, "platform_version": "",
            "python_full_version": f"{version}.0",
            "platform_python_implementation": "CPython", "python_version": version,
            "sys_platform": sys_platform}

