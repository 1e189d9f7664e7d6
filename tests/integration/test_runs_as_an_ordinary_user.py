"""The check runs as an ordinary user: no root, no sudo, and nothing left when it ends.

The tests drop to uid 65534 themselves (``tests/support/ordinary_user.py``): a venv it can
read, made by a Python it can run, a home and a temp dir of its own. The local upstream is
root's, on the host's loopback: the user's relay reaches it like any other host.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.integration.test_sigterm_cleans_up import hanging_sdist
from tests.support.dists import Dist
from tests.support.killing import assert_gone, kill_mid_step
from tests.support.ordinary_user import UID, OrdinaryUser


@pytest.fixture
def suite_dir(user: OrdinaryUser, unique) -> Path:
    """A directory of the user's for one inner run."""
    path = user.root / unique("suite")
    path.mkdir()
    return user.own(path)


def check(user: OrdinaryUser, cwd: Path, *args: str,
          timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(user.command([user.python, "-m", "pytest", "-p", "no:cacheprovider",
                                        *args]),
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


def test_the_reference_check_passes_as_an_ordinary_user(user, suite_dir, upstream,
                                                       unique) -> None:
    name = unique("userapp")
    upstream.publish(Dist(name, "1.0"))
    done = check(user, suite_dir, "--offline-index", *upstream.args,
                 "--offline-index-package", name, "--offline-index-report", "report.json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout
    report = suite_dir / "report.json"
    assert report.stat().st_uid == UID  # the user's files stay the user's
    (step,) = [s for c in json.loads(report.read_text())["checks"]
               for s in c["steps"] if s["name"] == "import"]
    assert step["status"] == "passed"


def test_an_export_is_written_and_proven_as_an_ordinary_user(user, suite_dir, upstream,
                                                             unique) -> None:
    name = unique("userapp")
    upstream.publish(Dist(name, "1.0"))
    done = check(user, suite_dir, "--offline-index", *upstream.args,
                 "--offline-index-package", name, "--offline-index-export", "bundle", "-v")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "::bundle PASSED" in done.stdout  # in a network namespace the user made
    bundle = suite_dir / "bundle"
    written = [bundle, *bundle.rglob("*")]
    assert {path.stat().st_uid for path in written} == {UID}  # the user's, all of it
    assert json.loads((bundle / "manifest.json").read_text())["complete"] is True


FIXTURE_SUITE = """
import pytest
from pytest_offline_index import OfflineInstallError

def test_a_hole_is_named(offline_index, fresh_venv):
    offline_index.warm(["{name}"])
    offline_index.cut()
    fresh_venv.install("{name}")
    with pytest.raises(OfflineInstallError) as caught:
        fresh_venv.install("{missing}")
    assert "missing from the cache: {missing}" in str(caught.value)
"""


def test_a_hole_is_named_as_an_ordinary_user(user, suite_dir, upstream, unique) -> None:
    name, missing = unique("userapp"), unique("nevercached")
    upstream.publish(Dist(name, "1.0"))
    (suite_dir / "test_hole.py").write_text(FIXTURE_SUITE.format(name=name, missing=missing))
    (suite_dir / "pytest.ini").write_text(f"[pytest]\n{upstream.ini}")
    user.own(suite_dir)
    done = check(user, suite_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


XDIST_SUITE = """
import os
from pathlib import Path

def test_one(offline_index):
    Path("seen", f"{os.getpid()}-one").write_text(str(offline_index.server.pid))

def test_two(offline_index):
    Path("seen", f"{os.getpid()}-two").write_text(str(offline_index.server.pid))
"""


def test_xdist_workers_share_one_server_as_an_ordinary_user(user, suite_dir, upstream) -> None:
    (suite_dir / "test_shared.py").write_text(XDIST_SUITE)
    (suite_dir / "pytest.ini").write_text(f"[pytest]\n{upstream.ini}")
    (suite_dir / "seen").mkdir()
    user.own(suite_dir)
    done = check(user, suite_dir, "-n", "2", "--dist", "each")
    assert done.returncode == 0, done.stdout + done.stderr
    seen = list((suite_dir / "seen").iterdir())
    assert len({p.name.split("-")[0] for p in seen}) == 2  # two workers really ran...
    assert len({p.read_text() for p in seen}) == 1  # ...against one devpi-server


@pytest.mark.parametrize("step", ["warm", "install"])
def test_sigkill_as_an_ordinary_user_leaves_nothing(user, suite_dir, fresh_upstream, unique,
                                                    step) -> None:
    name = unique("uservictim")
    fresh_upstream.publish(Dist(name, "1.0") if step == "warm" else hanging_sdist(name))
    if step == "warm":
        fresh_upstream.set_delay(120)
    child = subprocess.Popen(
        user.command([user.python, "-m", "pytest", "-p", "no:cacheprovider", "--offline-index",
                      *fresh_upstream.args, "--offline-index-package", name]),
        cwd=suite_dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        run, holder, pip = kill_mid_step(child, step)
    finally:
        fresh_upstream.set_delay(0)
    assert holder.uid == UID  # the run was the user's, holder and all
    assert_gone(run, holder, pip)


def test_nothing_of_the_harness_needs_root(user, suite_dir) -> None:
    """The user cannot read root's home: what the check runs must not come from there."""
    probe = textwrap.dedent("""
        import os, sys
        print(os.access("/root", os.R_OK), sys.executable)
    """)
    done = subprocess.run(user.command([user.python, "-c", probe]), capture_output=True,
                          text=True, cwd=suite_dir)
    assert done.stdout.split()[0] == "False", done.stdout + done.stderr
