"""Ctrl-C (SIGINT) during the warm or the install leaves nothing behind, also in a run that
inherited SIGINT blocked: a signal mask survives exec, and a run that kept it would hold every
Ctrl-C pending for good and go on, to a pass (issue 30)."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import subprocess
import sys
import tempfile
from typing import Any

import psutil
import pytest

from pytest_offline_index.execute.processes import is_alive
from pytest_offline_index.netns import Addressing, Sandbox
from pytest_offline_index.netns import sandbox as sandbox_module
from tests.support.dists import Dist
from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.processes import as_a_shell_starts_it, step_pip, wait_for, wait_in


@pytest.mark.parametrize("blocked", [False, True], ids=["as-from-a-shell", "inherited-blocked"])
@pytest.mark.parametrize("step", ["warm", "install"])
def test_sigint_during_a_step_tears_everything_down(step, blocked, fresh_upstream,
                                                    spawn_check) -> None:
    fresh_upstream.publish(Dist("interrupted", "1.0"))
    before = machine_snapshot()
    if step == "warm":
        fresh_upstream.set_delay(120)  # the download hangs until we interrupt it
    child = spawn_check(*fresh_upstream.args,
                        "--offline-index-package", "interrupted", sigint_blocked=blocked)
    try:
        pip = wait_in(child, lambda: step_pip(child.pid, step), f"the {step}'s pip")
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        fresh_upstream.set_delay(0)
    text = out.decode()
    assert child.returncode == 2, text  # pytest's "interrupted"
    # one line for pytest's traceback of the KeyboardInterrupt; the step "interrupted"
    assert f"Interrupted: offline-index: by Ctrl-C (SIGINT) during {step} [py3." in text
    assert "KeyboardInterrupt" not in text
    assert re.search(rf"{step} +interrupted +[\d.]+s +by Ctrl-C \(SIGINT\)", text), text
    assert re.search(r"^=+ .*\b1 interrupted\b.* in [\d.]+s", text, re.M), text
    assert f"offline-index: {step} [py3." in text
    assert not re.search(rf"{step} \[py3\.\d+\]: passed", text)
    # pip dies with its parent (a zombie is dead, just not yet reaped by init)
    wait_for(lambda: not pip.is_running() or pip.status() == psutil.STATUS_ZOMBIE, timeout=10)
    assert snapshot_diff(before, machine_snapshot()) == {}


AS_THE_RUN_ENDS = '''
import os, signal, pytest


@pytest.hookimpl({order}=True)
def {hook}({arg}):
    os.kill(os.getpid(), signal.SIGINT)
'''
ENDING = {  # the hook that sends the Ctrl-C, and where in it
    "teardown": ("pytest_sessionfinish", "trylast", "session"),
    "summary": ("pytest_terminal_summary", "trylast", "terminalreporter"),
    "last hook": ("pytest_unconfigure", "tryfirst", "config"),
}


@pytest.mark.parametrize("when", ENDING)
def test_sigint_as_the_run_ends_still_ends_it_interrupted(when, pytester, fresh_upstream
                                                          ) -> None:
    """A Ctrl-C that comes while the run tears down does not cut the teardown short, and
    is not lost either: the run ends "interrupted" once the teardown is done, never with a
    pass (a conftest sends it from the hook named)."""
    hook, order, arg = ENDING[when]
    pytester.makeini(f"[pytest]\n{fresh_upstream.ini}")
    pytester.makeconftest(AS_THE_RUN_ENDS.format(hook=hook, order=order, arg=arg))
    pytester.makepyfile("def test_by_hand(offline_index):\n    pass\n")
    before = machine_snapshot()
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
                          cwd=pytester.path, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300, preexec_fn=as_a_shell_starts_it())
    text = done.stdout + done.stderr
    assert done.returncode == 2, text
    assert re.search(r"^!+ Interrupted: offline-index: by Ctrl-C \(SIGINT\) as the run "
                     r"ended; its teardown went on to the end !+$", text, re.M), text
    assert "KeyboardInterrupt" not in text
    assert snapshot_diff(before, machine_snapshot()) == {}


def test_sigint_while_the_namespaces_are_made_leaves_nothing(monkeypatch) -> None:
    """Found by the random moments (test_sigint_at_any_moment): a Ctrl-C while the holder
    waited to be mapped (as root) left the run's control dir behind, as the holder exits
    then without removing anything and the run never held the sandbox it was starting."""
    made: list[str] = []
    holders: list[int] = []
    real_mkdtemp, real_read = tempfile.mkdtemp, sandbox_module._read_status

    def mkdtemp(**kwargs: Any) -> str:
        made.append(real_mkdtemp(**kwargs))
        return made[-1]

    def read_then_interrupted(fd: int, timeout: float) -> dict[str, object]:
        real_read(fd, timeout)  # the holder has unshared: as root it waits to be mapped
        assert box.process is not None
        holders.append(box.process.pid)
        raise KeyboardInterrupt

    monkeypatch.setattr(sandbox_module.tempfile, "mkdtemp", mkdtemp)
    monkeypatch.setattr(sandbox_module, "_read_status", read_then_interrupted)
    box = Sandbox(Addressing(ipaddress.IPv4Network("10.213.0.0/29"),
                             ipaddress.IPv4Address("10.213.0.9")).links())
    with pytest.raises(KeyboardInterrupt):
        box.start()
    assert holders and made
    assert not is_alive(holders[0])
    assert not os.path.lexists(made[0])
