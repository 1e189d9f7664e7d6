"""The suite's machine guard remembers every holder its runs start, looking only at the
processes new since its last poll: also one first seen as a fork of its parent, before its
exec (under load, for a while), and one that starts after many others."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support.guard import HolderWatcher
from tests.support.processes import wait_for

STAND_IN = "import time; time.sleep(30)\n"  # a process whose command line is a holder's


def holder_args(tmp_path: Path) -> list[str]:
    script = tmp_path / "netns" / "holder.py"
    script.parent.mkdir(exist_ok=True)
    script.write_text(STAND_IN)
    spec = {"control": str(tmp_path / "ctl" / "control"), "remove": [str(tmp_path / "w")]}
    return [sys.executable, str(script), json.dumps(spec)]


def test_a_holder_first_seen_before_its_exec_is_remembered(tmp_path: Path) -> None:
    args = holder_args(tmp_path)
    watcher = HolderWatcher(os.getpid()).start()
    pid = os.fork()
    if pid == 0:  # the child: a fork with its parent's command line, for a while
        time.sleep(0.5)
        os.execv(args[0], args)
    try:
        wait_for(lambda: any(h.pid == pid for h in watcher.holders.values()), timeout=30)
    finally:
        watcher.stop()
        os.kill(pid, 9)  # by the pid we started
        os.waitpid(pid, 0)
    (holder,) = watcher.holders.values()
    assert holder.remove == [str(tmp_path / "w")]


def test_a_holder_started_among_many_processes_is_remembered(tmp_path: Path) -> None:
    watcher = HolderWatcher(os.getpid()).start()
    others = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
              for _ in range(10)]
    holder = subprocess.Popen(holder_args(tmp_path))
    try:
        wait_for(lambda: any(h.pid == holder.pid for h in watcher.holders.values()),
                 timeout=30)
        assert len(watcher.holders) == 1  # the others are no holders
        assert watcher.leftovers() == [f"run held by pid {holder.pid}: the holder still runs"]
    finally:
        watcher.stop()
        for process in [*others, holder]:
            process.kill()  # by the pid we started
            process.wait()


def test_a_process_that_came_after_the_holder_was_gone_is_not_its_leftover(
        tmp_path: Path) -> None:
    """A namespace's inode is free for another namespace once its run is gone: a process of
    another run (one of no holder's or launcher's: a bundle proof's ``unshare``) may then
    be in a namespace with the same inode. Only a process that started while the holder
    was there can be its run's leftover. Emulated with the one namespace both share: the
    one started before the holder died is named, the one started after it is not."""
    watcher = HolderWatcher(os.getpid()).start()
    holder = subprocess.Popen(["unshare", "--user", "--map-root-user", *holder_args(tmp_path)])
    members: list[subprocess.Popen[bytes]] = []

    def member() -> subprocess.Popen[bytes]:
        members.append(subprocess.Popen(["nsenter", "--user", f"--target={holder_pid}",
                                         "--preserve-credentials", "sleep", "30"]))
        return members[-1]

    try:
        (holder_pid,) = wait_for(lambda: [h.pid for h in watcher.holders.values()
                                          if h.namespaces], timeout=30)
        early = member()  # in the run's namespace while the holder runs: a leftover
        wait_for(lambda: os.readlink(f"/proc/{early.pid}/exe").endswith("sleep"), timeout=30)
        os.kill(holder_pid, 9)  # by the pid its unshare became
        holder.wait()
        wait_for(lambda: all(h.gone for h in watcher.holders.values()), timeout=30)
        time.sleep(0.05)  # a clock tick later
        late = subprocess.Popen(["nsenter", "--user", f"--target={early.pid}",
                                 "--preserve-credentials", "sleep", "30"])
        members.append(late)
        wait_for(lambda: os.readlink(f"/proc/{late.pid}/exe").endswith("sleep"), timeout=30)
        found = watcher.leftovers()
    finally:
        watcher.stop()
        for process in [holder, *members]:
            process.kill()  # by the pid we started
            process.wait()
    assert [line for line in found if f"process {early.pid} " in line] == [
        f"run held by pid {holder_pid}: process {early.pid} (sleep 30) is still in it"]
    assert not [line for line in found if f"process {late.pid} " in line], found
