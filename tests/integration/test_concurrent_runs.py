"""Two runs at the same time on one machine: both pass, each in namespaces of its own."""

from __future__ import annotations

import re

from tests.support.dists import Dist
from tests.support.machine import machine_snapshot, snapshot_diff


def test_two_simultaneous_runs_both_pass(upstream, unique, spawn_check) -> None:
    names = [unique("left"), unique("right")]
    upstream.publish(*(Dist(name, "1.0") for name in names))
    before = machine_snapshot()
    children = [spawn_check(*upstream.args,
                            "--offline-index-package", name) for name in names]
    outputs = [child.communicate(timeout=300)[0].decode() for child in children]
    for child, out in zip(children, outputs, strict=True):
        assert child.returncode == 0, out
        assert "4 passed" in out
    runs = [re.search(r"network up: run (\w+), relay ", out) for out in outputs]
    assert all(runs), outputs
    assert runs[0].group(1) != runs[1].group(1)
    assert snapshot_diff(before, machine_snapshot()) == {}
