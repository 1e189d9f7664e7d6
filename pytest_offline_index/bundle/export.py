"""The export: what an air-gapped machine needs, written after a passed check, in one dir.

``DIR/wheelhouse/`` holds every file the warms fetched (build requirements included), once;
``DIR/requirements-<target>.txt`` what the target's install check installed, pinned, each
with the hashes of its files in the wheelhouse; ``DIR/devpi/`` devpi-server's own export of
the run's index (see :mod:`.devpi`); ``DIR/manifest.json`` every file (size, sha256,
targets, whether it is a build requirement only), each target's part and its proof, the devpi
part, and what the check ran with; ``DIR/sbom.cdx.json`` the same files as a CycloneDX SBOM
(see :mod:`.sbom`), written with the manifest each time, so the two agree.
The manifest says ``"complete": true`` only once every target's part is written and proven
(a foreign target's: written) and devpi's export written; until then, and after any failure,
it says false and why. A dir holding anything else is refused before the run and left
alone; an earlier export is replaced, and only what its manifest lists is removed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import Version

from ..errors import BundleError
from ..inputs.export_dir import (
    DEVPI,
    MANIFEST,
    PROVEN,
    SBOM,
    SCHEMA,
    WHEELHOUSE,
    earlier_export,
    listed,
    requirements_name,
)
from ..proof.as_warmed import version_key
from ..util.distfiles import parse_filename
from ..util.files import copy_whole, sha256_of, write_whole
from .landed import ImportRequest
from .sbom import sbom_json


def _remove(directory: Path, names: Iterable[str]) -> None:
    for name in names:
        entry = directory / name
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


@dataclass
class Part:
    """One target's part of the bundle."""

    python: str
    platform: str | None
    requirements: str
    files: list[str]
    status: str = "written"  # then: passed, failed, or bundled, not install-checked
    detail: str = ""
    requirements_sha256: str = ""
    imports: dict[str, object] = field(default_factory=dict)  # what its import check imports


@dataclass
class Bundle:
    """Writes the export in ``directory`` for the targets ``labels``, part by part."""

    directory: Path
    labels: Sequence[str]
    checked_with: Mapping[str, object]
    parts: dict[str, Part] = field(default_factory=dict)
    _files: dict[str, tuple[int, str, list[str]]] = field(default_factory=dict)  # size, sha
    _pinned: set[tuple[str, Version | str]] = field(default_factory=set)  # every target's pins
    devpi: dict[str, Any] | None = None  # the devpi part, once written
    _begun: bool = False
    _failure: str = ""

    @property
    def wheelhouse(self) -> Path:
        return self.directory / WHEELHOUSE

    @property
    def complete(self) -> bool:
        """Every target's part written and proven (a foreign one: written), devpi's export
        written, nothing failed."""
        return (not self._failure and self.devpi is not None
                and all(label in self.parts and self.parts[label].status in PROVEN
                        for label in self.labels))

    def add(self, label: str, python: str, platform: str | None, pins: Mapping[str, str],
            files: Iterable[tuple[Path, str]], imports: ImportRequest | None = None,
            ) -> Path:
        """Write ``label``'s part: its files (each with its sha256, as the warm took it)
        into the wheelhouse and its pins, each with the hashes of its files there; returns
        its requirements file. A part written already is left as it is (a second proof
        proves what is there)."""
        if label in self.parts:
            return self.directory / self.parts[label].requirements
        try:
            self._begin()
            by_pin: dict[tuple[str, Version | str], list[str]] = {}
            names = []
            for path, digest in files:
                self._copy(path, digest, label)
                names.append(path.name)
                name, version = parse_filename(path.name)
                by_pin.setdefault(_pin(name, version or ""), []).append(digest)
            lines = [f"# {label}: what the install check installed, pinned, with the hashes "
                     f"of its files in {WHEELHOUSE}/"]
            for name, version in sorted(pins.items()):
                hashes = by_pin.get(_pin(name, version))
                if not hashes:
                    raise BundleError(f"{label}: {name} {version} was installed but no file "
                                      f"of it was warmed: nothing to put in the bundle")
                lines.append(" ".join([f"{name}=={version}",
                                       *(f"--hash=sha256:{h}" for h in sorted(set(hashes)))]))
            requirements = self.directory / requirements_name(label)
            write_whole(requirements, "\n".join(lines) + "\n")
            self.parts[label] = Part(python, platform, requirements.name, sorted(names),
                                     requirements_sha256=sha256_of(requirements),
                                     imports=asdict(imports or ImportRequest()))
            self._pinned.update(_pin(name, version) for name, version in pins.items())
            self._write_manifest()
            return requirements
        except OSError as exc:
            raise self._failed(f"writing {label}'s part", exc) from None

    def devpi_exported(self, export: Callable[[Path], None], index: str) -> Path:
        """``DIR/devpi/``, written once by ``export`` (devpi-export, into a dir it is given)
        for the whole bundle: devpi-import it on the far side, serve ``index``."""
        dest = self.directory / DEVPI
        if self.devpi is None:
            partial = dest.with_name(f"{DEVPI}.{os.getpid()}.part")
            try:
                self._begin()
                export(partial)
                partial.replace(dest)
                self.devpi = {"dir": DEVPI, "index": index, "import": (
                    f"devpi-import --serverdir NEW {DEVPI}, then devpi-server --serverdir "
                    f"NEW --offline-mode; install from http://HOST:PORT/{index}/+simple/"),
                    "files": [{"name": path.relative_to(dest).as_posix(),
                               "bytes": path.stat().st_size, "sha256": sha256_of(path)}
                              for path in sorted(dest.rglob("*")) if path.is_file()]}
                self._write_manifest()
            except OSError as exc:
                raise self._failed("writing devpi's export", exc) from None
            finally:
                shutil.rmtree(partial, ignore_errors=True)
        return dest

    def result(self, label: str, status: str, detail: str = "") -> None:
        """How ``label``'s part fared: its proof passed or failed, or it was not checked."""
        if label in self.parts:
            self.parts[label].status, self.parts[label].detail = status, detail
        try:
            self._write_manifest()
        except OSError as exc:
            raise self._failed("writing the manifest", exc) from None

    def _begin(self) -> None:
        """Replace an earlier export (parse_export_dir let only one through): its manifest
        first, saying incomplete, so a run killed meanwhile leaves an export, not debris."""
        if self._begun:
            return
        self.directory.mkdir(exist_ok=True)
        earlier = earlier_export(self.directory) or set()
        self._write_manifest()
        _remove(self.directory, earlier - {MANIFEST, SBOM})
        self.wheelhouse.mkdir()
        self._begun = True

    def _copy(self, path: Path, digest: str, label: str) -> None:
        known = self._files.get(path.name)
        if known is not None:
            if known[1] != digest:  # one name, two contents: the bundle could carry only one
                raise BundleError(f"{path.name}: two warms fetched different files of this "
                                  f"name (sha256 {known[1]} and {digest})")
            if label not in known[2]:
                known[2].append(label)
            return
        target = self.wheelhouse / path.name
        copy_whole(path, target)
        size = target.stat().st_size
        self._files[path.name] = (size, digest, [label])

    def _failed(self, doing: str, exc: OSError) -> BundleError:
        """The export could not be written: say so in its manifest, or remove it whole."""
        self._failure = f"{doing}: {exc.strerror or exc}"
        for sbom in (True, False):  # the larger SBOM may not fit where the manifest does
            try:
                self._write_manifest(sbom=sbom)
            except OSError:
                continue
            return BundleError(f"export {self.directory}: {self._failure}; its manifest says "
                               f"incomplete")
        _remove(self.directory, listed(self.manifest()))
        return BundleError(f"export {self.directory}: {self._failure}; removed what was "
                           f"written")

    def manifest(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "complete": self.complete,
            "failure": self._failure or None,
            "checked_with": dict(self.checked_with),
            "targets": {label: vars(part) for label, part in self.parts.items()},
            "devpi": self.devpi,
            "files": [{"name": name, "bytes": size, "sha256": digest, "targets": labels,
                       "build_requirement_only": _pin(*parse_filename(name)) not in self._pinned}
                      for name, (size, digest, labels) in sorted(self._files.items())],
        }

    def _write_manifest(self, sbom: bool = True) -> None:
        """The manifest and the SBOM made from it; the SBOM first, so that a manifest
        saying complete always has the SBOM of the same files beside it."""
        manifest = self.manifest()
        if sbom:
            write_whole(self.directory / SBOM, sbom_json(manifest))
        write_whole(self.directory / MANIFEST, json.dumps(manifest, indent=2) + "\n")


def _pin(name: str, version: str | None) -> tuple[str, Version | str]:
    """A distribution as a file name and as metadata both say it: normalised."""
    return canonicalize_name(name), version_key(version or "")
