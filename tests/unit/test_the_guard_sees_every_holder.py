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
