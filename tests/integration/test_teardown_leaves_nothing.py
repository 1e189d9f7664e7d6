"""Teardown leaves nothing behind after a failing check — from the library and the plugin."""

from __future__ import annotations

import pytest

from pytest_offline_index.errors import ImportCheckError
from tests.support.dists import Dist
from tests.support.machine import machine_snapshot, snapshot_diff


def test_failing_import_check_leaves_nothing(upstream, make_scenario, unique) -> None:
    name = unique("importable")
    upstream.publish(Dist(name, "1.0"))
    before = machine_snapshot()
    scenario = make_scenario(upstream, name, imports=("no_such_module_zz9",))
    scenario.warm()
    scenario.cut()
    scenario.install()
    with pytest.raises(ImportCheckError, match="no_such_module_zz9"):
        scenario.check_imports()
    assert machine_snapshot() != before  # the run really held namespaces and a server
    scenario.close()
    assert snapshot_diff(before, machine_snapshot()) == {}


def test_failing_plugin_run_leaves_nothing(upstream, unique, pytester) -> None:
    app, gone = unique("needs-gone"), unique("gone")
    upstream.publish(Dist(app, "1.0", requires=[gone]))  # its dependency was never published
    before = machine_snapshot()
    result = pytester.runpytest_subprocess(
        "--offline-index", *upstream.args,
        "--offline-index-package", app, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, skipped=3)
    result.stdout.fnmatch_lines([f"offline-index [[]py3.*[]] warm: {gone}: no such project*"])
    assert snapshot_diff(before, machine_snapshot()) == {}
