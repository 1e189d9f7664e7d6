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
    scenario.close()
    assert scenario.workdir.exists()  # kept: the error points into it
    assert snapshot_diff(before, machine_snapshot()) == {}
