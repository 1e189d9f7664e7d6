"""The suite's machine guard names what this suite's runs left, and only that.

Each test runs an inner suite under the very same guard (``-p tests.support.guard``). Its
runs are real product topologies (``Topology``: a holder, its namespaces, processes launched
into them, work dirs). What the inner suite leaks ends with the inner pytest process (the
holder's lifeline closes); each test removes what its inner suite said it kept, by path.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# A run of the product: network up, a work dir the holder removes if the run dies.
RUN = """
import json, os, subprocess, tempfile, time
from pathlib import Path
from pytest_offline_index.inputs.settings import Settings
from pytest_offline_index.netns import Addressing, Topology

def up():
    settings = Settings()
    workdir = Path(tempfile.mkdtemp(prefix="offline-index-"))
    topo = Topology(Addressing(settings.subnet, settings.gateway)).up(remove=[workdir])
    return topo, workdir

def sleeper(topo):
    proc = subprocess.Popen(topo.client.command(["sleep", "600"]))
    while b"sleep" not in b"".join(
            Path(f"/proc/{p.pid}/cmdline").read_bytes() for p in _children(proc.pid)):
        assert proc.poll() is None, "the sleeper did not start"
        time.sleep(0.01)  # in its namespace only once the launcher has forked and exec'd
    return proc.pid

def _children(pid):
    import psutil
    return psutil.Process(pid).children()

def tell(name, topo, workdir, pids=()):
    Path(name).write_text(json.dumps({"holder": topo.sandbox.process.pid,
                                      "control": topo.control, "workdir": str(workdir),
                                      "pids": list(pids)}))
"""

LEAKS = RUN + """
_kept = []

def test_teardown_never_runs():
    topo, workdir = up()
    _kept.append(topo)  # alive until the inner session ends, after the guard has looked
    tell("never.json", topo, workdir, [sleeper(topo)])
"""

KEPT = RUN + """
from pytest_offline_index.index.offline import OfflineIndex
from tests.support.upstream import LocalUpstream

def test_the_index_keeps_its_work_dir():
    with LocalUpstream(Path(tempfile.mkdtemp(prefix="upstream-"))) as host:
        index = OfflineIndex(Settings.resolve(cli={"packages": ["x"], **host.settings}))
        index.start()
        index.keep_workdir = True  # as after a devpi-server failure: its log is the clue
        tell("kept.json", index.topology, index.workdir)
        index.close()
"""

FOREIGN = RUN + """
import time

def wait_for(name):
    while not Path(name).exists():
        time.sleep(0.02)

wait_for("go")  # it starts while the inner suite runs...
topo, workdir = up()
tell("foreign.json", topo, workdir, [sleeper(topo)])
wait_for("stop")  # ...and ends after it
topo.down()
"""

CLEAN_RUN_BESIDE_A_FOREIGN_ONE = RUN + """
import time

def test_a_clean_run_beside_a_foreign_one():
    Path("go").touch()
    while not Path("foreign.json").exists():
        time.sleep(0.02)
    topo, workdir = up()
    sleeper(topo)
    topo.down()  # ends the sleeper with the namespaces, and removes the work dir
    assert not workdir.exists()
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An inner suite dir that can load the guard; removes the work dirs its runs kept."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    yield pytester.path
    for told in pytester.path.glob("*.json"):
        shutil.rmtree(json.loads(told.read_text())["workdir"], ignore_errors=True)


def run_inner(pytester: pytest.Pytester) -> pytest.RunResult:
    # -rN: no short summary, which repeats the whole message from pytest 9.2 on
    return pytester.runpytest_subprocess("-p", "tests.support.guard", "-p", "no:cacheprovider",
                                         "-rN")


def test_the_guard_names_each_leftover_with_its_run(inner: Path,
                                                    pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_leaks=LEAKS)
    result = run_inner(pytester)
    result.assert_outcomes(passed=1, errors=1)
    never = json.loads((inner / "never.json").read_text())
    holder, (launcher,) = never["holder"], never["pids"]
    result.stdout.fnmatch_lines_random([
        "*the suite left the machine changed:*",
        f"run held by pid {holder}: the holder still runs",
        f"run held by pid {holder}: path {Path(never['control']).parent}",
        f"run held by pid {holder}: path {never['workdir']}",
        f"run held by pid {holder}: process {launcher} (*launcher.py*) is still in it",
        f"run held by pid {holder}: process * (sleep 600) is still in it",
        f"run held by pid {holder}: process * (*holder.py*) is still in it",  # its init
    ])
    leftovers = [line for line in result.outlines if line.startswith("run held by")]
    assert len(leftovers) == 6, leftovers
    # and the kernel did the rest when the inner pytest ended: the holder, its namespaces
    assert not Path(f"/proc/{holder}").exists() or _exited(holder)
    assert not Path(never["workdir"]).exists()


def _exited(pid: int) -> bool:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.05)
    return False


def test_the_guard_names_the_work_dir_an_index_kept(inner: Path,
                                                   pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_kept=KEPT)
    result = run_inner(pytester)
    result.assert_outcomes(passed=1, errors=1)
    kept = json.loads((inner / "kept.json").read_text())
    leftovers = [line for line in result.outlines if line.startswith("run held by")]
    assert leftovers == [f"run held by pid {kept['holder']}: path {kept['workdir']}"]


def test_a_foreign_run_does_not_trip_the_guard(inner: Path, pytester: pytest.Pytester) -> None:
    (inner / "foreign_run.py").write_text(FOREIGN)
    pytester.makepyfile(test_beside=CLEAN_RUN_BESIDE_A_FOREIGN_ONE)
    foreign = subprocess.Popen([sys.executable, "foreign_run.py"], cwd=inner)
    try:
        result = run_inner(pytester)
        told = json.loads((inner / "foreign.json").read_text())
        assert Path(f"/proc/{told['holder']}").exists()  # it outlived the inner suite
        result.assert_outcomes(passed=1)
        assert result.ret == 0
        (inner / "stop").touch()
        assert foreign.wait(timeout=60) == 0
        assert _exited(told["holder"])
    finally:
        if foreign.poll() is None:
            foreign.kill()  # by the pid we started; its holder ends with it
            foreign.wait()
