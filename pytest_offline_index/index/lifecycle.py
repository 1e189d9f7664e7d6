"""One lifecycle for every index the check runs against (the run's own devpi and an existing
one): its work dir, a start that leaves nothing behind when it fails, a close that only the
process that started it does, and a stop that ends the commands of every thread."""

from __future__ import annotations

import os
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from ..inputs.settings import Settings
from ..inputs.targets import Target
from ..netns import Topology
from ..steps import Progress, reporting
from ..util.interrupts import heed_interrupts

Self = TypeVar("Self", bound="Lifecycle")  # typing.Self is 3.11's


def started_or_closed(start: Callable[[], None], close: Callable[[], None]) -> None:
    """``start``; should it fail (or be interrupted), ``close`` what it made, then raise:
    a start that fails leaves nothing behind."""
    try:
        start()
    except BaseException:
        close()
        raise


class Lifecycle(ABC):
    """Start, close and ``with`` for an index on ``settings`` in ``workdir`` (None: a temp
    dir of its own, removed at close). A subclass says what it brings up (:meth:`_start`),
    takes down (:meth:`_close`) and when it counts as started."""

    def __init__(self, settings: Settings, workdir: Path | None = None,
                 progress: Progress | None = None) -> None:
        self.settings = settings
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="offline-index-",
                                                        dir=settings.workdir))
        self.progress: Progress = reporting(progress, type(self).__module__)
        self.topology: Topology | None = None  # the namespaces, for tests that reach in
        self._owner_pid = os.getpid()
        # set by stop_commands (and close): ends every command a venv or warm of this index
        # runs, on any thread (a KeyboardInterrupt reaches only the main thread)
        self._stopping = threading.Event()

    @property
    @abstractmethod
    def is_started(self) -> bool: ...

    def start(self: Self, prepare: Sequence[Target] = ()) -> Self:
        """Bring it up; idempotent. A failure leaves nothing behind.

        For each local target in ``prepare``, the fresh venvs the index will hand out first
        are made while the rest starts (brand-new, unused until handed out).
        """
        if not self.is_started:
            heed_interrupts()  # before anything starts: what it starts inherits the mask
            self._stopping.clear()  # a closed index started again
            started_or_closed(lambda: self._start(prepare), self.close)
        return self

    def close(self) -> None:
        """Take down what start made, in reverse. Safe after any failure, and twice."""
        if os.getpid() != self._owner_pid:
            return  # a forked child must never tear down its parent's run
        self.stop_commands()
        self._close()

    def stop_commands(self) -> None:
        """End every command this index's venvs and warms run, on any thread, and start
        no more (their steps are "not run"); ``close`` does it first."""
        self._stopping.set()

    def __enter__(self: Self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abstractmethod
    def _start(self, prepare: Sequence[Target]) -> None: ...

    @abstractmethod
    def _close(self) -> None: ...
