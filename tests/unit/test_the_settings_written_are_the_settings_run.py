"""The settings that ran are the settings written: a path option written with a space
(``--offline-index-cache-dir /abs/dir``) is a path argument to pytest when it looks for its
config file (pytest#8846), so the rootdir moves and the project's ``pytest.ini`` is left
out. The run would check the default ``pandas`` instead of the project's ``six``: it ends
in one line naming the file, the cause and the fix instead.

Usage errors are checked before anything starts: no privileges needed."""

from __future__ import annotations

from pathlib import Path

import pytest

FIX = "--offline-index-cache-dir=PATH"
# The same setting in each file pytest reads, and the section pytest reads it from.
CONFIGS = {
    "pytest.ini": "[pytest]\noffline_index_packages = six\n",
    "pyproject.toml": '[tool.pytest.ini_options]\noffline_index_packages = ["six"]\n',
    "tox.ini": "[tox]\nenvlist = py\n[pytest]\noffline_index_packages = six\n",
    "setup.cfg": "[metadata]\nname = x\n[tool:pytest]\noffline_index_packages = six\n",
}


@pytest.fixture
def elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache dir outside the project, with no config file above it."""
    return tmp_path_factory.mktemp("kept-cache")


def errors_of(result: pytest.RunResult) -> list[str]:
    return [line for line in result.errlines if line.startswith("ERROR:")]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_a_path_option_written_with_a_space_ends_in_one_line_naming_the_file_and_the_fix(
        pytester: pytest.Pytester, elsewhere: Path, name: str) -> None:
    (pytester.path / name).write_text(CONFIGS[name])
    result = pytester.runpytest_subprocess("--offline-index", "-p", "no:cacheprovider",
                                           "--offline-index-cache-dir", str(elsewhere))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    (line,) = errors_of(result)
    assert f"{pytester.path / name} sets offline_index_packages" in line
    assert "did not load it" in line and "with a space" in line and FIX in line
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_written_with_equals_the_projects_settings_are_the_ones_run(
        pytester: pytest.Pytester, elsewhere: Path) -> None:
    pytester.makeini(CONFIGS["pytest.ini"])
    result = pytester.runpytest_subprocess("--offline-index", "-p", "no:cacheprovider",
                                           f"--offline-index-cache-dir={elsewhere}",
                                           "--offline-index-report=r.json", "--co", "-q")
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()
    assert errors_of(result) == []


def test_a_config_chosen_with_c_or_one_without_the_plugins_keys_is_no_error(
        pytester: pytest.Pytester, elsewhere: Path) -> None:
    chosen = pytester.path / "ci.ini"
    chosen.write_text(CONFIGS["pytest.ini"])
    pytester.makeini(CONFIGS["pytest.ini"])
    by_c = pytester.runpytest_subprocess("--offline-index", "-p", "no:cacheprovider", "-c",
                                         str(chosen), "--offline-index-cache-dir",
                                         str(elsewhere), "--co", "-q")
    assert by_c.ret == pytest.ExitCode.OK, by_c.stderr.str()
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    none_of_ours = pytester.runpytest_subprocess("--offline-index", "--offline-index-cache-dir",
                                                 str(elsewhere), "--co", "-q")
    assert none_of_ours.ret == pytest.ExitCode.OK, none_of_ours.stderr.str()


def test_without_the_plugin_active_nothing_is_said(pytester: pytest.Pytester,
                                                   elsewhere: Path) -> None:
    pytester.makeini(CONFIGS["pytest.ini"])
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           "--offline-index-cache-dir", str(elsewhere))
    assert "did not load it" not in result.stdout.str() + result.stderr.str()


def test_a_marked_test_fails_in_one_line_when_the_projects_settings_were_left_out(
        pytester: pytest.Pytester, elsewhere: Path) -> None:
    (pytester.path / "pytest.ini").write_text(CONFIGS["pytest.ini"])
    pytester.makepyfile(test_marked=(
        "import pytest\n\n\n@pytest.mark.offline_index()\ndef test_check():\n    pass\n"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           "--offline-index-cache-dir", str(elsewhere))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"offline_index marker: *pytest.ini sets "
                                 f"offline_index_packages but pytest did not load it*{FIX}*"])
    assert "During handling" not in result.stdout.str()  # one line, no chained exception
