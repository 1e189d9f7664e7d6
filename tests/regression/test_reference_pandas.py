"""The reference scenario on the real thing: pandas from the public index, warmed through
devpi, network cut, fresh venv, install, import — run exactly as a user runs it."""

from __future__ import annotations

import pytest

from tests.support.machine import machine_snapshot, snapshot_diff


def test_pandas_warms_cuts_installs_and_imports(pytester: pytest.Pytester) -> None:
    before = machine_snapshot()
    result = pytester.runpytest_subprocess("--offline-index", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([
        "*offline-index: warm [[]py3.*[]]: passed in *files*MB*",
        "*offline-index: cut: passed in *",
        "*offline-index: install [[]py3.*[]]: passed in *",
        "*offline-index: import [[]py3.*[]]: passed in *pandas*",
    ])
    assert snapshot_diff(before, machine_snapshot()) == {}


def test_unknown_package_fails_with_one_line_naming_it(pytester: pytest.Pytester) -> None:
    before = machine_snapshot()
    result = pytester.runpytest_subprocess(
        "--offline-index", "--offline-index-package", "no-such-pkg-zz9", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, skipped=3)
    failure = [line for line in result.stdout.lines
               if line.startswith("offline-index [py3.") and " warm: " in line]
    assert len(failure) == 1 and "no-such-pkg-zz9" in failure[0]
    assert snapshot_diff(before, machine_snapshot()) == {}
