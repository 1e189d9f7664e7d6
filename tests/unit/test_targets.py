"""Finding target interpreters: version spellings, paths, foreign tags, clear errors."""

from __future__ import annotations

import sys

import pytest

from pytest_offline_index.errors import SettingsError
from pytest_offline_index.inputs.targets import find_python, foreign_target, resolve_targets

RUNNING = f"{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.mark.parametrize("spelling", [RUNNING, f"python{RUNNING}", f"py{RUNNING}",
                                      f"py{RUNNING.replace('.', '')}"])
def test_the_running_version_in_any_spelling_is_this_interpreter(spelling) -> None:
    target = find_python(spelling)
    assert (target.version, target.executable) == (RUNNING, sys.executable)


def test_an_interpreter_path_is_probed_for_its_version() -> None:
    assert find_python(sys.executable).version == RUNNING


def test_a_missing_version_names_where_it_looked() -> None:
    with pytest.raises(SettingsError, match=r"no Python 3\.99 found; looked in PATH"):
        find_python("3.99")


def test_neither_version_nor_path_is_one_line() -> None:
    with pytest.raises(SettingsError, match=r"neither a version like '3\.12' nor an exec"):
        find_python("/no/such/python")


def test_foreign_targets_need_tag_and_version() -> None:
    target = foreign_target("manylinux2014_aarch64:3.12")
    assert (target.platform, target.version, target.foreign) == (
        "manylinux2014_aarch64", "3.12", True)
    assert target.label == "manylinux2014_aarch64-py3.12"
    with pytest.raises(SettingsError, match="expected TAG:VERSION"):
        foreign_target("manylinux2014_aarch64")


def test_targets_default_to_the_running_interpreter_and_do_not_repeat() -> None:
    assert [t.label for t in resolve_targets((), ())] == [f"py{RUNNING}"]
    both = resolve_targets((RUNNING, sys.executable), ("musllinux_1_2_x86_64:3.12",))
    assert [t.label for t in both] == [f"py{RUNNING}", "musllinux_1_2_x86_64-py3.12"]
