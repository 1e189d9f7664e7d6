"""The suite's machine guard: what this suite's own runs left, and the untouched root namespace.

A run's namespaces have no names: a holder process keeps them (``netns/holder.py``, whose
command line carries its spec: its control socket and the work dirs it removes). The
``HolderWatcher`` polls the process table every 20 ms (looking at the processes new since the
last poll) and remembers every holder that is this process's descendant (pytester
subprocesses and xdist workers are), with its pid, start time, its user and PID namespaces
(by inode) and its spec — from the first sight on, so a holder whose harness was killed (and
that was reparented) is still held to account. At the end, for each remembered holder: it is
gone, no process is in one of its namespaces, no launcher of it runs, and its control dir and
work dirs are gone. Each leftover is named with the holder's pid. Holders of runs outside
this suite are not looked at. A namespace's inode is another's soon after it is freed: a
process in a namespace of a remembered holder's (by inode) but under no holder or launcher
counts only if it started before that holder was seen gone (so a process a leftover
spawns after that is not named; the leftover itself, started before, is).

It is a plain class; the fixture ``machine_left_as_found`` below (loaded by the root
conftest, or by ``-p tests.support.guard``) only starts and checks it.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pytest_offline_index.execute.processes import is_alive, process_start_time

from .alone import held, run_lock
from .machine import root_snapshot, snapshot_diff

HOLDER = "netns/holder.py"
LAUNCHER = "netns/launcher.py"
SETTLE = 10.0  # s: the longest a process without a command line is waited for, in all
NsId = tuple[int, int]  # (st_dev, st_ino) of a namespace: what /proc/PID/ns/* is


@dataclass
class SeenHolder:
    pid: int
    start: int | None
    control: str
    remove: list[str]
    namespaces: set[NsId] = field(default_factory=set)
    uid: int | None = None  # its real uid outside, at first sight
    gone: int | None = None  # when it was first seen gone (clock ticks since boot)


class HolderWatcher:
    """Remembers every holder started below ``root_pid``, polling every ``interval`` s."""

    def __init__(self, root_pid: int, interval: float = 0.02) -> None:
        self.root_pid = root_pid
        self.interval = interval
        self.holders: dict[tuple[int, int | None], SeenHolder] = {}
        # Only a process new since the last poll is looked at (a pid is not reused within
        # an interval): reading every process's command line at each poll cost each of the
        # suite's four workers a quarter of a core. A fork is seen before its exec (under
        # load, for a while): one with its parent's command line is looked at again.
        self._present: set[int] = set()
        self._forks: set[int] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> HolderWatcher:
        self._thread = threading.Thread(target=self._loop, name="machine-guard", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.poll()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def poll(self) -> None:
        pids = set(_pids())
        fresh = (pids - self._present) | (self._forks & pids)
        self._present, self._forks = pids, self._forks & pids
        for holder in self.holders.values():
            if holder.pid in pids:  # its namespaces: the init's come a moment later
                holder.namespaces |= _namespaces(holder.pid)
            elif holder.gone is None:
                holder.gone = _ticks_since_boot()
        for pid in fresh:
            self._look_at(pid)

    def _look_at(self, pid: int) -> None:
        parent = _parent(pid)
        if parent in (None, 0, 2):
            return  # gone, or a kernel thread (kthreadd's): never a holder
        args, parent_args = _args(pid), _args(parent)
        if not args or args == parent_args:  # looked at again at the next poll:
            self._forks.add(pid)  # mid-exec (no command line to read), not yet exec'd,
            return  # or the holder's init (which never is)
        self._forks.discard(pid)
        if len(args) < 2 or not args[-2].endswith(HOLDER) or not self._below(pid):
            return
        key = (pid, process_start_time(pid))
        if key in self.holders:
            return
        with contextlib.suppress(ValueError, IndexError, KeyError):
            spec = json.loads(args[-1])
            self.holders[key] = SeenHolder(pid, key[1], spec["control"], list(spec["remove"]),
                                           _namespaces(pid), _uid(pid))

    def _below(self, pid: int) -> bool:
        for _ in range(64):
            if pid == self.root_pid:
                return True
            parent = _parent(pid)
            if parent in (None, 0, 1):
                return False
            pid = parent
        return False

    def leftovers(self) -> list[str]:
        """One line per thing a remembered holder's run left, naming the holder's pid."""
        found: list[str] = []
        owners = {ns: h for h in self.holders.values() for ns in h.namespaces}
        for holder in self.holders.values():
            where = f"run held by pid {holder.pid}:"
            if is_alive(holder.pid, holder.start):
                found.append(f"{where} the holder still runs")
            paths = dict.fromkeys((os.path.dirname(holder.control), *holder.remove))
            found += [f"{where} path {path}" for path in paths if os.path.lexists(path)]
        deadline = time.monotonic() + SETTLE
        for pid in _pids():
            holding = self._holding(pid, owners)
            while holding and not _args(pid) and time.monotonic() < deadline:
                time.sleep(0.02)  # exiting (its namespace's init ended a moment ago) or
                holding = self._holding(pid, owners)  # mid-exec: over in ms when idle
            found += [f"run held by pid {holder_pid}: process {pid} "
                      f"({' '.join(_args(pid))[:120]}) is still in it" for holder_pid in holding]
        return found

    def _holding(self, pid: int, owners: dict[NsId, SeenHolder]) -> list[int]:
        """The remembered holders whose run ``pid`` is still in (by namespace or launcher)."""
        if pid == os.getpid() or not is_alive(pid):
            return []  # a zombie holds nothing: its parent has not reaped it yet
        control = _control_of(pid)  # a freed namespace's inode is soon another run's
        started = process_start_time(pid)
        held = {owners[ns].pid for ns in _namespaces(pid)
                if ns in owners and (control == owners[ns].control or (control is None
                                     and not _after(started, owners[ns].gone)))}
        args = _args(pid)
        launched = {h.pid for h in self.holders.values()
                    if any(a.endswith(LAUNCHER) for a in args) and h.control in args}
        return sorted((held | launched) - {pid})


def _after(started: int | None, gone: int | None) -> bool:
    """Whether a process started after a holder was seen gone. Such a process, in none of
    the runs' holders or launchers, is not in that holder's namespace but in one that
    took its inode: a namespace outlives its holder only while a process of the run is
    still in it, and that one (the leftover) started before."""
    return started is not None and gone is not None and started > gone


def _ticks_since_boot() -> int:
    """Now, in the unit of a process's start time (/proc/PID/stat)."""
    return int(time.clock_gettime(time.CLOCK_BOOTTIME) * os.sysconf("SC_CLK_TCK"))


def _control_of(pid: int) -> str | None:
    """The control socket of the run ``pid`` belongs to: that of the nearest holder or
    launcher among it and its ancestors (None: none is)."""
    for _ in range(64):
        args = _args(pid)
        for i, arg in enumerate(args):
            if arg.endswith(LAUNCHER) and i + 1 < len(args):
                return args[i + 1]
            if arg.endswith(HOLDER) and i + 1 < len(args):
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    return str(json.loads(args[i + 1])["control"])
        parent = _parent(pid)
        if parent in (None, 0, 1):
            return None
        pid = parent
    return None


def _uid(pid: int) -> int | None:
    with contextlib.suppress(OSError, StopIteration, ValueError):
        status = Path(f"/proc/{pid}/status").read_text().splitlines()
        return int(next(line for line in status if line.startswith("Uid:")).split()[1])
    return None


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _args(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    except OSError:
        return []


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _namespaces(pid: int) -> set[NsId]:
    """The user and PID namespaces ``pid`` is in or makes its children in."""
    found: set[NsId] = set()
    for kind in ("user", "pid_for_children"):
        with contextlib.suppress(OSError):
            st = os.stat(f"/proc/{pid}/ns/{kind}")
            found.add((st.st_dev, st.st_ino))
    mine = {(st.st_dev, st.st_ino) for st in
            (os.stat(f"/proc/self/ns/{kind}") for kind in ("user", "pid"))}
    return found - mine  # the machine's own are nobody's leftover


class SuiteGuard:
    """The holder watcher and the root namespace's snapshot, for one suite.

    ``start()`` before the suite, ``check()`` after: it returns the leftovers, one line each
    (empty: the machine is as the suite found it, as far as this suite is concerned).
    """

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.watcher: HolderWatcher | None = None
        self._root_before: dict[str, object] = {}

    def start(self) -> SuiteGuard:
        self._root_before = root_snapshot()
        self.watcher = HolderWatcher(os.getpid(), self.interval).start()
        return self

    def check(self) -> list[str]:
        assert self.watcher is not None, "start() first"
        self.watcher.stop()
        found = self.watcher.leftovers()
        changed = snapshot_diff(self._root_before, root_snapshot())
        found += [f"root namespace: {key} changed: {change}" for key, change in changed.items()]
        return found


@pytest.fixture(scope="session", autouse=True)
def machine_left_as_found(pytestconfig: pytest.Config,
                          tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    lock = run_lock(pytestconfig, tmp_path_factory)  # not while a host is emulated beside
    with held(lock):
        guard = SuiteGuard().start()
    yield
    with held(lock):
        leftovers = guard.check()
    if leftovers:
        pytest.fail("the suite left the machine changed:\n" + "\n".join(leftovers),
                    pytrace=False)
