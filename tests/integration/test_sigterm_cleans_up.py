"""SIGTERM during the warm or the install leaves nothing behind, however the harness is used.

The check items (``--offline-index``), the fixtures, the marker and the marker under
pytest-xdist all share the session's one index, which turns SIGTERM into the teardown that
Ctrl-C gets. Under xdist the signal goes to the whole process group, as a CI runner's
timeout sends it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

import psutil
import pytest
from pyroute2 import netns

from pytest_offline_index import runstate
from tests.support.dists import Dist
from tests.support.processes import step_pip, wait_for

FIXTURE_SUITE = '''
def test_by_hand(offline_index, fresh_venv):
    offline_index.warm(["{name}"])
    offline_index.cut()
    fresh_venv.install("{name}")
'''

MARKER_SUITE = '''
import pytest


@pytest.mark.offline_index(packages=["{name}"])
def test_marked():
    pass
'''

MODES = {
    "option": (None, ["--offline-index", "--offline-index-package", "{name}"]),
    "fixture": (FIXTURE_SUITE, []),
    "marker": (MARKER_SUITE, []),
    "xdist": (MARKER_SUITE, ["-n", "2"]),
}


@pytest.mark.parametrize("step", ["warm", "install"])
@pytest.mark.parametrize("mode", MODES)
def test_sigterm_during_a_step_tears_everything_down(mode, step, pytester, fresh_upstream,
                                                     unique) -> None:
    name = unique("terminated")
    fresh_upstream.publish(Dist(name, "1.0"))
    suite, args = MODES[mode]
    pytester.makeini(f"[pytest]\n{fresh_upstream.ini}")
    if suite:
        pytester.makepyfile(suite.format(name=name))
    if step == "warm":
        fresh_upstream.set_delay(120)  # the download hangs until the signal
    child = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         *(arg.format(name=name) for arg in args)],
        cwd=pytester.path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        pip = wait_for(lambda: step_pip(child.pid, step), interval=0.01)
        family = {child.pid, *(p.pid for p in psutil.Process(child.pid).children(True))}
        (run,) = [r for r in runstate.records() if r.owner_pid in family]
        if mode == "xdist":
            os.killpg(child.pid, signal.SIGTERM)  # its own group: the one we started
        else:
            child.send_signal(signal.SIGTERM)
        out, _ = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        fresh_upstream.set_delay(0)
    text = out.decode()
    if mode == "xdist":  # the controller has no handler of its own: SIGTERM ends it
        assert child.returncode != 0, text
    else:  # pytest's "interrupted", after the teardown Ctrl-C gets
        assert child.returncode == 2, text
        assert "KeyboardInterrupt: signal 15" in text
    wait_for(lambda: not pip.is_running() or pip.status() == psutil.STATUS_ZOMBIE, timeout=10)
    # What this run made, by its own record: gone (other runs may share the machine).
    def left() -> list[str]:
        found = [ns for ns in netns.listnetns() if ns in run.namespaces]
        found += [r.run_id for r in runstate.records() if r.run_id == run.run_id]
        found += [str(p) for p in run.paths if os.path.exists(p)]
        return found + [f"pid {pid}" for pid, start in run.processes
                        if runstate.is_alive(pid, start)]

    with contextlib.suppress(AssertionError):  # an xdist owner may still be tearing down
        wait_for(lambda: not left(), timeout=30)
    assert left() == [], text
