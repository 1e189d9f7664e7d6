"""One OfflineIndex shared by cooperating processes (pytest-xdist workers).

The first process to take the group's lock starts the index and publishes how to reach it;
the others attach. Every member is recorded by pid; the owner, whose process holds the
network and the server, waits at the end until every other live member has left, then tears
down. Checks serialise through a readers-writer lock: warming (restore, warm, cut) is
exclusive, installs run side by side under a shared lock while the cut holds.

Members join when they collect, so the owner may be a worker that runs none of the check's
items: a worker's lines reach the controller only with its items' reports, and that one
has none. What the owner says while it starts the index is kept in the group's dir; the
first member to report a check's lines says it first (:meth:`SharedIndex.start_lines`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ..check.pool import held_progress, holdable
from ..execute.processes import is_alive, process_start_time
from ..index.handle import IndexHandle
from ..index.offline import OfflineIndex
from ..inputs.settings import Settings
from ..steps import Progress, reporting
from ..util.flock import flocked

OWNER_WAIT = 1800.0  # the longest the owner waits for the other members to finish
START_LINES = "start-lines.json"  # what the owner said while it started the index


class SharedIndex:
    """Membership of one shared index, keyed by a run-wide id (xdist's testrunuid)."""

    def __init__(self, settings: Settings, key: str, progress: Progress | None = None) -> None:
        self.settings = settings
        safe = "".join(ch for ch in key if ch.isalnum())[:32]
        self.dir = Path(tempfile.gettempdir()) / f"pytest-offline-index-shared-{safe}"
        self.progress = progress
        self.index: OfflineIndex | None = None
        self.owner = False

    def _members(self) -> Path:
        return self.dir / "members"

    def join(self) -> OfflineIndex:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._members().mkdir(exist_ok=True)
        info_path = self.dir / "info.json"
        with flocked(self.dir / "lock"):
            if info_path.exists():
                self.index = OfflineIndex.attach(
                    self.settings, IndexHandle.from_json(info_path.read_text()),
                    progress=self.progress)
            else:
                say = reporting(self.progress, __name__)
                try:
                    with held_progress() as held:  # kept for the first member to report
                        self.index = OfflineIndex(self.settings, progress=holdable(say)).start()
                except BaseException:
                    for _, line in held:  # said here: the failure is this worker's
                        say(line)
                    raise
                (self.dir / START_LINES).write_text(json.dumps([line for _, line in held]))
                info_path.write_text(self.index.handle().to_json())
                self.owner = True
            me = os.getpid()
            (self._members() / str(me)).write_text(str(process_start_time(me)))
        return self.index

    def start_lines(self) -> list[str]:
        """What the owner said while it started the index, to the first member that asks
        (a member that joined); every later one gets none."""
        if self.index is None:
            return []
        path = self.dir / START_LINES
        try:
            lines = json.loads(path.read_text())
            path.unlink()  # the one member that removes them says them
        except (OSError, ValueError):  # said already (or the group's dir is gone)
            return []
        return [str(line) for line in lines]

    def _others_alive(self) -> int:
        count = 0
        for entry in self._members().iterdir():
            pid = int(entry.name)
            if pid != os.getpid() and is_alive(pid, int(entry.read_text() or 0)):
                count += 1
        return count

    def leave(self) -> None:
        if self.index is None:
            return
        self.index.stop_commands()  # none of this process's installs outlives its membership
        with contextlib.suppress(FileNotFoundError):
            (self._members() / str(os.getpid())).unlink()
        if self.owner:
            deadline = time.monotonic() + OWNER_WAIT
            while self._others_alive() and time.monotonic() < deadline:
                time.sleep(0.2)
        self.index.close()
        self.index = None
        if self.owner:
            shutil.rmtree(self.dir, ignore_errors=True)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """For restore + warm + cut: no one else installs or warms meanwhile."""
        with flocked(self.dir / "use.lock"):
            yield

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        """For installs: many at once, while nobody restores the route."""
        with flocked(self.dir / "use.lock", shared=True):
            yield
