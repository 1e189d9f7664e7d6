"""The machine-wide registry of harness runs: who owns what, and reaping what dead runs left.

Each run writes ``<STATE_DIR>/<run id>.json`` *before* it creates anything, naming its owner
process (pid and start time, so a reused pid is not mistaken for it), its namespaces, its
server process and temp dirs. Reaping happens under one ``flock``, so two runs never reap
the same leftovers at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

STATE_DIR = Path(os.environ.get("OFFLINE_INDEX_STATE_DIR", "/run/pytest-offline-index"))


def process_start_time(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22; the command name (field 2) may hold spaces, so split after its ')'.
    return int(stat.rsplit(")", 1)[1].split()[19])


def is_alive(pid: int, start_time: int | None) -> bool:
    """True only if ``pid`` is the very process that was recorded (not a reused pid)."""
    if pid <= 0:
        return False
    return process_start_time(pid) == start_time if start_time is not None else (
        process_start_time(pid) is not None)


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
        return STATE_DIR / f"{self.run_id}.json"

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
    path = STATE_DIR / "lock"
    while True:
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:  # the directory went away in between: start over
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path).st_ino
            except FileNotFoundError:
                continue
            if current != os.fstat(fd).st_ino:
                continue
            try:
                yield
            finally:
                _remove_registry_if_empty(path)
            return
        finally:
            os.close(fd)


def _remove_registry_if_empty(lock: Path) -> None:
    """With the lock held: drop the registry when no run is recorded."""
    leftovers = [p for p in STATE_DIR.iterdir() if p != lock]
    if not leftovers:
        lock.unlink()
        with contextlib.suppress(OSError):
            STATE_DIR.rmdir()


def records() -> list[RunRecord]:
    if not STATE_DIR.is_dir():
        return []
    found = (RunRecord.load(p) for p in sorted(STATE_DIR.glob("*.json")))
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
