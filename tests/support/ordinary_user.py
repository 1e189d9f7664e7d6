"""An ordinary user for the tests that prove the harness needs no root.

The suite runs as root; these tests drop privileges themselves: uid and gid 65534 (nobody),
no supplementary groups, a clean environment, a home and a temp dir of its own, and a venv it
can read made by a Python it can run (Debian's ``/usr/bin/python3``: pyenv's installs under
``/root`` are not readable by others). The project goes into that venv as a wheel built from
this checkout; its dependencies come from the public index, as for any user — installed
with uv (a copy of the suite's own, which the user can run): pip installing the same costs
~25 CPU-s a venv on these machines, compiling every module of devpi's dependencies, uv ~1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from pytest_offline_index.inputs.tools import uv_binary

UID = GID = 65534
SYSTEM_PYTHON = "/usr/bin/python3"
REPO = Path(__file__).resolve().parents[2]
EXTRAS = ("pytest-xdist", "psutil")  # for the inner suites: xdist, and nothing else
# under --dist loadgroup, the user's tests share one worker: its venv is made once
ORDINARY_USER_GROUP = "ordinary-user"


class OrdinaryUser:
    """A home (``root``) owned by the user, with ``venv`` holding the harness."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.home = self.root / "home"
        self.tmp = self.root / "tmp"
        self.venv = self.root / "venv"
        self.uv = self.root / "bin" / "uv"

    @property
    def python(self) -> str:
        return str(self.venv / "bin" / "python")

    def env(self, extra: Mapping[str, str] | None = None,
            drop: Sequence[str] = ()) -> dict[str, str]:
        env = {"PATH": f"{self.venv / 'bin'}:/usr/bin:/bin", "HOME": str(self.home),
               "TMPDIR": str(self.tmp), "LANG": "C.UTF-8"}
        for key in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            if key in os.environ:  # how this machine reaches the public index (uv, which
                # reads no pip config, trusts SSL_CERT_FILE)
                env[key] = os.environ[key]
        return {k: v for k, v in {**env, **(extra or {})}.items() if k not in drop}

    def command(self, argv: Sequence[str], extra: Mapping[str, str] | None = None,
                drop: Sequence[str] = ()) -> list[str]:
        """``argv`` as the user, with only the user's environment (less ``drop``)."""
        env = [f"{k}={v}" for k, v in self.env(extra, drop).items()]
        return ["setpriv", f"--reuid={UID}", f"--regid={GID}", "--clear-groups",
                "env", "-i", *env, *argv]

    def own(self, path: Path) -> Path:
        """Give ``path`` (a dir the test made, and what is in it) to the user."""
        for dirpath, _, files in os.walk(path):
            os.chown(dirpath, UID, GID)
            for name in files:
                os.chown(os.path.join(dirpath, name), UID, GID)
        return path

    def set_up(self, wheelhouse: Path) -> OrdinaryUser:
        """The venv, with the harness from ``wheelhouse`` and its dependencies."""
        for path in (self.root, self.home, self.tmp):
            path.mkdir(parents=True, exist_ok=True)
        self.own(self.root)
        os.chmod(self.root, 0o755)
        run(self.command([SYSTEM_PYTHON, "-m", "venv", str(self.venv)]))
        self.uv.parent.mkdir()
        shutil.copy(uv_binary(), self.uv)
        os.chmod(self.uv, 0o755)
        wheel = next(wheelhouse.glob("pytest_offline_index-*.whl"))
        run(self.command(harness_install(self.python, f"{wheel}[uv,devpi]", *EXTRAS,
                                         uv=str(self.uv))))
        return self


def harness_install(python: str, *requirements: str, uv: str | None = None) -> list[str]:
    """The command that installs ``requirements`` (this checkout's wheel, with extras) into
    the venv of ``python`` as a user of uv does: what they need from the public index,
    into a cache of the run's own (the user's HOME, or the suite's ``XDG_CACHE_HOME``).
    No config files: uv would read a ``uv.toml`` in the directory it starts in (the
    suite's), which the user may not be allowed to open."""
    return [uv or uv_binary(), "pip", "install", "--quiet", "--no-config", "--python", python,
            *requirements]


def build_wheel(into: Path) -> Path:
    """This checkout as a wheel, in a dir anyone can read."""
    into.mkdir(parents=True, exist_ok=True)
    source = into / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".tox", "*.egg-info", "build", "__pycache__", ".mypy_cache", ".ruff_cache"))
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(into),
         str(source)])
    shutil.rmtree(source)
    for dirpath, _, files in os.walk(into):
        os.chmod(dirpath, 0o755)
        for name in files:
            os.chmod(os.path.join(dirpath, name), 0o644)
    return into


def run(argv: Sequence[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)[:200]} failed: {(done.stdout + done.stderr)[-2000:]}")
