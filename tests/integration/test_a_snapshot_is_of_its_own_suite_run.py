"""The suite's host-state snapshots compare what this suite run could have made, never what
another suite run on the same machine emulates meanwhile (issue 30: a developer's run of one
file beside CI's run of the suite failed the first, "the suite left the machine changed").

The other run is a real process with a run name of its own, emulating a host with the suite's
own emulations: a firewall table in the root namespace, then ``ip_forward=1`` as well.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.support.machine import root_snapshot

REPO = Path(__file__).resolve().parents[2]
# another suite run: an input-drop table, then (told to go on) a forward-drop one with
# ip_forward=1; told again, it puts everything back and ends
OTHER_RUN = """
import sys
from tests.support.emulation import forward_drop, input_drop
with input_drop():
    print("table", flush=True)
    if not sys.stdin.readline():  # the test ended first
        sys.exit(0)
with forward_drop():
    print("forward", flush=True)
    sys.stdin.readline()
"""

pytestmark = pytest.mark.alone  # the root namespace's firewall, for the test's duration
# (root, as the suite's other emulations: a missing capability fails, never skips)


def test_another_suite_run_s_emulation_is_not_this_run_s_change() -> None:
    before = root_snapshot()
    env = {**os.environ, "OFFLINE_INDEX_TEST_SUITE_RUN": "otherrun"}
    env.pop("OFFLINE_INDEX_TEST_IP_FORWARD_HELD", None)
    other = subprocess.Popen([sys.executable, "-c", OTHER_RUN], cwd=REPO, env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert other.stdin is not None and other.stdout is not None
    try:
        assert other.stdout.readline() == "table\n"
        assert root_snapshot() == before  # its table is its own run's
        other.stdin.write("\n")
        other.stdin.flush()
        assert other.stdout.readline() == "forward\n"
        seen: list[dict[str, object]] = []
        reader = threading.Thread(target=lambda: seen.append(root_snapshot()), daemon=True)
        reader.start()
        reader.join(timeout=2)  # it waits while the other run has ip_forward changed ...
        assert seen == []
        other.stdin.write("\n")
        other.stdin.flush()
        reader.join(timeout=60)  # ... and reads it once it is put back
        assert seen == [before]
    finally:
        other.stdin.close()
        try:
            other.wait(timeout=60)
        except subprocess.TimeoutExpired:
            other.kill()  # by the pid we started: its tables die with it (owner flag)
            other.wait()
    assert other.returncode == 0
