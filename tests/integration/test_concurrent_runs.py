"""Two runs at the same time on one machine: both pass, with different names and subnets."""

from __future__ import annotations

import re

from tests.support.dists import Dist
from tests.support.machine import machine_snapshot, snapshot_diff


def test_two_simultaneous_runs_both_pass(upstream, unique, spawn_check) -> None:
    names = [unique("left"), unique("right")]
    upstream.publish(*(Dist(name, "1.0") for name in names))
    before = machine_snapshot()
    children = [spawn_check("--offline-index-upstream", upstream.url,
                            "--offline-index-package", name) for name in names]
    outputs = [child.communicate(timeout=300)[0].decode() for child in children]
    for child, out in zip(children, outputs, strict=True):
        assert child.returncode == 0, out
        assert "4 passed" in out
    networks = [re.search(r"network up: run (\w+), block (\S+)", out).groups()
                for out in outputs]
    assert networks[0][0] != networks[1][0]
    assert networks[0][1] != networks[1][1]
    assert snapshot_diff(before, machine_snapshot()) == {}
