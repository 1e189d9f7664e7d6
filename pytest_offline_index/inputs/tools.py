"""Which installers this machine can run: pip always; uv and devpi-client when their extras
are installed beside the harness (uv at a version that writes the pylock.toml the origin check
reads). Asked before anything starts, so a missing one is one line, not a failed step."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import shutil
import subprocess

from packaging.version import Version

from ..execute.hermetic import hermetic_env

PIP, UV, DEVPI = "pip", "uv", "devpi"
INSTALLERS = (PIP, UV, DEVPI)
EXTRAS = {UV: "uv", DEVPI: "devpi"}
WHAT = {UV: "uv", DEVPI: "devpi-client"}
# uv's pylock.toml output (uv pip compile --format pylock.toml) came in 0.6.15
UV_OLDEST = Version("0.6.15")


def not_installed(installer: str) -> str | None:
    """Why ``installer`` cannot run here (one line naming the extra), or None if it can."""
    if installer == UV:
        try:
            uv = uv_binary()
        except FileNotFoundError:
            pass
        else:
            if (version := uv_version(uv)) >= UV_OLDEST:
                return None
            return (f"installer 'uv': uv {version} cannot write the pylock.toml the origin "
                    f"check reads; upgrade it: pip install 'uv>={UV_OLDEST}'")
    elif installer == DEVPI:
        if importlib.util.find_spec("devpi") is not None and \
                importlib.util.find_spec("devpi.main") is not None:
            return None
    else:
        return None
    return f"installer {installer!r}: {WHAT[installer]} is not installed; {install_hint(installer)}"


def install_hint(installer: str) -> str:
    """How to get ``installer``: words that work from a checkout and from an install."""
    if installer == UV:
        return (f"install it beside pytest (pip install 'uv>={UV_OLDEST}', which the [uv] "
                f"extra does too) or put uv on PATH")
    return "install it beside pytest (pip install devpi-client, which the [devpi] extra does too)"


def uv_binary() -> str:
    """The uv executable of the ``uv`` package installed with the harness, else the one on
    PATH."""
    if importlib.util.find_spec("uv") is not None:
        return str(importlib.import_module("uv").find_uv_bin())
    if found := shutil.which("uv"):
        return found
    raise FileNotFoundError("uv")


@functools.cache
def uv_version(uv: str) -> Version:
    """The version of the uv executable ``uv``."""
    done = subprocess.run([uv, "--version"], capture_output=True, text=True,
                          check=False, env=hermetic_env())
    return Version(done.stdout.split()[1]) if done.returncode == 0 else Version("0")
