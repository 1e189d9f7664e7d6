"""Tiny but real distributions for the local upstream: wheels and sdists written on the fly."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import re
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


def normalize(name: str) -> str:
    """PEP 503 project name normalization."""
    return re.sub(r"[-_.]+", "-", name).lower()


def module_name(name: str) -> str:
    return normalize(name).replace("-", "_")


@dataclass(frozen=True)
class Dist:
    """A distribution to publish: one release of one project."""

    name: str
    version: str
    requires: Sequence[str] = ()
    requires_python: str | None = None
    tag: str = "py3-none-any"  # wheel tag; e.g. "cp311-cp311-manylinux_2_17_x86_64"
    sdist: bool = False  # an sdist instead of a wheel
    build_requires: Sequence[str] = field(default_factory=lambda: ("setuptools>=40.8",))
    build_backend: str = "setuptools.build_meta"
    backend_path: Sequence[str] = ()  # an in-tree backend's dirs (PEP 517 backend-path)
    # a wheel's files besides its metadata (path, text); default: the module's __init__.py.
    # An sdist's files besides its pyproject.toml, PKG-INFO and __init__.py (path in it).
    payload: tuple[tuple[str, str], ...] = ()
    top_level: tuple[str, ...] = ()  # the wheel's top_level.txt; default: the module

    @property
    def module(self) -> str:
        return module_name(self.name)

    @property
    def filename(self) -> str:
        if self.sdist:
            return f"{self.module}-{self.version}.tar.gz"
        return f"{self.module}-{self.version}-{self.tag}.whl"

    def metadata(self) -> str:
        lines = ["Metadata-Version: 2.1", f"Name: {self.name}", f"Version: {self.version}"]
        if self.requires_python:
            lines.append(f"Requires-Python: {self.requires_python}")
        lines += [f"Requires-Dist: {req}" for req in self.requires]
        return "\n".join(lines) + "\n"

    def module_source(self) -> str:
        return f'__version__ = "{self.version}"\nMARKER = "{self.name}-{self.version}"\n'

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / self.filename
        path.write_bytes(self._sdist_bytes() if self.sdist else self._wheel_bytes())
        return path

    def _wheel_bytes(self) -> bytes:
        info = f"{self.module}-{self.version}.dist-info"
        files = {
            **dict(self.payload or [(f"{self.module}/__init__.py", self.module_source())]),
            f"{info}/METADATA": self.metadata(),
            f"{info}/WHEEL": ("Wheel-Version: 1.0\nGenerator: offline-index-tests\n"
                              f"Root-Is-Purelib: {'true' if 'none-any' in self.tag else 'false'}\n"
                              f"Tag: {self.tag}\n"),
            f"{info}/top_level.txt": "".join(f"{t}\n" for t in self.top_level or [self.module]),
        }
        record = []
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
            for arcname, text in files.items():
                data = text.encode()
                wheel.writestr(_entry(arcname), data)
                digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
                record.append(f"{arcname},sha256={digest.decode()},{len(data)}")
            record.append(f"{info}/RECORD,,")
            wheel.writestr(_entry(f"{info}/RECORD"), "\n".join(record) + "\n")
        return buffer.getvalue()

    def _sdist_bytes(self) -> bytes:
        base = f"{self.module}-{self.version}"
        requires = ", ".join(f'"{r}"' for r in self.build_requires)
        deps = ", ".join(f'"{r}"' for r in self.requires)
        files = {
            f"{base}/pyproject.toml": (
                f'[build-system]\nrequires = [{requires}]\n'
                f'build-backend = "{self.build_backend}"\n'
                + (f"backend-path = {list(self.backend_path)!r}\n" if self.backend_path else "")
                + f'\n[project]\nname = "{self.name}"\nversion = "{self.version}"\n'
                f"dependencies = [{deps}]\n"
                + (f'requires-python = "{self.requires_python}"\n'
                   if self.requires_python else "")),
            f"{base}/{self.module}/__init__.py": self.module_source(),
            f"{base}/PKG-INFO": self.metadata(),
            **{f"{base}/{path}": text for path, text in self.payload},
        }
        buffer = io.BytesIO()
        # no time in the gzip header either: the same dist is the same bytes, on any day
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as packed, \
                tarfile.open(fileobj=packed, mode="w") as tar:
            for arcname, text in files.items():
                data = text.encode()
                member = tarfile.TarInfo(arcname)
                member.size = len(data)
                member.mtime = 0
                tar.addfile(member, io.BytesIO(data))
        return buffer.getvalue()


def _entry(arcname: str) -> zipfile.ZipInfo:
    """A wheel member with a fixed time: the same dist is the same bytes (and hash) on any
    day, so a lock written once for it stays true (tests/data/locks)."""
    info = zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def embedded_wheel(project: str) -> Path:
    """The newest ``project`` wheel virtualenv ships (setuptools, pip): a real build backend
    for the local upstream, with no network needed to get it."""
    import virtualenv.seed.wheels.embed as embed

    folder = Path(embed.__file__).parent
    wheels = sorted(folder.glob(f"{project}-*-py3-none-any.whl"),
                    key=lambda p: tuple(int(x) for x in p.name.split("-")[1].split(".")
                                        if x.isdigit()))
    if not wheels:
        raise FileNotFoundError(f"virtualenv ships no {project} wheel in {folder}")
    return wheels[-1]
