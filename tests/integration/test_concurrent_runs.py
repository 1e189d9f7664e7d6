"""Two runs at the same time on one machine: both pass, each in namespaces of its own."""

from __future__ import annotations

import os

from tests.support.dists import Dist
from tests.support.guard import HolderWatcher
from tests.support.machine import machine_snapshot, snapshot_diff


def test_two_simultaneous_runs_both_pass(upstream, unique, spawn_check) -> None:
    names = [unique("left"), unique("right")]
    upstream.publish(*(Dist(name, "1.0") for name in names))
    before = machine_snapshot()
    runs = HolderWatcher(os.getpid()).start()
    children = [spawn_check(*upstream.args,
                            "--offline-index-package", name) for name in names]
    outputs = [child.communicate(timeout=300)[0].decode() for child in children]
    runs.stop()
    for child, out in zip(children, outputs, strict=True):
        assert child.returncode == 0, out
        assert "4 passed" in out
    left, right = runs.holders.values()  # one holder each...
    assert left.namespaces and right.namespaces
    assert not left.namespaces & right.namespaces  # ...with namespaces of its own
    assert runs.leftovers() == []
    assert snapshot_diff(before, machine_snapshot()) == {}
