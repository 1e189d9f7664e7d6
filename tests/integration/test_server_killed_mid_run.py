"""devpi-server dying mid-run is a one-line error naming its log; nothing is left behind."""

from __future__ import annotations

import os
import signal

import pytest

from pytest_offline_index.errors import ServerError
from tests.support.dists import Dist
from tests.support.machine import machine_snapshot, snapshot_diff


def test_server_killed_before_install(upstream, make_scenario, unique) -> None:
    name = unique("orphaned")
    upstream.publish(Dist(name, "1.0"))
    before = machine_snapshot()
    scenario = make_scenario(upstream, name)
    scenario.warm()
    scenario.cut()
    log_path = scenario.index.server.log_path
    os.kill(scenario.index.server.pid, signal.SIGKILL)  # the pid we started, nothing else

    with pytest.raises(ServerError) as excinfo:
        scenario.install()
    message = str(excinfo.value)
    assert "\n" not in message
    assert f"see its log: {log_path}" in message
    assert log_path.exists()
    assert scenario.index.keep_workdir  # the error points into it: the harness keeps it
    scenario.close()
    # (this work dir is the test's own, kept anyway: test_work_dir_is_removed watches the
    # harness's own dir being kept here and removed otherwise)
    assert snapshot_diff(before, machine_snapshot()) == {}
