"""Suite-wide guard: the machine must look exactly the same after the suite as before it.

It snapshots the root namespace's links, addresses, routes (v4 and v6), the nftables
ruleset, ``ip_forward``, the named network namespaces, the run registry and devpi/harness
processes, and fails the suite if any differ. It compares the whole machine: another run
on the same machine at the same time trips it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.machine import machine_snapshot

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session", autouse=True)
def machine_left_as_found() -> Iterator[None]:
    before = machine_snapshot()
    yield
    after = machine_snapshot()
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    if changed:
        pytest.fail(f"the suite left the machine changed: {changed}", pytrace=False)
