"""Tests of one run of the suite beside each other (pytest-xdist), and the few that must not be.

Most integration tests make everything they touch themselves (namespaces, ports, work dirs)
and can run side by side. A test that emulates another host changes the machine itself for
its duration (a firewall table in the root namespace, ``ip_forward``), which the others'
before/after snapshots would see and their traffic could meet: it runs *alone*.

A readers-writer lock on a file the run's workers share: each test holds it shared, a test
marked ``alone`` holds it exclusive. A turnstile lock in front keeps an ``alone`` test from
waiting for ever behind a stream of shared holders (flock prefers no one). Without xdist
the suite runs one test at a time anyway, and nothing is locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class RunLock:
    """The run's lock: ``shared()`` for a test, ``alone()`` for a test that changes the
    machine. ``directory`` is the run's own (under xdist: the workers' common temp root)."""

    def __init__(self, directory: Path) -> None:
        self.main = directory / "oitest-machine.lock"
        self.turnstile = directory / "oitest-turnstile.lock"

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with _opened(self.main) as main:
            with _opened(self.turnstile) as turnstile:  # wait behind an alone test
                fcntl.flock(turnstile, fcntl.LOCK_EX)
                fcntl.flock(main, fcntl.LOCK_SH)
            yield

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        with _opened(self.turnstile) as turnstile, _opened(self.main) as main:
            fcntl.flock(turnstile, fcntl.LOCK_EX)  # no new shared holder from now on
            fcntl.flock(main, fcntl.LOCK_EX)  # and the ones there are have finished
            yield


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[int]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        yield fd
    finally:
        os.close(fd)  # releases its lock


def run_lock(config: Any, tmp_path_factory: Any) -> RunLock | None:
    """The run's lock under xdist (on a worker); None when the run is one process."""
    if not hasattr(config, "workerinput"):
        return None
    return RunLock(Path(tmp_path_factory.getbasetemp()).parent)


@contextlib.contextmanager
def held(lock: RunLock | None, alone: bool = False) -> Iterator[None]:
    """``lock`` held (shared, or ``alone``); nothing without a lock."""
    if lock is None:
        yield
        return
    with lock.alone() if alone else lock.shared():
        yield
