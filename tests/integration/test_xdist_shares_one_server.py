"""With pytest-xdist, the workers share one topology and one devpi-server."""

from __future__ import annotations

from tests.support.dists import Dist
from tests.support.machine import machine_snapshot, snapshot_diff

SUITE = '''
import os
from pathlib import Path

import pytest


@pytest.mark.offline_index(packages=["{name}"])
@pytest.mark.parametrize("i", range(8))
def test_check(i, offline_index):
    record = f"{{offline_index.server.pid}} {{offline_index.simple_url}}"
    Path("seen", f"{{i}}-{{os.getpid()}}").write_text(record)
'''


def test_eight_marker_tests_on_four_workers_use_one_server(pytester, upstream, unique) -> None:
    name = unique("parallel")
    upstream.publish(Dist(name, "1.0"))
    pytester.makeini(f"[pytest]\n{upstream.ini}")
    pytester.makepyfile(SUITE.format(name=name))
    pytester.mkdir("seen")
    before = machine_snapshot()

    result = pytester.runpytest_subprocess("-n", "4", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)
    seen = list((pytester.path / "seen").iterdir())
    assert len(seen) == 8
    workers = {path.name.split("-")[1] for path in seen}
    servers = {path.read_text() for path in seen}
    assert len(workers) > 1  # several processes really ran the checks...
    assert len(servers) == 1  # ...all against one devpi-server at one address
    # each marked test's table reaches the controller's summary, whichever worker ran it
    out = result.stdout.str().split("= offline-index =", 1)[-1]
    for i in range(8):
        assert f"::test_check[{i}]:" in out
    assert out.count(f"{name} ") >= 8  # a project row in each table
    assert snapshot_diff(before, machine_snapshot()) == {}


def test_the_check_under_n_2_runs_whole_on_one_worker_and_prints_its_table(
        pytester, upstream, unique) -> None:
    # split across workers, an install would find its warm on another and not run
    name = unique("under-xdist")
    upstream.publish(Dist(name, "1.0"))
    pytester.makepyfile("def test_beside_the_check():\n    pass\n")
    before = machine_snapshot()
    result = pytester.runpytest_subprocess("-n", "2", "--offline-index", *upstream.args,
                                           f"--offline-index-package={name}",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)  # warm, cut, install, import, and the suite's test
    result.stdout.fnmatch_lines([
        "*= offline-index =*",
        "py3.* warm     passed *",
        "* cut      passed *",
        "py3.* install  passed *",
        "py3.* import   passed *",
        "target * project * warmed * installed imported",
        f"py3.* {name} * 1 file, * yes * ok",
    ])
    assert snapshot_diff(before, machine_snapshot()) == {}
