"""One OfflineIndex for a whole test session: its fixtures, markers and check items.

Made on first use and torn down once, at the end: a session that uses the ``offline_index``
fixture, a marker and ``--offline-index`` together starts one devpi-server. Under
pytest-xdist every worker of a run shares it (see :mod:`.xdist`). While it exists, SIGTERM
tears it down as Ctrl-C does, whichever way the harness is used.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..check.pool import CheckPool
from ..check.scenario import AirgapScenario, Warms
from ..errors import OfflineIndexError
from ..index.offline import OfflineIndex
from ..inputs.settings import Settings
from ..inputs.targets import Target
from ..steps import Progress
from ..util.interrupts import SIGTERM_MESSAGE, HeldSigint, heed_interrupts
from .xdist import SharedIndex


class SessionIndex:
    """The session's one index, and every check that ran on it (for the report)."""

    def __init__(self, settings: Settings, progress: Progress | None = None,
                 xdist_run: str | None = None) -> None:
        heed_interrupts()  # a Ctrl-C from the first moment on, whatever started the run
        self.settings = settings
        self.progress = progress
        self.shared = (SharedIndex(settings, xdist_run, progress)
                       if xdist_run else None)
        self.index: OfflineIndex | None = None
        self.checks: list[AirgapScenario] = []  # the marker's checks, for the report
        self.pool = CheckPool()  # the threads every check's installs share
        self.warms: Warms = {}  # what every check warmed and proved, shared between them
        self.own_index: list[AirgapScenario] = []  # checks of an existing index, each its own
        self.kept_workdir: Path | None = None
        self._error: OfflineIndexError | None = None
        self._previous_sigterm: Any = None
        self.sigint = HeldSigint()  # from the teardown on, to the run's last hook

    def unstarted(self) -> OfflineIndex:
        """The index, not necessarily started: the check's warm step starts it, so that a
        failure to start is recorded as that step's."""
        if self.index is None:
            self._install_sigterm_handler()
            if self.shared is not None:
                self.index = self._joined()
            else:
                self.index = OfflineIndex(self.settings, progress=self.progress)
        return self.index

    def started(self) -> OfflineIndex:
        """The running index; a failure to start is raised again to every later user."""
        if self._error is not None:
            raise self._error
        try:
            return self.unstarted().start()
        except OfflineIndexError as exc:
            self._error = exc
            raise

    def check(self, settings: Settings, targets: Sequence[Target], *, name: str = "offline-index",
              started: bool = True) -> AirgapScenario:
        """A check on the session's index (``started``: start it now; else its warm step
        does, so a failure to start is recorded as that step's)."""
        if settings.index_url is not None:  # an existing index: its own isolated client
            check = AirgapScenario(settings, targets=targets, progress=self.progress,
                                   name=name, pool=self.pool)
            self.own_index.append(check)
            return check
        index = self.started() if started else self.unstarted()
        return AirgapScenario(settings, targets=targets, index=index, progress=self.progress,
                              name=name, pool=self.pool, warms=self.warms)

    def stop_checks(self) -> None:
        """End what every check still runs (its step is "not run") and wait for it: before
        a report is written, a lock is left or the index is torn down."""
        for index in [*([self.index] if self.index else []),
                      *(check.index for check in self.own_index)]:
            index.stop_commands()
        self.pool.stop()

    def _joined(self) -> OfflineIndex:
        assert self.shared is not None
        try:
            return self.shared.join()
        except OfflineIndexError as exc:
            self._error = exc
            self.shared.leave()
            raise

    def close(self) -> None:
        """Tear the index down (under xdist: leave it; the last one out tears it down).

        An interrupt must not leave half a run behind: SIGINT is held from here on (see
        :class:`HeldSigint`; the plugin releases it at the run's last hook, and a Ctrl-C
        that came meanwhile ends the run "interrupted"). The teardown itself is bounded
        (every wait has a timeout).
        """
        self.sigint.hold()
        self.stop_checks()
        index, self.index = self.index, None
        owned, self.own_index = self.own_index, []
        for check in owned:
            check.close()
        try:
            if index is not None and self.shared is not None:
                self.shared.leave()
            elif index is not None:
                index.close()
                if index.workdir.exists():
                    self.kept_workdir = index.workdir
        finally:
            self._restore_sigterm_handler()

    def _install_sigterm_handler(self) -> None:
        """Turn SIGTERM into KeyboardInterrupt so teardown runs as it does on Ctrl-C.

        Only in this process: a forked child (a library's helper) inherits the handler, and
        a child that ran our teardown would tear down the run it came from.
        """
        owner = os.getpid()

        def handler(signum: int, frame: Any) -> None:
            if os.getpid() != owner:
                os._exit(128 + signum)
            raise KeyboardInterrupt(SIGTERM_MESSAGE)

        try:
            self._previous_sigterm = signal.signal(signal.SIGTERM, handler)
        except ValueError:  # not the main thread: SIGTERM keeps its own meaning
            self._previous_sigterm = None

    def _restore_sigterm_handler(self) -> None:
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None
