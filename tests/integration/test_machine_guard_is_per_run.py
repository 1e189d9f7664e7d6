"""The suite's machine guard names what this suite's runs left, and only that.

Each test runs an inner suite under the very same guard (``-p tests.support.guard``). Its
runs are real product topologies (``Topology``: record, namespaces, processes, paths). The
inner guard gives the inner suite a registry of its own, so what it leaks is invisible to
this suite's guard: each test cleans up, by name and pid, exactly what its inner suite made.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyroute2 import netns

from pytest_offline_index import runstate
from pytest_offline_index.topology import Names

REPO = Path(__file__).resolve().parents[2]

# A run of the product: network up, a work dir recorded as the index records its own.
RUN = """
import json, os, subprocess, tempfile, time
from pathlib import Path
from pytest_offline_index.nsexec import ns_command
from pytest_offline_index.runstate import process_start_time
from pytest_offline_index.settings import Settings
from pytest_offline_index.topology import Addressing, Topology

def up():
    settings = Settings()
    topo = Topology(Addressing(settings.subnet, settings.gateway)).up()
    workdir = Path(tempfile.mkdtemp(prefix="offline-index-"))
    topo.add_path(workdir)
    return topo, workdir

def sleeper(topo=None, **kw):
    argv = ["sleep", "600"]
    if topo is not None:  # like pip or a probe: inside the run's client namespace
        argv = ns_command(topo.names.client_ns, argv)
    proc = subprocess.Popen(argv, **kw)
    while not Path(f"/proc/{proc.pid}/cmdline").read_bytes().startswith(b"sleep"):
        assert proc.poll() is None, "the sleeper did not start"
        time.sleep(0.01)  # in its namespace only once the launcher has exec'd
    return proc.pid, process_start_time(proc.pid)

def tell(name, topo, workdir, pids):
    Path(name).write_text(json.dumps({"run_id": topo.run_id, "workdir": str(workdir),
                                      "pids": pids, "namespaces": topo.names.namespaces,
                                      "registry": os.environ["OFFLINE_INDEX_STATE_DIR"]}))
"""

LEAKS = RUN + """

def test_teardown_forgets_the_work_dir_and_a_process_in_it():
    topo, workdir = up()
    pid = sleeper(cwd=workdir)
    tell("workdir.json", topo, workdir, [pid])
    time.sleep(0.25)  # a run outlives a few of the guard's 20 ms polls
    topo.down()  # record and namespaces go; the dir and the process stay

def test_teardown_leaves_a_process_in_the_client_namespace():
    topo, workdir = up()
    pid = sleeper(topo)
    tell("netns.json", topo, workdir, [pid])
    time.sleep(0.25)  # a run outlives a few of the guard's 20 ms polls
    topo.down()  # the namespace's name goes; the process still holds the namespace
    workdir.rmdir()

def test_teardown_never_runs():
    topo, workdir = up()
    pid = sleeper()
    topo.add_process(pid[0])
    tell("never.json", topo, workdir, [pid])

def test_an_upstream_never_stopped():
    from tests.support.upstream import LocalUpstream
    host = LocalUpstream(Path(tempfile.mkdtemp(prefix="upstream-"))).start()
    Path("upstream.json").write_text(json.dumps({
        "run_id": host.record.run_id, "workdir": str(host.root), "namespaces": [host.namespace],
        "pids": [[host.process.pid, process_start_time(host.process.pid)]],
        "registry": os.environ["OFFLINE_INDEX_STATE_DIR"]}))
"""

KEPT = RUN + """
from pytest_offline_index.index import OfflineIndex
from tests.support.upstream import LocalUpstream

def test_the_index_keeps_its_work_dir():
    with LocalUpstream(Path(tempfile.mkdtemp(prefix="upstream-"))) as host:
        index = OfflineIndex(Settings.resolve(cli={"packages": ["x"], **host.settings}))
        index.start()
        index.keep_workdir = True  # as after a devpi-server failure: its log is the clue
        Path("kept.json").write_text(json.dumps({
            "run_id": index.topology.run_id, "workdir": str(index.workdir),
            "pids": [], "namespaces": index.topology.names.namespaces,
            "registry": os.environ["OFFLINE_INDEX_STATE_DIR"]}))
        index.close()
"""

FOREIGN = RUN + """
import time

def wait_for(name):
    while not Path(name).exists():
        time.sleep(0.02)

wait_for("go")  # it starts while the inner suite runs...
topo, workdir = up()
pid = sleeper(topo)
topo.add_process(pid[0])
tell("foreign.json", topo, workdir, [pid])
wait_for("stop")  # ...and ends after it
topo.down()
workdir.rmdir()
"""

CLEAN_RUN_BESIDE_A_FOREIGN_ONE = RUN + """
import time

def test_a_clean_run_beside_a_foreign_one():
    Path("go").touch()
    while not Path("foreign.json").exists():
        time.sleep(0.02)
    topo, workdir = up()
    pid, start = sleeper(topo)
    topo.add_process(pid)
    topo.down()  # stops the recorded process
    workdir.rmdir()
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An inner suite dir that can load the guard; cleans what its runs said they made."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    yield pytester.path
    for told in pytester.path.glob("*.json"):
        facts = json.loads(told.read_text())
        for pid, start in facts["pids"]:
            runstate.stop_process(pid, start)  # only if it is still the process started
        for name in facts["namespaces"]:
            if name in netns.listnetns():
                netns.remove(name)
        shutil.rmtree(facts["workdir"], ignore_errors=True)
        # The inner guard keeps a registry that still holds records (a reaper needs them).
        shutil.rmtree(facts["registry"], ignore_errors=True)


def run_inner(pytester: pytest.Pytester) -> pytest.RunResult:
    # -rN: no short summary, which repeats the whole message from pytest 9.2 on
    return pytester.runpytest_subprocess("-p", "tests.support.guard", "-p", "no:cacheprovider",
                                         "-rN")


def test_the_guard_names_each_leftover_with_its_run(inner: Path,
                                                    pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_leaks=LEAKS)
    result = run_inner(pytester)
    result.assert_outcomes(passed=4, errors=1)
    told = {p.stem: json.loads(p.read_text()) for p in inner.glob("*.json")}
    left, in_ns, never, up = told["workdir"], told["netns"], told["never"], told["upstream"]
    (left_pid, _), = left["pids"]
    (ns_pid, _), = in_ns["pids"]
    (never_pid, _), = never["pids"]
    result.stdout.fnmatch_lines_random([
        "*the suite left the machine changed:*",
        f"run {left['run_id']}: path {left['workdir']}",
        f"run {left['run_id']}: process {left_pid} (sleep 600) uses its path {left['workdir']}",
        f"run {in_ns['run_id']}: process {ns_pid} (sleep 600) "
        f"in its namespace oi-{in_ns['run_id']}-cli",
        f"run {never['run_id']}: its record */{never['run_id']}.json",
        *(f"run {never['run_id']}: namespace {name}" for name in Names(never["run_id"]).namespaces),
        f"run {never['run_id']}: path {never['workdir']}",
        f"run {never['run_id']}: process {never_pid} (sleep 600)",
        f"run {up['run_id']}: its record *",
        f"run {up['run_id']}: namespace {up['namespaces'][0]}",
        f"run {up['run_id']}: path {up['workdir']}",
        f"run {up['run_id']}: process {up['pids'][0][0]} (*httpd.py*)",
        f"run {up['run_id']}: process {up['pids'][0][0]} (*httpd.py*) "
        f"in its namespace {up['namespaces'][0]}",
        f"run {up['run_id']}: process {up['pids'][0][0]} (*httpd.py*) uses its path *",
    ])
    # Nothing else, and the namespace whose name went is not called left.
    leftovers = [line for line in result.outlines if line.startswith("run ")]
    assert len(leftovers) == 15, leftovers


def test_the_guard_names_the_work_dir_an_index_kept(inner: Path,
                                                   pytester: pytest.Pytester) -> None:
    # The index records its own work dir: the guard knows it without being told.
    pytester.makepyfile(test_kept=KEPT)
    result = run_inner(pytester)
    result.assert_outcomes(passed=1, errors=1)
    kept = json.loads((inner / "kept.json").read_text())
    leftovers = [line for line in result.outlines if line.startswith("run ")]
    assert leftovers == [f"run {kept['run_id']}: path {kept['workdir']}"]


def test_a_foreign_run_does_not_trip_the_guard(inner: Path, pytester: pytest.Pytester,
                                               tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # The foreign run uses the registry the inner suite inherits, as it would the machine's
    # own: a guard that watched that instead of a registry of its own would see it.
    foreign_registry = tmp_path / "foreign-registry"
    monkeypatch.setenv(runstate.STATE_DIR_ENV, str(foreign_registry))
    (inner / "foreign_run.py").write_text(FOREIGN)
    pytester.makepyfile(test_beside=CLEAN_RUN_BESIDE_A_FOREIGN_ONE)
    foreign = subprocess.Popen([sys.executable, "foreign_run.py"], cwd=inner)
    try:
        result = run_inner(pytester)
        told = json.loads((inner / "foreign.json").read_text())
        names = Names(told["run_id"]).namespaces
        assert set(names) <= set(netns.listnetns())  # it outlived the inner suite
        assert runstate.is_alive(*told["pids"][0])
        result.assert_outcomes(passed=1)
        assert result.ret == 0
        (inner / "stop").touch()
        assert foreign.wait(timeout=60) == 0
        assert not set(names) & set(netns.listnetns())
    finally:
        if foreign.poll() is None:
            foreign.kill()  # by the pid we started; the inner fixture removes the rest
            foreign.wait()
