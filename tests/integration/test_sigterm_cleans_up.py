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

from tests.support.backends import in_tree_sdist
from tests.support.dists import Dist
from tests.support.guard import HolderWatcher
from tests.support.processes import commands_under, step_pip, wait_for, wait_in

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
        pip = wait_in(child, lambda: step_pip(child.pid, step), f"the {step}'s pip")
        run, text = _terminate(child, group=mode == "xdist")
    finally:
        _reap(child)
        fresh_upstream.set_delay(0)
    _assert_torn_down(child, run, text, [pip], interrupted=mode != "xdist")


def hanging_sdist(name: str) -> Dist:
    """An sdist whose metadata comes at once (the warm passes) and whose build never ends."""
    return in_tree_sdist(name, "time.sleep(600)  # every install hangs here, until the run "
                               "ends it")


def test_sigterm_during_a_matrix_install_ends_every_install(pytester, fresh_upstream,
                                                            unique) -> None:
    """A matrix installs side by side: both pips are alive at once, and SIGTERM ends both,
    with the builds they run (a KeyboardInterrupt reaches only the main thread, not the
    threads waiting on them; without ending them the teardown would wait for the builds)."""
    name = unique("terminated")
    fresh_upstream.publish(hanging_sdist(name))
    pytester.makeini(f"[pytest]\n{fresh_upstream.ini}")
    child = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--offline-index",
         "--offline-index-package", name,
         "--offline-index-python", "3.11", "--offline-index-python", "3.12"],
        cwd=pytester.path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True)
    try:
        pips = wait_in(child, lambda: _installs(child.pid, count=2), "two install pips")
        builds = [p for pip, _ in pips for p in wait_for(
            lambda pip=pip: pip.children(recursive=True))]  # the backend, in its build
        run, text = _terminate(child, group=False)
    finally:
        _reap(child)
    assert sorted(pythons for _, pythons in pips) == ["3.11", "3.12"], text
    _assert_torn_down(child, run, text, [pip for pip, _ in pips] + builds, interrupted=True)


def _installs(pid: int, count: int) -> list[tuple[psutil.Process, str]]:
    """``count`` install pips alive under ``pid`` at one moment, each with its venv's
    Python (venvs are named ``py<version>-<pid>-<n>``)."""
    found = [(proc, argv[0].split("/venvs/py", 1)[1].split("-", 1)[0])
             for proc, argv in commands_under(pid) if argv[1:4] == ["-m", "pip", "install"]]
    return found if len(found) >= count else []


def _terminate(child: subprocess.Popen[bytes], group: bool) -> tuple[HolderWatcher, str]:
    """SIGTERM to the run (or its whole group); the run's holder as seen now, and all it
    printed."""
    run = HolderWatcher(child.pid)
    run.poll()
    assert run.holders, "no holder under the run"
    if group:
        os.killpg(child.pid, signal.SIGTERM)  # its own group: the one we started
    else:
        child.send_signal(signal.SIGTERM)
    out, _ = child.communicate(timeout=120)
    return run, out.decode()


def _reap(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def _assert_torn_down(child: subprocess.Popen[bytes], run: HolderWatcher, text: str,
                      pips: list[psutil.Process], interrupted: bool) -> None:
    if not interrupted:  # the xdist controller has no handler of its own: SIGTERM ends it
        assert child.returncode != 0, text
    else:  # pytest's "interrupted", after the teardown Ctrl-C gets
        assert child.returncode == 2, text
        assert "Interrupted: offline-index: by SIGTERM" in text
    for pip in pips:
        wait_for(lambda pip=pip: not pip.is_running() or pip.status() == psutil.STATUS_ZOMBIE,
                 timeout=10)
    # What this run's holder held: gone (other runs may share the machine).
    with contextlib.suppress(AssertionError):  # an xdist owner may still be tearing down
        wait_for(lambda: not run.leftovers(), timeout=30)
    assert run.leftovers() == [], text
