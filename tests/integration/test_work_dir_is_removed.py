"""The run's work dir goes when the run ends, pass or fail; it stays only when devpi-server
failed, and then the failure and the summary say where it is.

The work dir observed is the harness's own — ``mkdtemp`` under ``--offline-index-workdir``,
read back from the session's index inside the run — never one the test chose.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.dists import Dist
from tests.support.upstream import LocalUpstream

WHERE = '''
from pathlib import Path


def test_where(offline_index):
    assert offline_index.workdir.is_dir()
    Path("workdir.txt").write_text(str(offline_index.workdir))
'''

DEVPI_DIES = WHERE + '''
    import os, signal
    os.kill(offline_index.server.pid, signal.SIGKILL)  # the pid the harness started
'''


def check_run(pytester: pytest.Pytester, upstream: LocalUpstream, package: str,
              suite: str) -> tuple[pytest.RunResult, Path, Path]:
    """``pytest --offline-index`` with ``suite`` beside it; the parent of the run's work
    dir, and the work dir the harness made (as the run itself saw it)."""
    parent = pytester.path / "runs"
    parent.mkdir()
    pytester.makepyfile(test_where=suite)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--offline-index", *upstream.args,
        "--offline-index-package", package, "--offline-index-workdir", str(parent))
    workdir = Path((pytester.path / "workdir.txt").read_text())
    assert workdir.parent == parent and workdir.name.startswith("offline-index-")
    return result, parent, workdir


def test_removed_after_a_passing_run(pytester, upstream, unique) -> None:
    name = unique("wdpass")
    upstream.publish(Dist(name, "1.0"))
    result, parent, workdir = check_run(pytester, upstream, name, WHERE)
    result.assert_outcomes(passed=5)
    assert not workdir.exists()
    assert list(parent.iterdir()) == []
    assert "work dir kept" not in result.stdout.str()


def test_removed_after_a_failing_run(pytester, upstream, unique) -> None:
    app, gone = unique("wdfail"), unique("wdgone")
    upstream.publish(Dist(app, "1.0", requires=[gone]))  # its dependency was never published
    result, parent, workdir = check_run(pytester, upstream, app, WHERE)
    result.assert_outcomes(passed=1, failed=1, skipped=3)
    result.stdout.fnmatch_lines([f"offline-index [[]py3.*[]] warm: {gone}: no such project*"])
    assert not workdir.exists()
    assert list(parent.iterdir()) == []
    assert "work dir kept" not in result.stdout.str()


def test_kept_when_devpi_failed_and_the_run_says_where(pytester, upstream, unique) -> None:
    name = unique("wdkept")
    upstream.publish(Dist(name, "1.0"))
    result, parent, workdir = check_run(pytester, upstream, name, DEVPI_DIES)
    try:
        kept_and_named(result, parent, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # kept by design: ours to remove now


def test_kept_for_a_fixture_user_too_and_the_summary_says_where(pytester, upstream,
                                                              unique) -> None:
    name = unique("wdfixture")
    upstream.publish(Dist(name, "1.0"))
    parent = pytester.path / "runs"
    parent.mkdir()
    pytester.makepyfile(test_where=DEVPI_DIES + f'''
    offline_index.warm(["{name}"])
''')
    result = pytester.runpytest_subprocess(  # no --offline-index: the fixture alone
        "-p", "no:cacheprovider", *upstream.args, "--offline-index-workdir", str(parent))
    workdir = Path((pytester.path / "workdir.txt").read_text())
    try:
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*devpi-server (pid *) is not running; see its log:*",
                                     f"work dir kept for inspection: {workdir}"])
        assert list(parent.iterdir()) == [workdir]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # kept by design: ours to remove now


def kept_and_named(result: pytest.RunResult, parent: Path, workdir: Path) -> None:
    result.assert_outcomes(passed=1, failed=1, skipped=3)
    # the failure is devpi's, naming its log inside the kept work dir; the summary names it
    result.stdout.fnmatch_lines([
        f"offline-index [[]py3.*[]] warm: devpi-server (pid *) is not running; "
        f"see its log: {workdir}/*"])
    result.stdout.fnmatch_lines([f"work dir kept for inspection: {workdir}"])
    line = next(x for x in result.outlines if x.startswith("offline-index [py3."))
    log = Path(line.split("see its log: ", 1)[1])
    assert log.is_file() and workdir in log.parents
    assert list(parent.iterdir()) == [workdir]
