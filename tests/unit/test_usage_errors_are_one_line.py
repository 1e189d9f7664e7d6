"""Usage errors: one line naming the bad value and the fix, exit 4, before anything exists.

They need no privileges: the settings are validated before any namespace is made.
"""

from __future__ import annotations

import pytest

from pytest_offline_index.inputs.targets import candidates
from tests.support.machine import machine_snapshot, snapshot_diff


def run_check(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--offline-index", "-p", "no:cacheprovider", *args)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--offline-index-package", "pandas>>=1"], "'pandas>>=1' is not a valid requirement"),
        (["--offline-index-import", "no-dashes"], "'no-dashes' is not a module name"),
        (["--offline-index-upstream", "ftp://mirror/simple"], "'ftp://mirror/simple'"),
        (["--offline-index-port", "99999"], "'99999' is not a TCP port"),
        (["--offline-index-subnet", "10.0.0.0/30"], "smaller than a /29"),
        (["--offline-index-gateway", "10.213.0.5"],
         "gateway: 10.213.0.5 lies inside the server's links 10.213.0.0/29"),
        (["--offline-index-allow-host", "https://files.example/"],
         "'https://files.example/' is not a host name"),
        (["--offline-index-installer", "conda"], "'conda' is not an installer"),
        (["--offline-index-python", "3.99"], "no Python 3.99 found"),
        (["--offline-index-python", "2.7"], "python '2.7': Python 2.7 cannot be a target: "
                                            "the warm's venv (virtualenv's seed) ships pip "
                                            "for Python 3.9 and later only"),
        (["--offline-index-python", "3.6"], "python '3.6': Python 3.6 cannot be a target"),
        # a path: its version asked (where a 3.8 is found: pyenv's, readable by root alone)
        *((["--offline-index-python", str(found[0])], "Python 3.8 cannot be a target")
          for found in [candidates("3.8")] if found),
        (["--offline-index-package", "six, attrs"],
         "packages: 'six, attrs' is 2 specs on one line; give one per line (ini: "
         "offline_index_packages =, then each on its own indented line) or repeat "
         "--offline-index-package"),
        (["--offline-index-upstream", "https://pypi.org/"],
         "upstream: 'https://pypi.org/' is PyPI's web site, not its simple index: give "
         "'https://pypi.org/simple/'"),
        (["--offline-index-platform", "linux"], "expected TAG:VERSION"),
        (["--offline-index-platform", "manylinux1_x86_64:3.12"],
         "platform 'manylinux1_x86_64': uv cannot resolve for this tag; give one of "),
    ],
)
def test_usage_errors_are_one_line(pytester, args, named) -> None:
    before = machine_snapshot()
    result = run_check(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and named in errors[0], result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert snapshot_diff(before, machine_snapshot()) == {}


@pytest.mark.parametrize(
    ("ini", "named"),
    [
        ("offline_index_step_timeout = 5m",
         "offline_index_step_timeout in tox.ini: step timeout: '5m' is not a positive number "
         "of seconds (300 is five minutes)"),
        ("offline_index_port = http",
         "offline_index_port in tox.ini: port: 'http' is not a TCP port"),
        ("offline_index_packages = six, attrs",
         "packages: 'six, attrs' is 2 specs on one line; give one per line (ini: "
         "offline_index_packages =, then each on its own indented line)"),
    ],
)
def test_a_bad_ini_value_is_one_line_naming_its_key_and_file(pytester, ini, named) -> None:
    pytester.makefile(".ini", tox=f"[pytest]\n{ini}\n")
    result = run_check(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and named in errors[0], result.stderr.str()


def test_unwritable_workdir_is_one_line(pytester, tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_check(pytester, "--offline-index-workdir", str(blocker / "runs"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: offline-index: workdir: * is not a writable directory*"])




def test_a_foreign_target_without_uv_says_how_to_install_it(pytester, monkeypatch) -> None:
    # this run's interpreter cannot import uv, as where the extra is not installed
    pytester.makeconftest("import sys\nsys.modules['uv'] = None\n")
    monkeypatch.setenv("PATH", "/nonexistent")  # and no uv on PATH
    result = run_check(pytester, "--offline-index-platform", "manylinux2014_aarch64:3.12")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "ERROR: offline-index: platform manylinux2014_aarch64:3.12: a foreign target is "
        "resolved for its platform by uv; uv is not installed; install it beside pytest "
        "(pip install 'uv>=0.6.15', which the [[]uv] extra does too) or put uv on PATH"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_a_requirements_file_naming_another_source_is_one_line(pytester) -> None:
    reqs = pytester.path / "requirements.txt"
    reqs.write_text("localonly-pkg==1.0\n-r more.txt\n")
    (pytester.path / "more.txt").write_text("--find-links ./wheels\n")
    before = machine_snapshot()
    result = run_check(pytester, "--offline-index-requirements", str(reqs))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: offline-index: {pytester.path / 'more.txt'}:1: "
                                 f"--find-links names a source other than the index under test*"])
    assert snapshot_diff(before, machine_snapshot()) == {}


def test_a_report_that_cannot_be_written_is_refused_before_the_check(pytester) -> None:
    result = run_check(pytester, "--offline-index-report", "/proc/x.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: offline-index: report: '/proc/x.json' cannot be "
                                 "written (*); give a path in a writable directory*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_a_workdir_whose_parent_is_missing_is_refused_and_nothing_is_made(pytester,
                                                                         tmp_path) -> None:
    missing = tmp_path / "nonexistent"
    result = run_check(pytester, "--offline-index-workdir", str(missing / "x"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: offline-index: workdir: * (its parent {missing} "
                                 f"does not exist); create it first"])
    assert not missing.exists()


def test_the_marker_alone_says_the_check_needs_its_flag(pytester) -> None:
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-m", "offline_index")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(["offline-index: -m offline_index selects the check's items, "
                                 "which only --offline-index adds: pytest --offline-index "
                                 "-m offline_index"])


def test_pytest_s_own_stop_is_not_called_a_ctrl_c(pytester) -> None:
    # a collection error ends the run with pytest's Interrupted, a KeyboardInterrupt too
    pytester.makepyfile(test_broken="import no_such_module_here\n")
    result = run_check(pytester, "--collect-only")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*Interrupted: 1 error during collection*"])
    assert "Ctrl-C" not in result.stdout.str()
