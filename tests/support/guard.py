"""The suite's machine guard: what this suite's own runs left, and the untouched root namespace.

``SuiteGuard`` gives the suite a run registry of its own (``OFFLINE_INDEX_STATE_DIR`` set to
a fresh dir, inherited by pytester subprocesses and xdist workers), watches it, and
remembers every run record it ever saw. At the end it names, by run id, whatever one of
those runs left — and nothing another run on the machine holds at the same time. It is a
plain class; the fixture ``machine_left_as_found`` below (loaded by the root conftest,
or by ``-p tests.support.guard``) only starts and checks it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pytest_offline_index import runstate
from pytest_offline_index.nsexec import NETNS_RUN_DIR

from .machine import root_snapshot, snapshot_diff

NsId = tuple[int, int]  # (st_dev, st_ino) of a network namespace: what /proc/PID/ns/net is


def nsfs_device() -> int:
    """The device of the namespace filesystem: a /run/netns file is a namespace only once
    it is bind-mounted (before that it is a plain empty file, not worth remembering)."""
    return os.stat("/proc/self/ns/net").st_dev


def named_namespaces() -> dict[str, NsId]:
    """Every named network namespace that exists now, with its identity."""
    device, found = nsfs_device(), {}
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(NETNS_RUN_DIR):
            with contextlib.suppress(OSError):
                st = os.stat(os.path.join(NETNS_RUN_DIR, name))
                if st.st_dev == device:
                    found[name] = (st.st_dev, st.st_ino)
    return found


@dataclass
class SeenRun:
    """All a run's record ever named, merged over every time the watcher saw it."""

    run_id: str
    record: Path
    namespaces: set[str] = field(default_factory=set)
    ns_ids: dict[NsId, str] = field(default_factory=dict)  # identity -> namespace name
    paths: set[str] = field(default_factory=set)
    processes: set[tuple[int, int | None]] = field(default_factory=set)


class RunWatcher:
    """Polls one run registry every ``interval`` seconds and remembers every run in it.

    Polling, not the records at the end: a run removes its record when it is done, so the
    end alone would never see what it held.
    """

    def __init__(self, registry: Path, interval: float = 0.02) -> None:
        self.registry = registry
        self.interval = interval
        self.runs: dict[str, SeenRun] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._device = nsfs_device()

    def start(self) -> RunWatcher:
        self._thread = threading.Thread(target=self._loop, name="machine-guard", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.poll()  # what was written since the last poll

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def poll(self) -> None:
        # The registry dir comes and goes (the last run out removes it): glob copes.
        for path in sorted(self.registry.glob("*.json")):
            record = runstate.RunRecord.load(path)
            if record is None:
                continue
            seen = self.runs.setdefault(record.run_id, SeenRun(record.run_id, path))
            seen.namespaces.update(record.namespaces)
            seen.paths.update(record.paths)
            seen.processes.update(record.processes)
            known = set(seen.ns_ids.values())
            for name in set(record.namespaces) - known:
                with contextlib.suppress(OSError):
                    st = os.stat(os.path.join(NETNS_RUN_DIR, name))
                    if st.st_dev == self._device:
                        seen.ns_ids[(st.st_dev, st.st_ino)] = name

    def leftovers(self) -> list[str]:
        """One line per thing a remembered run left, each naming its run id."""
        found: list[str] = []
        named = named_namespaces()
        for run in self.runs.values():
            where = f"run {run.run_id}:"
            if run.record.exists():
                found.append(f"{where} its record {run.record}")
            found += [f"{where} namespace {name}"
                      for name in sorted(run.namespaces) if name in named]
            found += [f"{where} path {path}" for path in sorted(run.paths)
                      if os.path.lexists(path)]
            found += [f"{where} process {pid} ({_cmdline(pid)})"
                      for pid, start in sorted(run.processes, key=lambda p: p[0])
                      if runstate.is_alive(pid, start)]
        return found + self._processes_holding(named)

    def _processes_holding(self, named: dict[str, NsId]) -> list[str]:
        """Live processes in a remembered namespace or using a remembered path."""
        ns_owner = {ns: (run.run_id, name)
                    for run in self.runs.values() for ns, name in run.ns_ids.items()}
        # Namespace inodes are reused: one that is now another run's namespace is not ours.
        ours = {name for run in self.runs.values() for name in run.namespaces}
        for name, ns in named.items():
            if name not in ours:
                ns_owner.pop(ns, None)
        path_owner = {path: run.run_id for run in self.runs.values() for path in run.paths}
        found: list[str] = []
        for pid in _pids():
            for ns in _net_namespaces(pid):
                if ns in ns_owner:
                    run_id, name = ns_owner[ns]
                    found.append(f"run {run_id}: process {pid} ({_cmdline(pid)}) "
                                 f"in its namespace {name}")
            uses = _uses(pid)
            for path, run_id in sorted(path_owner.items()):
                if any(u == path or u.startswith(path + "/") for u in uses):
                    found.append(f"run {run_id}: process {pid} ({_cmdline(pid)}) "
                                 f"uses its path {path}")
        return found


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _net_namespaces(pid: int) -> set[NsId]:
    """The network namespaces of every thread of ``pid`` (a thread may have entered one)."""
    found: set[NsId] = set()
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                st = os.stat(f"/proc/{pid}/task/{tid}/ns/net")
                found.add((st.st_dev, st.st_ino))
    return found


def _uses(pid: int) -> list[str]:
    """The cwd and every command-line argument (and its ``--opt=`` value) of ``pid``."""
    uses: list[str] = []
    with contextlib.suppress(OSError):
        uses.append(os.readlink(f"/proc/{pid}/cwd"))
    with contextlib.suppress(OSError):
        for arg in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0"):
            uses += [arg, arg.partition("=")[2]]
    return [u for u in uses if u]


def _cmdline(pid: int) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return "gone"
    return " ".join(args.split("\0")).strip()[:120] or "?"


class SuiteGuard:
    """A private run registry for the suite, its watcher, and the root namespace's snapshot.

    ``start()`` before the suite, ``check()`` after: it returns the leftovers, one line each
    (empty: the machine is as the suite found it, as far as this suite is concerned).
    """

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.registry: Path | None = None
        self.watcher: RunWatcher | None = None
        self._saved_env: str | None = None
        self._root_before: dict[str, object] = {}

    def start(self) -> SuiteGuard:
        self._root_before = root_snapshot()
        self.registry = Path(tempfile.mkdtemp(prefix="oi-guard-registry-"))
        self._saved_env = os.environ.get(runstate.STATE_DIR_ENV)
        os.environ[runstate.STATE_DIR_ENV] = str(self.registry)  # children inherit it
        self.watcher = RunWatcher(self.registry, self.interval).start()
        return self

    def check(self) -> list[str]:
        assert self.watcher is not None and self.registry is not None, "start() first"
        self.watcher.stop()
        found = self.watcher.leftovers()
        changed = snapshot_diff(self._root_before, root_snapshot())
        found += [f"root namespace: {key} changed: {change}" for key, change in changed.items()]
        if self._saved_env is None:
            os.environ.pop(runstate.STATE_DIR_ENV, None)
        else:
            os.environ[runstate.STATE_DIR_ENV] = self._saved_env
        # Keep a registry that still holds records: it is what reaps them later.
        if not any(self.registry.glob("*.json")):
            shutil.rmtree(self.registry, ignore_errors=True)
        return found


@pytest.fixture(scope="session", autouse=True)
def machine_left_as_found() -> Iterator[None]:
    guard = SuiteGuard().start()
    yield
    if leftovers := guard.check():
        pytest.fail("the suite left the machine changed:\n" + "\n".join(leftovers),
                    pytrace=False)
