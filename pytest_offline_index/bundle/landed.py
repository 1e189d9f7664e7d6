"""A bundle where it lands: read back from its dir, its files checked against its manifest,
and the part that serves this machine's Python and platform chosen — or one line saying
what to add where the bundle is made. Reads only: nothing is ever written into the dir.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from ..errors import BundleError, SettingsError
from ..findings import ImportResult
from ..inputs.export_dir import DEVPI, MANIFEST, SBOM, SCHEMA, WHEELHOUSE
from ..util.files import sha256_of
from ..util.words import count
from .sbom import sbom_disagreements

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


@dataclass(frozen=True)
class ImportRequest:
    """What a part's import check imports: the modules named, else the top-level modules
    of ``distributions`` (of ``every`` one, or of those that have any)."""

    modules: tuple[str, ...] = ()
    distributions: tuple[str, ...] = ()
    every: bool = True

    def check(self, venv: Importing) -> list[ImportResult]:
        """The import check of this request in ``venv``."""
        return venv.check_imports(*self.modules, distributions=self.distributions,
                                  every=self.every)


class Importing(Protocol):
    """A venv that checks imports (``FreshVenv``)."""

    def check_imports(self, *modules: str, distributions: Sequence[str] = (),
                      every: bool = True) -> list[ImportResult]: ...


@dataclass(frozen=True)
class LandedPart:
    """One target's part, as the manifest says it."""

    label: str
    python: str
    platform: str | None  # a foreign target's tag; None: the machine that made it
    requirements: str
    files: tuple[str, ...]
    imports: ImportRequest
    requirements_sha256: str


@dataclass(frozen=True)
class LandedBundle:
    """A bundle in ``directory`` whose manifest says it is complete."""

    directory: Path
    parts: dict[str, LandedPart]
    files: dict[str, tuple[int, str]]  # wheelhouse name -> bytes, sha256
    devpi: Mapping[str, Any] | None
    made_with: Mapping[str, Any]
    manifest: Mapping[str, Any]

    @classmethod
    def read(cls, text: str) -> LandedBundle:
        """The bundle in ``text`` (a dir), or SettingsError in one line."""
        directory = Path(text).expanduser().absolute()
        where = f"bundle: {text!r}"
        if not directory.is_dir():
            raise SettingsError(f"{where} is not a directory")
        try:
            manifest = json.loads((directory / MANIFEST).read_text())
        except FileNotFoundError:
            raise SettingsError(f"{where} is not a bundle: it has no {MANIFEST} (make one "
                                f"with --offline-index-export=DIR)") from None
        except (OSError, ValueError) as exc:
            raise SettingsError(f"{where}: {MANIFEST} cannot be read: "
                                f"{getattr(exc, 'strerror', None) or exc}") from None
        schema = manifest.get("schema") if isinstance(manifest, dict) else None
        if schema != SCHEMA:
            raise SettingsError(f"{where}: its manifest's schema is {schema!r}, this "
                                f"pytest-offline-index reads {SCHEMA!r}: check it with the "
                                f"version that made it, or make it again")
        if not manifest.get("complete"):
            raise SettingsError(f"{where}: its manifest says incomplete "
                                f"({manifest.get('failure') or 'its check did not pass'}); "
                                f"make it again with a passing check")
        try:
            return cls(directory, _parts(manifest["targets"]),
                       {f["name"]: (int(f["bytes"]), str(f["sha256"]))
                        for f in manifest["files"]},
                       manifest.get("devpi"), manifest.get("checked_with") or {}, manifest)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SettingsError(f"{where}: its manifest is malformed ({exc!r})") from None

    @property
    def wheelhouse(self) -> Path:
        return self.directory / WHEELHOUSE

    def devpi_dir(self) -> Path | None:
        return self.directory / DEVPI if self.devpi else None

    def candidates(self, version: str) -> list[LandedPart]:
        """The parts for Python ``version``, or BundleError naming what to add."""
        found = [part for part in self.parts.values() if part.python == version]
        if not found:
            has = ", ".join(sorted(self.parts)) or "none"
            raise BundleError(f"the bundle has no part for Python {version} (it has: {has}); "
                              f"add --offline-index-python={version} where the bundle is "
                              f"made")
        return found

    def part_for(self, version: str, tags: Iterable[str]) -> LandedPart:
        """The part whose every file this interpreter (its ``tags``, best first) takes, or
        BundleError naming the platform to add."""
        accepted = list(tags)
        candidates = self.candidates(version)
        for part in candidates:
            if not not_for(part.files, set(accepted)):
                return part
        odd = not_for(candidates[0].files, set(accepted))
        more = f" and {len(odd) - 1} more" if len(odd) > 1 else ""
        labels = ", ".join(p.label for p in candidates)
        raise BundleError(
            f"the bundle's Python {version} part(s) ({labels}) are not for this machine: "
            f"{odd[0]}{more} does not fit {accepted[0] if accepted else 'this interpreter'}; add "
            f"--offline-index-platform={suggested_platform(accepted)}:{version} where the "
            f"bundle is made")

    def verify(self, part: LandedPart) -> str:
        """``part``'s files against the manifest (present, size, sha256), nothing else in
        the wheelhouse, and the devpi part's files; what it checked, or BundleError naming
        every file that differs."""
        wrong: list[str] = []
        for name in part.files:
            if name not in self.files:
                wrong.append(f"{name} is not in the manifest's file list")
                continue
            wrong += _differs(self.wheelhouse / name, f"{WHEELHOUSE}/{name}",
                              *self.files[name])
        try:
            present = {p.name for p in self.wheelhouse.iterdir()}
        except OSError as exc:
            raise BundleError(f"{self.wheelhouse} cannot be read ({exc.strerror})") from None
        wrong += [f"{WHEELHOUSE}/{name} is not in the manifest (pip could take it)"
                  for name in sorted(present - set(self.files))]
        requirements = self.directory / part.requirements
        if not requirements.is_file():
            wrong.append(f"{part.requirements} is missing")
        elif sha256_of(requirements) != part.requirements_sha256:
            wrong.append(f"{part.requirements} has another sha256 than the manifest's")
        devpi = list((self.devpi or {}).get("files") or [])
        for entry in devpi:
            wrong += _differs(self.directory / DEVPI / entry["name"], f"{DEVPI}/{entry['name']}",
                              int(entry["bytes"]), str(entry["sha256"]))
        wrong += sbom_disagreements(self.directory, self.manifest)
        if wrong:
            raise BundleError("; ".join(wrong))
        return (f"{part.label}: {count(len(part.files), 'file')} and {part.requirements} as "
                f"the manifest lists them"
                + (f", devpi/'s {count(len(devpi), 'file')}" if devpi else "")
                + f", and {SBOM} agrees with it")

    def pins(self, part: LandedPart) -> dict[str, str]:
        """``part``'s pinned requirements, as its requirements file says them."""
        pins = {}
        for line in (self.directory / part.requirements).read_text().splitlines():
            if match := PIN.match(line.strip()):
                pins[match.group(1)] = match.group(2)
        return pins


def _parts(targets: Mapping[str, Any]) -> dict[str, LandedPart]:
    parts = {}
    for label, part in targets.items():
        imports = part.get("imports") or {}
        parts[label] = LandedPart(
            label, str(part["python"]), part.get("platform"), str(part["requirements"]),
            tuple(part["files"]),
            ImportRequest(tuple(imports.get("modules") or ()),
                          tuple(imports.get("distributions") or ()),
                          bool(imports.get("every", True))),
            str(part.get("requirements_sha256", "")))
    return parts


def _differs(path: Path, name: str, size: int, digest: str) -> list[str]:
    """How ``path`` differs from what the manifest says of it (nothing: [])."""
    try:
        actual = path.stat().st_size
    except FileNotFoundError:
        return [f"{name} is missing"]
    except OSError as exc:
        return [f"{name} cannot be read ({exc.strerror})"]
    if actual != size:
        return [f"{name} has {actual} bytes, the manifest says {size}"]
    if sha256_of(path) != digest:
        return [f"{name} has another sha256 than the manifest's"]
    return []


def not_for(files: Iterable[str], tags: set[str]) -> list[str]:
    """The wheels among ``files`` that an interpreter taking ``tags`` would not install
    (sdists it builds: they fit any)."""
    odd = []
    for name in files:
        if not name.endswith(".whl"):
            continue
        try:
            wheel_tags: frozenset[Tag] = parse_wheel_filename(name)[3]
        except InvalidWheelFilename:
            odd.append(name)
            continue
        if not {str(tag) for tag in wheel_tags} & tags:
            odd.append(name)
    return odd


def suggested_platform(tags: list[str]) -> str:
    """The platform tag to make a bundle for this machine with: the most widely served
    one it takes (manylinux2014 on Linux), else its most general."""
    platforms = list(dict.fromkeys(t.rsplit("-", 1)[-1] for t in tags if "-" in t))
    for platform in platforms:
        if platform.startswith("manylinux2014_"):
            return platform
    specific = [p for p in platforms if p != "any"]
    return specific[-1] if specific else "any"
