"""SIGKILL to a run in the middle of a step, and the proof that nothing of it is left."""

from __future__ import annotations

import os
import subprocess
import time

import psutil

from .guard import HolderWatcher, SeenHolder
from .processes import step_pip, wait_for, wait_in

GONE_WITHIN = 2.0  # the kernel's teardown, from the kill to nothing left


def kill_mid_step(child: subprocess.Popen[bytes], step: str,
                  ) -> tuple[HolderWatcher, SeenHolder, psutil.Process]:
    """Wait until ``child``'s run is in ``step`` (the install: in a build), then SIGKILL it
    (by the pid we started); the run as it was seen live, its holder and the step's pip."""
    try:
        pip = wait_in(child, lambda: step_pip(child.pid, step), f"the {step}'s pip")
        if step == "install":
            wait_for(lambda: pip.children(recursive=True))  # the backend, in its build
        run = HolderWatcher(child.pid)
        run.poll()
        (holder,) = run.holders.values()
        assert run.leftovers(), "the live run holds nothing the watcher can see"
    finally:
        child.kill()
        child.wait()
    return run, holder, pip


def assert_gone(run: HolderWatcher, holder: SeenHolder, pip: psutil.Process) -> None:
    """Within GONE_WITHIN of the kill: no process, namespace or dir of the run."""
    killed = time.monotonic()
    wait_for(lambda: not run.leftovers(), timeout=GONE_WITHIN, interval=0.02)
    assert time.monotonic() - killed < GONE_WITHIN
    assert not pip.is_running() or pip.status() == psutil.STATUS_ZOMBIE  # ended
    assert all(not os.path.exists(p) for p in holder.remove)
