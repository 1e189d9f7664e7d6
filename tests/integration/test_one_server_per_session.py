"""A session that uses the fixture, a marker and --offline-index starts one devpi-server,
runs one sequence of steps for each check, and reports the marker's steps too."""

from __future__ import annotations

import json
import re

from tests.support.dists import Dist

SUITE = '''
from pathlib import Path

import pytest


def test_fixture(offline_index, fresh_venv):
    Path("fixture-pid").write_text(str(offline_index.server.pid))
    offline_index.restore()
    offline_index.warm(["{name}"])
    offline_index.cut()
    fresh_venv.install("{name}")


@pytest.mark.offline_index(packages=["{name}"], installer="uv")
def test_marker():
    pass
'''


def test_fixture_marker_and_check_share_one_server(pytester, upstream, unique) -> None:
    name = unique("together")
    upstream.publish(Dist(name, "1.0"))
    pytester.makeini(f"[pytest]\n{upstream.ini}")
    pytester.makepyfile(SUITE.format(name=name))

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--offline-index", "--offline-index-package", name,
        "--offline-index-report", "report.json")
    result.assert_outcomes(passed=6)
    started = re.findall(r"devpi-server up \(pid (\d+)\)", result.stdout.str())
    assert started == [(pytester.path / "fixture-pid").read_text()]

    report = json.loads((pytester.path / "report.json").read_text())
    checks = {check["name"]: check for check in report["checks"]}
    assert set(checks) == {"offline-index", "test_fixture_marker_and_check_share_one_server.py"
                           "::test_marker"}
    for check in checks.values():
        assert [(s["name"], s["status"]) for s in check["steps"]] == [
            ("warm", "passed"), ("cut", "passed"), ("install", "passed"),
            ("import", "passed")]
    # the same set, warmed and proved once: the later check shares it (one warm per session)
    warms = sorted(check["steps"][0]["detail"] for check in checks.values())
    assert [w.endswith("warmed earlier in this session, shared") for w in warms] == [
        False, True], warms
    installs = {name: check["steps"][2]["detail"] for name, check in checks.items()}
    assert installs["offline-index"].endswith("venv with pip; 0 bytes from upstream")
    assert installs["test_fixture_marker_and_check_share_one_server.py::test_marker"].endswith(
        "venv with uv; 0 bytes from upstream")  # the marker's own installer
