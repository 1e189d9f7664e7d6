"""Where user namespaces are refused, an explicit check fails with one line naming why and
the fix — it never skips, and it leaves nothing behind.

Each refusal is emulated for the check's own pytest only (``tests/support/refusals.py``):
a seccomp filter that answers ``unshare`` with EPERM (a container's default profile), and a
user namespace whose ``max_user_namespaces`` is 0 (ENOSPC).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.refusals import no_user_namespaces, refuse_unshare

CHECK = [sys.executable, "-m", "pytest", "--offline-index", "-p", "no:cacheprovider", "-rN"]


@pytest.mark.parametrize(("how", "named"), [
    ("seccomp", "user namespaces are refused by a seccomp profile (EPERM at unshare; a "
                "container's default profile does this): run the container with "
                "--security-opt seccomp=unconfined, or privileged"),
    ("max_user_namespaces=0", "user namespaces are not available: user.max_user_namespaces "
                              "is 0 or used up (ENOSPC); raise it: sudo sysctl -w "
                              "user.max_user_namespaces=15000"),
])
def test_a_refused_user_namespace_fails_the_check_in_one_line(pytester, upstream, how,
                                                             named) -> None:
    before = machine_snapshot()
    argv = [*CHECK, *upstream.args, "--offline-index-package", "anything"]
    if how == "seccomp":
        done = subprocess.run(argv, cwd=pytester.path, capture_output=True, text=True,
                              preexec_fn=refuse_unshare, timeout=300)
    else:
        done = subprocess.run(no_user_namespaces(argv), cwd=pytester.path,
                              capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.TESTS_FAILED, out
    assert f"offline-index [py3.11] warm: {named}" in out.replace(
        f"[py{sys.version_info.major}.{sys.version_info.minor}]", "[py3.11]"), out
    assert "Traceback" not in out
    assert "1 failed" in out.splitlines()[-1]  # the steps after it: "not run", never a pass
    assert snapshot_diff(before, machine_snapshot()) == {}
