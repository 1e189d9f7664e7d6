"""Sdists built by an in-tree backend of the test's making (PEP 517 ``backend-path``): their
metadata comes at once, without a build (all a warm asks for), and their wheel build does
what the test needs — hang, or write somewhere — before it writes the real wheel. Asked for
its build requirements (the first hook pip calls, in a warm too) it can do something first."""

from __future__ import annotations

import textwrap

from .dists import Dist

BACKEND = """
import base64, hashlib, os, sys, time, zipfile

INFO = {info!r}
FILES = {files!r}


def get_requires_for_build_wheel(config_settings=None):
{asked}
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    os.makedirs(os.path.join(metadata_directory, INFO))
    with open(os.path.join(metadata_directory, INFO, "METADATA"), "w") as f:
        f.write(FILES[INFO + "/METADATA"])
    return INFO


def _wheel(wheel_directory):
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, {wheel!r}), "w") as wheel:
        for name, text in FILES.items():
            wheel.writestr(name, text)
            digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())
            record.append("%s,sha256=%s,%d" % (name, digest.rstrip(b"=").decode(), len(text)))
        wheel.writestr(INFO + "/RECORD", "\\n".join(record + [INFO + "/RECORD,,"]))
    return {wheel!r}


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
{build}
    return _wheel(wheel_directory)
"""


def in_tree_sdist(name: str, build: str = "pass", version: str = "1.0",
                  asked: str = "pass") -> Dist:
    """An sdist of ``name`` whose wheel build runs the statements ``build`` first (with
    ``os``, ``sys`` and ``time`` imported), then writes the wheel ``Dist(name)`` would be;
    asked for its build requirements, it runs ``asked`` first."""
    plain = Dist(name, version)
    info = f"{plain.module}-{version}.dist-info"
    files = {f"{plain.module}/__init__.py": plain.module_source(),
             f"{info}/METADATA": plain.metadata(),
             f"{info}/WHEEL": ("Wheel-Version: 1.0\nGenerator: offline-index-tests\n"
                               "Root-Is-Purelib: true\nTag: py3-none-any\n")}
    backend = BACKEND.format(info=info, files=files, wheel=plain.filename,
                             build=_body(build), asked=_body(asked))
    return Dist(name, version, sdist=True, build_requires=(), build_backend="in_tree_backend",
                backend_path=(".",), payload=(("in_tree_backend.py", backend),))


def _body(statements: str) -> str:
    return textwrap.indent(textwrap.dedent(statements).strip(), "    ")
