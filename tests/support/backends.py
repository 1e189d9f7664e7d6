"""Sdists built by an in-tree backend of the test's making (PEP 517 ``backend-path``): their
metadata comes at once, without a build (all a warm asks for), and their wheel build does
what the test needs — hang, or write somewhere — before it writes the real wheel. Asked for
its build requirements (the first hook pip calls, in a warm too) it can do something first."""

from __future__ import annotations

import textwrap
from pathlib import Path

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


def writes_into_pip(armed: str | None = None) -> str:
    """Build statements that write into the building pip's own files in place (what no
    installer does) — once ``armed`` (a path) exists, if given: that seed is shared by hard
    links with the run's other venvs of its Python. Only in the check's install venvs
    (``venvs/py<version>-…``), never a warmer's, whose seed is virtualenv's image."""
    condition = f"os.path.exists({armed!r}) and " if armed is not None else ""
    return f"""
if {condition}"/venvs/py" in sys.prefix:
    pip = os.path.join(sys.prefix, "lib", "python%d.%d" % sys.version_info[:2],
                       "site-packages", "pip", "__init__.py")
    with open(pip, "ab") as written:
        written.write(b"{WRITTEN_INTO.decode()}\\n")
"""


# what :func:`writes_into_pip` appends
WRITTEN_INTO = b"# written into by a build"


def templates_written_into(cache: Path) -> list[Path]:
    """The kept far-side templates in ``cache`` (an ``XDG_CACHE_HOME``) whose pip holds what
    :func:`writes_into_pip` wrote: none may be left for a later venv."""
    return [pip for pip in cache.glob("pytest-offline-index/far-side/*/lib/*/*/pip")
            if WRITTEN_INTO in (pip / "__init__.py").read_bytes()]


def _body(statements: str) -> str:
    return textwrap.indent(textwrap.dedent(statements).strip(), "    ")
