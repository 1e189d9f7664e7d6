"""A run killed with SIGKILL, during the warm or the install, leaves nothing — at once.

No later run reaps anything: the holder's init sees its lifeline close, kills every process
of the run's PID namespace (devpi-server, pip, a build backend) and removes the work dir; the
kernel drops the namespaces with their last descriptor. Within 2 s nothing of the run is left.
"""

from __future__ import annotations

import os
import time

import psutil
import pytest

from tests.integration.test_sigterm_cleans_up import hanging_sdist
from tests.support.dists import Dist
from tests.support.guard import HolderWatcher
from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.processes import step_pip, wait_for

GONE_WITHIN = 2.0


@pytest.mark.parametrize("step", ["warm", "install"])
def test_sigkill_leaves_no_process_namespace_or_dir(step, fresh_upstream, spawn_check,
                                                    unique) -> None:
    name = unique("victim")
    # the warm hangs in its download; the install in the build of the sdist
    fresh_upstream.publish(Dist(name, "1.0") if step == "warm" else hanging_sdist(name))
    before = machine_snapshot()
    if step == "warm":
        fresh_upstream.set_delay(120)
    child = spawn_check(*fresh_upstream.args, "--offline-index-package", name)
    try:
        pip = wait_for(lambda: step_pip(child.pid, step), interval=0.01)
        if step == "install":
            wait_for(lambda: pip.children(recursive=True))  # the backend, in its build
        run = HolderWatcher(child.pid)
        run.poll()
        (holder,) = run.holders.values()
        assert run.leftovers(), "the live run holds nothing the watcher can see"
    finally:
        child.kill()
        child.wait()
        fresh_upstream.set_delay(0)
    killed = time.monotonic()
    wait_for(lambda: not run.leftovers(), timeout=GONE_WITHIN, interval=0.02)
    assert time.monotonic() - killed < GONE_WITHIN
    assert not pip.is_running() or pip.status() == psutil.STATUS_ZOMBIE  # ended
    assert all(not os.path.exists(p) for p in holder.remove)
    assert snapshot_diff(before, machine_snapshot()) == {}
