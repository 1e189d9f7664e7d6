"""File locks (``flock``) that the kernel releases when their holder dies, even by SIGKILL."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path


def lock(path: Path, shared: bool = False,
         on_wait: Callable[[], None] | None = None) -> int:
    """Take an exclusive (or ``shared``) lock on ``path``, created if missing; returns the
    fd that holds it (close it to release). ``on_wait`` is called once if it must wait."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def flocked(path: Path, shared: bool = False) -> Iterator[int]:
    """Hold an exclusive (or ``shared``) lock on ``path`` while inside; yields its fd."""
    fd = lock(path, shared)
    try:
        yield fd
    finally:
        os.close(fd)
