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

from ..execute.processes import is_alive, process_start_time
from ..index.handle import IndexHandle
from ..index.offline import OfflineIndex
from ..inputs.settings import Settings
from ..steps import Progress
from ..util.flock import flocked

OWNER_WAIT = 1800.0  # the longest the owner waits for the other members to finish
START_LINES = "start-lines.json"  # what the owner said while it started the index
SAID = "start-lines-said"  # made by the one member that says them


class HeldLines:
    """A progress that keeps its lines until :meth:`release`, then passes them on."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.lines: list[str] | None = []

    def __call__(self, line: str) -> None:
        if self.lines is not None:
            self.lines.append(line)
        elif self.progress is not None:
            self.progress(line)

    def release(self) -> list[str]:
        """The lines kept so far; from now on each goes on at once."""
        lines, self.lines = self.lines or [], None
        return lines


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
                held = HeldLines(self.progress)
                try:
                    self.index = OfflineIndex(self.settings, progress=held).start()
                except BaseException:
                    for line in held.release():  # said here: the failure is this worker's
                        held(line)
                    raise
                (self.dir / START_LINES).write_text(json.dumps(held.release()))
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
        try:
            os.close(os.open(self.dir / SAID, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except OSError:  # said already (or the group's dir is gone: the run is ending)
            return []
        with contextlib.suppress(OSError, ValueError):
            return [str(line) for line in json.loads((self.dir / START_LINES).read_text())]
        return []

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
