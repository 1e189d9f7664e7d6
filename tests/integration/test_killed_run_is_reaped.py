"""A run killed with SIGKILL leaves namespaces and devpi behind; the next run reaps them."""

from __future__ import annotations

import time
from pathlib import Path

from pyroute2 import netns

from pytest_offline_index import runstate
from pytest_offline_index.topology import Names
from tests.support.dists import Dist
from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.processes import wait_for


def test_sigkilled_run_is_reaped_by_the_next(fresh_upstream, make_scenario,
                                             spawn_check) -> None:
    fresh_upstream.publish(Dist("victim", "1.0"))
    before = machine_snapshot()
    fresh_upstream.set_delay(120)  # the warm hangs in its download: kill it mid-flight
    child = spawn_check(*fresh_upstream.args,
                        "--offline-index-package", "victim")
    try:
        record = wait_for(lambda: next((r for r in runstate.records()
                                        if r.owner_pid == child.pid and r.processes), None))
    finally:
        time.sleep(1.0)  # let the download start
        child.kill()
        child.wait()
    fresh_upstream.set_delay(0)

    # What the killed run left: its namespaces and its devpi-server.
    names = Names(record.run_id)
    assert {names.server_ns, names.client_ns} <= set(netns.listnetns())
    (server_pid, server_start), = record.processes
    assert runstate.is_alive(server_pid, server_start)
    record = runstate.RunRecord.load(record.path)  # as the reaper will see it
    assert record.paths and all(Path(p).is_dir() for p in record.paths)  # its work dir

    scenario = make_scenario(fresh_upstream, "victim")
    scenario.warm()  # its setup reaps the dead run first
    assert not {names.server_ns, names.client_ns} & set(netns.listnetns())
    assert not runstate.is_alive(server_pid, server_start)
    assert not record.path.exists()
    assert not any(Path(p).exists() for p in record.paths)
    scenario.cut()
    scenario.install()
    scenario.check_imports()
    scenario.close()
    assert snapshot_diff(before, machine_snapshot()) == {}
