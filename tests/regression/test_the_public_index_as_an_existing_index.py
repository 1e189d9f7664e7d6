"""The public index checked as an existing index: install and import through the relay
only, the isolation item proving the client reaches nothing else."""

from __future__ import annotations

import pytest

from tests.support.machine import machine_snapshot, snapshot_diff


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_six_installs_from_the_public_index_through_the_relay_alone(
        pytester: pytest.Pytester, installer: str) -> None:
    before = machine_snapshot()
    result = pytester.runpytest_subprocess(
        "--offline-index", "-p", "no:cacheprovider", "-v",
        "--offline-index-url", "https://pypi.org/simple/", "--offline-index-package", "six",
        "--offline-index-installer", installer)
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines([
        "*offline-index::isolation PASSED*",
        "*offline-index: install [[]py3.*[]]: passed in *six from https://pypi.org/simple/*"
        "through the relay*",
        "*offline-index: import [[]py3.*[]]: passed in *six*",
    ])
    assert "devpi-server up" not in result.stdout.str()  # no devpi of the run's own
    assert snapshot_diff(before, machine_snapshot()) == {}
