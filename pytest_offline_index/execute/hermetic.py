"""The hermetic environment and arguments every pip run by the harness uses.

A pass must mean "the index alone was enough": no user or global pip config, no inherited
``PIP_*`` / ``UV_*`` / ``VIRTUALENV_*`` variables (find-links, extra indexes, constraints),
no HTTP or wheel cache, and one explicitly trusted index.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

SCRUBBED_PREFIXES = ("PIP_", "UV_", "VIRTUALENV_", "PYTHON")
KEPT_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TERM", "TMPDIR", "SSL_CERT_FILE")


def hermetic_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: only harmless variables survive; pip config is disabled."""
    source = os.environ if base is None else base
    env = {key: source[key] for key in KEPT_VARIABLES if key in source}
    env.setdefault("PATH", "/usr/bin:/bin")
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["VIRTUALENV_CONFIG_FILE"] = os.devnull
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_ROOT_USER_ACTION"] = "ignore"  # inside the run's user namespace, pip is uid 0
    env["NETRC"] = os.devnull  # no ~/.netrc: credentials only as the user names them
    return env


def with_tmpdir(env: Mapping[str, str], tmpdir: Path | None) -> dict[str, str]:
    """``env`` with ``TMPDIR`` in the run's own dir: a pip killed on timeout or interrupt
    cannot clean up its temp dirs, and they must go with the run, not stay in /tmp."""
    env = dict(env)
    if tmpdir is not None:
        tmpdir.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(tmpdir)
    return env


# pip compiles every installed module to bytecode by default: 75 % of a pandas install's
# CPU (7.7 of 9.3 s here). It never decides the outcome (pip logs a file that does not
# compile and installs on), the import check compiles what it imports, and uv does not
# compile at all: the check's installs skip it.
NO_COMPILE = "--no-compile"


def index_args(simple_url: str) -> list[str]:
    """Arguments that make ``simple_url`` the only index (an http one: its host trusted;
    an https one keeps its certificate verified)."""
    parts = urlsplit(simple_url)
    trusted = ["--trusted-host", parts.hostname or ""] if parts.scheme == "http" else []
    return [
        "--isolated",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-input",
        "--progress-bar", "off",
        "--index-url", simple_url,
        *trusted,
    ]
