"""Bad input found once the run is under way: one line naming it, nothing left behind.

(Usage errors, found before any namespace exists, are tested without privileges in
tests/unit/test_usage_errors_are_one_line.py.)"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from pytest_offline_index.inputs.targets import find_python
from tests.support.dists import Dist
from tests.support.machine import machine_snapshot, snapshot_diff


def run_check(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--offline-index", "-p", "no:cacheprovider", *args)


def said_in_one_line(result: pytest.RunResult, line: str, before: dict[str, object]) -> None:
    """The run said ``line`` (an fnmatch pattern), showed no traceback and left the machine
    as ``before``."""
    result.stdout.fnmatch_lines([line])
    assert "Traceback" not in result.stdout.str()
    assert snapshot_diff(before, machine_snapshot()) == {}


def test_unresolvable_upstream_fails_the_warm_in_one_line(pytester) -> None:
    before = machine_snapshot()
    result = run_check(pytester, "--offline-index-upstream", "http://no-such-host.invalid/simple/")
    result.assert_outcomes(failed=1, skipped=3)
    said_in_one_line(result, "offline-index [[]py3.*[]] warm: upstream "
                     "http://no-such-host.invalid/simple/: its host does not resolve*", before)


def test_unknown_package_on_the_upstream_is_one_line(pytester, upstream, unique) -> None:
    before = machine_snapshot()
    missing = unique("no-such-pkg")
    result = run_check(pytester, *upstream.args,
                       "--offline-index-package", missing)
    result.assert_outcomes(failed=1, skipped=3)
    result.stdout.fnmatch_lines(
        [f"offline-index [[]py3.*[]] warm: {missing}: no such project on the *"])
    assert snapshot_diff(before, machine_snapshot()) == {}


def test_an_upstream_that_refuses_is_one_line(pytester, fresh_upstream) -> None:
    before = machine_snapshot()
    fresh_upstream.halt()  # the host is there, nothing listens
    result = run_check(pytester, *fresh_upstream.args)
    result.assert_outcomes(failed=1, skipped=3)
    said_in_one_line(
        result, f"offline-index [[]py3.*[]] warm: upstream {fresh_upstream.url}: "
        f"{fresh_upstream.address} at {fresh_upstream.address}:{fresh_upstream.port} refused "
        f"the connection", before)


def test_an_upstream_inside_the_runs_addressing_is_one_line(pytester) -> None:
    result = run_check(pytester, "--offline-index-upstream", "http://10.213.0.1:8080/simple/")
    result.assert_outcomes(failed=1, skipped=3)
    result.stdout.fnmatch_lines([
        "offline-index [[]py3.*[]] warm: upstream address 10.213.0.1 collides with the run's "
        "own addressing*--offline-index-subnet*"])


def test_a_target_python_without_ensurepip_is_one_line(pytester, upstream, unique,
                                                       tmp_path) -> None:
    # Debian's split, for real: a Python whose ensurepip is gone (a hard-linked copy of
    # pyenv's 3.12, which finds its prefix from where it runs, without that one package)
    dist = Dist(unique("no-ensurepip"), "1.0")
    upstream.publish(dist)
    source = Path(find_python("3.12").executable or "").resolve().parents[1]
    copy = tmp_path / "python-without-ensurepip"
    subprocess.run(["cp", "-al", str(source), str(copy)], check=True)
    shutil.rmtree(next(copy.glob("lib/python3.*/ensurepip")))
    python = copy / "bin" / "python3.12"
    before = machine_snapshot()
    result = run_check(pytester, f"--offline-index-url={upstream.url}",
                       f"--offline-index-package={dist.name}",
                       f"--offline-index-python={python}")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    said_in_one_line(
        result, f"offline-index [[]*[]] install: *{python} cannot make a venv the way the far "
        f"side does: its venv module or ensurepip is missing (on Debian and Ubuntu: apt-get "
        f"install python3-venv*", before)


def test_an_existing_index_that_refuses_is_its_own_fault_not_a_hole(pytester) -> None:
    before = machine_snapshot()
    with socket.socket() as held:  # bound, never listening: a connection is refused
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        url = f"http://127.0.0.1:{port}/simple/"
        result = run_check(pytester, f"--offline-index-url={url}",
                           "--offline-index-package=six")
    result.assert_outcomes(failed=1, skipped=2)
    said_in_one_line(
        result, f"offline-index isolation: index {url} is unreachable from this machine: "
        f"127.0.0.1 at 127.0.0.1:{port} refused the connection; is it serving at that URL? "
        f"(the isolation itself was not tried)", before)
