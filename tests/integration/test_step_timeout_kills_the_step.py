"""``--offline-index-step-timeout``: a step that takes longer fails saying it timed out and
after how long, and its whole process group is killed — pip and whatever pip spawned.

Two honest hangs: the upstream that never sends a file (pip waits on devpi, which waits on
the upstream), and an sdist whose build backend never answers (pip's hook subprocess, a
child of pip, sleeps): killing pip alone would leave that one running.
"""

from __future__ import annotations

import contextlib
import re
import signal

import psutil
import pytest

from tests.support.backends import in_tree_sdist
from tests.support.dists import Dist
from tests.support.processes import descendant_running, wait_for, wait_in


def gone(process: psutil.Process) -> bool:
    """Dead (a zombie is dead, just not yet reaped)."""
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def hook_of(pip: psutil.Process) -> psutil.Process | None:
    """pip's build-backend hook process, running under this pip."""
    try:
        return descendant_running(pip.pid, "_in_process", "get_requires_for_build_wheel")
    except psutil.Error:
        return None


def hooks_under(pid: int) -> list[psutil.Process]:
    """Every build-backend hook process running under ``pid``."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
    found = []
    for child in children:
        with contextlib.suppress(psutil.Error):
            if "get_requires_for_build_wheel" in " ".join(child.cmdline()):
                found.append(child)
    return found


# Every command of the step is bounded by the timeout, the warmer's virtualenv too: on a
# loaded machine (the suite beside a looping check) it once took over 10 s. The hang is
# waited out, not worked on: a longer bound costs the suite wall time, not CPU.
@pytest.mark.parametrize(("hang", "timeout"), [("download", 30), ("build backend", 30)])
def test_a_step_over_the_timeout_is_killed_with_its_process_group(
        hang, timeout, fresh_upstream, spawn_check, unique, monkeypatch, tmp_path) -> None:
    app = unique("slow")
    if hang == "download":
        fresh_upstream.publish(Dist(app, "1.0"))
        fresh_upstream.set_delay(600)  # the file never comes within the timeout
    else:
        fresh_upstream.publish(in_tree_sdist(app, asked="time.sleep(3600)  # never answers"))
    monkeypatch.setenv("PYTHONUNBUFFERED", "1")  # the run's progress lines, as they come
    system_tmp = tmp_path / "system-tmp"  # what the run would take for /tmp
    system_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_tmp))
    child = spawn_check(*fresh_upstream.args, "--offline-index-package", app,
                        "--offline-index-step-timeout", str(timeout))
    assert child.stdout is not None
    hung: list[psutil.Process] = []
    seen: list[psutil.Process] = []
    lines: list[bytes] = []
    try:
        def warm_pip() -> psutil.Process | None:
            seen.extend(hooks_under(child.pid))  # every hook of the run: for the cleanup
            return descendant_running(child.pid, "pip", "download")

        pip = wait_in(child, warm_pip, "the warm's pip download")
        hung.append(pip)
        if hang == "build backend":
            hung.append(wait_for(lambda: hook_of(pip), interval=0.01))
        for line in child.stdout:  # until the warm has failed, and the run goes on
            lines.append(line)
            if re.match(rb"offline-index: warm \[py3\.\d+\]: failed in", line):
                break
        # Hold the run right there: its exit would end a leftover pip anyway (they die with
        # their parent), so look while the harness still lives.
        child.send_signal(signal.SIGSTOP)
        try:
            with contextlib.suppress(AssertionError):  # a zombie waits for its reaper
                wait_for(lambda: all(gone(p) for p in hung), timeout=10)
            left = [p.pid for p in hung if not gone(p)]
        finally:
            child.send_signal(signal.SIGCONT)
        out, _ = child.communicate(timeout=300)
    finally:
        fresh_upstream.set_delay(0)
        for process in hung + seen:  # under a broken harness: the ones we saw, by pid
            with contextlib.suppress(psutil.Error):
                if not gone(process):
                    process.kill()
    text = b"".join(lines).decode() + out.decode()
    assert child.returncode == 1, text
    assert re.search(rf"^offline-index \[py3\.\d+\] warm: warm timed out after {timeout}s "
                     rf"for {app}$", text, re.MULTILINE), text
    # killed with the step, not left running: the pip and (for the backend) pip's own child
    assert left == [], text
    # and what the killed pip could not clean up went with the run's work dir, not to /tmp
    assert [p.name for p in system_tmp.iterdir() if p.name.startswith("pip-")] == [], text
