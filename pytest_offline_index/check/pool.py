"""Checks side by side: a pool of threads for installs, and the progress they hold.

pip's install is one core's work (unpacking the wheels), so a matrix's installs
overlap on the pool's threads. The terminal and pytest's capture belong to the main thread,
so a check on a worker thread keeps its progress lines (:func:`held_progress`) for the
main thread to replay.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from ..steps import Progress

T = TypeVar("T")
_HELD = threading.local()  # lines a check on a worker thread reports: see held_progress


def holdable(progress: Progress) -> Progress:
    """``progress``, except that a thread inside :func:`held_progress` keeps its lines."""
    def report(line: str) -> None:
        held: list[tuple[Progress, str]] | None = getattr(_HELD, "lines", None)
        if held is None:
            progress(line)
        else:
            held.append((progress, line))
    return report


@contextlib.contextmanager
def held_progress() -> Iterator[list[tuple[Progress, str]]]:
    """Keep this thread's progress lines, to be replayed by the main thread."""
    _HELD.lines = []
    try:
        yield _HELD.lines
    finally:
        _HELD.lines = None


class CheckPool:
    """Threads for checks, one per CPU, made on first use. :meth:`stop` waits for what
    runs and drops what has not started: call it after the index's ``stop_commands``
    (a KeyboardInterrupt reaches only the main thread), before a report is written."""

    def __init__(self) -> None:
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    def submit(self, work: Callable[[], T]) -> concurrent.futures.Future[T]:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=len(os.sched_getaffinity(0)), thread_name_prefix="offline-index-check")
        return self._pool.submit(work)

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
