"""The versions a check runs with, in one line for pytest's header: the harness's, the
devpi-server it starts, and each installer's as found here. pip is the one the far side's
venvs get (each target Python's ensurepip seed), not the harness's own."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from collections.abc import Sequence

from .._version import __version__
from ..execute.hermetic import hermetic_env
from .targets import Target, running_target
from .tools import uv_binary, uv_version

ENSUREPIP = "import ensurepip; print(ensurepip.version())"


def header_line(targets: Sequence[Target]) -> str:
    """``offline-index: pytest-offline-index 0.1.0, devpi-server 6.20.3, pip 23.2.1, ...``"""
    return "offline-index: " + ", ".join([
        f"pytest-offline-index {__version__}",
        distribution("devpi-server"),
        pip_versions(targets),
        uv(),
        distribution("devpi-client"),
    ])


def distribution(name: str) -> str:
    """``name`` and its version, or that it is not installed beside the harness."""
    try:
        return f"{name} {importlib.metadata.version(name)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{name} not installed"


def uv() -> str:
    try:
        binary = uv_binary()
    except FileNotFoundError:
        return "uv not installed"
    return f"uv {uv_version(binary)}"


def pip_versions(targets: Sequence[Target]) -> str:
    """The pip each local target's far-side venv is seeded with: one version when they all
    agree, else each with its target (``pip 23.2.1 (py3.11), 24.0 (py3.12)``)."""
    local = [t for t in targets if t.executable is not None] or [running_target()]
    found = {t.label: ensurepip_version(str(t.executable)) for t in local}
    if len(set(found.values())) == 1:
        return f"pip {next(iter(found.values()))}"
    return "pip " + ", ".join(f"{version} ({label})" for label, version in found.items())


def ensurepip_version(python: str) -> str:
    """The pip ``python``'s ensurepip seeds a venv with, or why there is none."""
    if python == sys.executable:
        try:
            import ensurepip
        except ImportError:
            return "unknown (no ensurepip)"
        return ensurepip.version()
    try:
        done = subprocess.run([python, "-I", "-c", ENSUREPIP], capture_output=True, text=True,
                              check=False, env=hermetic_env(), timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown (no ensurepip)"
