"""A run killed with SIGKILL, during the warm or the install, leaves nothing — at once.

No later run reaps anything: the holder's init sees its lifeline close, kills every process
of the run's PID namespace (devpi-server, pip, a build backend) and removes the work dir; the
kernel drops the namespaces with their last descriptor. Within 2 s nothing of the run is left.
"""

from __future__ import annotations

import pytest

from tests.integration.test_sigterm_cleans_up import hanging_sdist
from tests.support.dists import Dist
from tests.support.killing import assert_gone, kill_mid_step
from tests.support.machine import machine_snapshot, snapshot_diff


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
        run, holder, pip = kill_mid_step(child, step)
    finally:
        fresh_upstream.set_delay(0)
    assert_gone(run, holder, pip)
    assert snapshot_diff(before, machine_snapshot()) == {}
