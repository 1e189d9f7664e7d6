"""The reference scenario on the real thing: pandas from the public index, warmed through
devpi, network cut, fresh venv, install, import — run exactly as a user runs it."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.ordinary_user import OrdinaryUser


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


def test_pandas_passes_as_an_ordinary_user(user: OrdinaryUser) -> None:
    """``pytest --offline-index`` as uid 65534, in its own venv: no root anywhere; and with
    the host's trust named only as Python's own (``SSL_CERT_FILE``): devpi, which reads
    neither it nor the system store, gets it from the harness (this machine reaches the
    public index through a TLS-inspecting proxy whose CA only the host's bundle holds)."""
    before = machine_snapshot()
    where = user.own(Path(tempfile.mkdtemp(prefix="pandas-", dir=user.root)))
    done = subprocess.run(user.command([user.python, "-m", "pytest", "--offline-index",
                                        "-p", "no:cacheprovider"],
                                       drop=("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")),
                          cwd=where, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "4 passed" in done.stdout
    assert "import [py3.11]: passed" in done.stdout and "pandas" in done.stdout
    assert snapshot_diff(before, machine_snapshot()) == {}
