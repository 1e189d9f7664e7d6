"""A devpi server dir that lasts between runs (``--offline-index-cache-dir``).

One run uses it at a time: the others wait, saying whose it is. A directory that is not a
devpi server dir, or one another devpi-server version wrote, is refused in one line, never
wiped. The root password of the server in it is kept beside its data (mode 0600): the
server only ever listens inside the run's private namespaces.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import secrets
import warnings
from collections.abc import Callable
from pathlib import Path

from ..errors import SettingsError
from ..util.flock import lock

LOCK = ".offline-index.lock"
OWNER = ".offline-index.owner"
PASSWORD = ".offline-index.root-password"
SERVERDIR = "devpi"  # devpi's own dir inside: devpi-init wants it empty or its own
OURS = (LOCK, OWNER, PASSWORD, SERVERDIR)


def devpi_state_version() -> str:
    """The server-dir state version this devpi-server reads and writes."""
    with warnings.catch_warnings():  # devpi's own imports warn about modules Python drops
        warnings.simplefilter("ignore", DeprecationWarning)
        return str(importlib.import_module("devpi_server.main").DATABASE_VERSION)


class CacheDir:
    """Owns the lock on one persistent server dir for as long as a run uses it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.serverdir = self.path / SERVERDIR
        self._fd: int | None = None

    @property
    def initialised(self) -> bool:
        return (self.serverdir / ".nodeinfo").is_file()

    def acquire(self, progress: Callable[[str], None] | None = None) -> CacheDir:
        """Take the dir for this run, waiting for another run that holds it."""
        self.path.mkdir(parents=True, exist_ok=True)
        self.check()  # before the lock file: a refused dir is left exactly as it was
        def say_whose() -> None:
            holder = (self.path / OWNER).read_text().strip() if (
                self.path / OWNER).exists() else "another run"
            if progress is not None:
                progress(f"cache dir {self.path} is in use by {holder}; waiting for it")

        self._fd = lock(self.path / LOCK, on_wait=say_whose)
        (self.path / OWNER).write_text(f"pid {os.getpid()}\n")
        try:
            self.check()
        except BaseException:
            self.release()
            raise
        return self

    def check(self) -> None:
        """Refuse a directory that is not ours to use, in one line naming it."""
        others = sorted(p.name for p in self.path.iterdir() if p.name not in OURS)
        if others or (self.serverdir.exists() and not self.initialised):
            what = f"{others[0]!r} and {len(others) - 1} more" if others else (
                f"{SERVERDIR}/ without a .nodeinfo")
            raise SettingsError(
                f"cache dir {self.path}: not one an earlier run made (it holds {what}); give "
                f"an empty directory or one --offline-index-cache-dir made")
        if not self.initialised:
            return
        version = self.serverdir / ".serverversion"
        found = version.read_text().strip() if version.exists() else "unknown"
        wanted = devpi_state_version()
        if found != wanted:
            raise SettingsError(
                f"cache dir {self.path}: written by a devpi-server with state version "
                f"{found}, this one uses {wanted}; give another --offline-index-cache-dir "
                f"(nothing was changed in it)")

    def root_password(self) -> str:
        """The server's root password: the one kept here, or a new one to keep."""
        path = self.path / PASSWORD
        if path.exists():
            return path.read_text().strip()
        password = secrets.token_urlsafe(24)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password + "\n")
        return password

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(FileNotFoundError):
                (self.path / OWNER).unlink()
            os.close(self._fd)
            self._fd = None
