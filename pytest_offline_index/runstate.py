"""The machine-wide registry of harness runs: who owns what, and reaping what dead runs left.

Each run writes ``<state dir>/<run id>.json`` *before* it creates anything, naming its owner
process (pid and start time, so a reused pid is not mistaken for it), its namespaces, its
server process and temp dirs. Reaping happens under one ``flock``, so two runs never reap
the same leftovers at once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .locks import flocked

log = logging.getLogger(__name__)

STATE_DIR_ENV = "OFFLINE_INDEX_STATE_DIR"
DEFAULT_STATE_DIR = "/run/pytest-offline-index"


def state_dir() -> Path:
    """Where the registry lives (read at each use: tests and users may move it)."""
    return Path(os.environ.get(STATE_DIR_ENV, DEFAULT_STATE_DIR))


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_start_time(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), None if it is gone."""
    fields = _stat(pid)
    return int(fields[19]) if fields else None  # field 22 of the whole line


def is_alive(pid: int, start_time: int | None = None) -> bool:
    """True only if ``pid`` runs (not a zombie) and, when ``start_time`` is given, is the
    very process that was recorded, not a reused pid. The one test of "is it still that
    process" for the registry, the server and shared-index members."""
    fields = _stat(pid) if pid > 0 else None
    if not fields or fields[0] == "Z":
        return False
    return start_time is None or int(fields[19]) == start_time


@dataclass
class RunRecord:
    run_id: str
    owner_pid: int
    owner_start: int | None
    namespaces: list[str] = field(default_factory=list)
    processes: list[tuple[int, int | None]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # temp dirs a reaper removes

    @property
    def path(self) -> Path:
        return state_dir() / f"{self.run_id}.json"

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self)))
        tmp.replace(self.path)

    @classmethod
    def load(cls, path: Path) -> RunRecord | None:
        try:
            data = json.loads(path.read_text())
            data["processes"] = [tuple(p) for p in data.get("processes", [])]
            return cls(**data)
        except (OSError, ValueError, TypeError):
            return None

    def owner_alive(self) -> bool:
        return is_alive(self.owner_pid, self.owner_start)


@contextlib.contextmanager
def registry_lock() -> Iterator[None]:
    """Hold the machine-wide registry lock; the last run out removes the registry itself.

    The lock file may be unlinked by the last run while another waits on it, so after
    getting the lock we check that the file we hold is still the one at the path.
    """
    directory = state_dir()
    path = directory / "lock"
    while True:
        directory.mkdir(parents=True, exist_ok=True)
        try:
            with flocked(path) as fd:
                try:
                    current = os.stat(path).st_ino
                except FileNotFoundError:
                    continue
                if current != os.fstat(fd).st_ino:
                    continue
                try:
                    yield
                finally:
                    _remove_registry_if_empty(directory, path)
                return
        except FileNotFoundError:  # the directory went away in between: start over
            continue


def _remove_registry_if_empty(directory: Path, lock: Path) -> None:
    """With the lock held: drop the registry when no run is recorded."""
    leftovers = [p for p in directory.iterdir() if p != lock]
    if not leftovers:
        lock.unlink()
        with contextlib.suppress(OSError):
            directory.rmdir()


def records() -> list[RunRecord]:
    directory = state_dir()
    if not directory.is_dir():
        return []
    found = (RunRecord.load(p) for p in sorted(directory.glob("*.json")))
    return [r for r in found if r is not None]


def stop_process(pid: int, start_time: int | None, grace: float = 10.0) -> None:
    """SIGTERM then SIGKILL one recorded process, only if it is still the recorded one."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not is_alive(pid, start_time):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and is_alive(pid, start_time):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.05)
