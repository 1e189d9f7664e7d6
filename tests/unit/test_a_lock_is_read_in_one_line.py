"""Locks as inputs: the entries each target gets, and a one-line error for every lock the
check cannot take (read by the real parser and, for uv.lock, the real uv)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_offline_index import SettingsError
from pytest_offline_index.inputs.lockfile import (
    foreign_environment,
    is_lock,
    marker_environment,
    read_lock,
)
from pytest_offline_index.inputs.settings import Settings
from pytest_offline_index.inputs.targets import Target, running_target
from tests.support.locked import lock

ENTRY = '[[packages]]\nname = "six"\nversion = "1.17.0"\n'
WHEEL = 'wheels = [{ name = "six-1.17.0-py2.py3-none-any.whl", hashes = { sha256 = "ab" } }]\n'


def _lock(tmp_path: Path, text: str, name: str = "pylock.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_locks_are_told_by_their_names() -> None:
    assert is_lock(Path("pylock.toml")) and is_lock(Path("pylock.dev.toml"))
    assert is_lock(Path("uv.lock"))
    assert not is_lock(Path("requirements.txt")) and not is_lock(Path("pylock.a.b.toml"))


def test_each_target_gets_the_entries_whose_markers_match_it() -> None:
    kept = read_lock(lock("pylock.toml"))
    here = running_target()
    windows = Target("3.12", None, "win_amd64")

    assert [e.pin for e in kept.entries_for(here, marker_environment(here))] == [
        "lockapp==1.0", "lockdep==1.0"]
    assert [e.pin for e in kept.entries_for(windows, marker_environment(windows))] == [
        "lockapp==1.0", "lockdep==1.0", "lockwin==1.0"]
    text = kept.requirements_for(here, marker_environment(here))
    assert "lockdep==1.0 --hash=sha256:" in text and "lockwin" not in text


def test_a_uv_lock_is_read_through_uv_export() -> None:
    kept = read_lock(lock("uv-project/uv.lock"))
    from_pylock = read_lock(lock("pylock.toml"))

    assert [(e.pin, e.hashes) for e in kept.entries] == [
        (e.pin, e.hashes) for e in from_pylock.entries]


def test_a_uv_lock_without_its_project_is_one_line(tmp_path: Path) -> None:
    shutil.copy(lock("uv-project/uv.lock"), tmp_path / "uv.lock")

    with pytest.raises(SettingsError, match=r"uv.lock: no pyproject.toml beside it"):
        read_lock(tmp_path / "uv.lock")


def test_a_uv_lock_of_another_project_is_one_line(tmp_path: Path) -> None:
    shutil.copy(lock("uv-project/uv.lock"), tmp_path / "uv.lock")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "other"\nversion = "0"\ndependencies = ["six"]\n')

    with pytest.raises(SettingsError, match=r"uv.lock: uv export --frozen failed: error"):
        read_lock(tmp_path / "uv.lock")


@pytest.mark.parametrize(("text", "says"), [
    ("lock-version = [", "pylock.toml: not a TOML lock"),
    ('lock-version = "2.0"\n' + ENTRY + WHEEL, "lock-version 2.0 is not one this check reads"),
    ('lock-version = "1.0"\n', "no [[packages]]: nothing is locked"),
    ('lock-version = "1.0"\n[[packages]]\nname = "x"\nversion = "1"\n'
     'vcs = { type = "git", url = "https://example.org/x.git", commit-id = "ab" }\n',
     "x (packages[1]) is locked from a vcs, not an index"),
    ('lock-version = "1.0"\n[[packages]]\nname = "six"\n' + WHEEL,
     "six (packages[1]) has no version"),
    ('lock-version = "1.0"\n' + ENTRY, "six (packages[1]) locks no wheel and no sdist"),
    ('lock-version = "1.0"\n' + ENTRY + 'wheels = [{ name = "six.whl", hashes = {} }]\n',
     "a locked file has no sha256 hash"),
    ('lock-version = "1.0"\n' + ENTRY + 'marker = "python_version >"\n' + WHEEL,
     "six's marker 'python_version >' is not a marker"),
    ('lock-version = "1.0"\n' + ENTRY + 'wheels = [{ name = "six.whl", hashes = "sha256:ab" }]\n',
     "a locked file has no sha256 hash"),
])
def test_a_lock_the_check_cannot_take_is_one_line(tmp_path: Path, text: str, says: str) -> None:
    path = _lock(tmp_path, text)

    with pytest.raises(SettingsError) as refused:
        Settings.resolve(cli={"requirements": str(path)})

    assert says in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(("head", "says"), [
    ('requires-python = ">=3.99"\n', "pylock.toml: locked for Python >=3.99, not for"),
    ("environments = [\"sys_platform == 'win32'\"]\n",
     "pylock.toml: locked for the environments 'sys_platform == \"win32\"'; py3"),
])
def test_a_lock_for_another_python_or_platform_is_one_line(
        tmp_path: Path, head: str, says: str) -> None:
    kept = read_lock(_lock(tmp_path, 'lock-version = "1.0"\n' + head + ENTRY + WHEEL))
    here = running_target()

    with pytest.raises(SettingsError) as refused:
        kept.entries_for(here, marker_environment(here))

    assert str(refused.value).startswith(says)


def test_a_lock_with_no_entry_for_a_target_is_one_line(tmp_path: Path) -> None:
    kept = read_lock(_lock(tmp_path, 'lock-version = "1.0"\n' + ENTRY
                           + "marker = \"sys_platform == 'win32'\"\n" + WHEEL))
    here = running_target()

    with pytest.raises(SettingsError, match=rf"none of its 1 entries applies to {here.label}"):
        kept.entries_for(here, marker_environment(here))


@pytest.mark.parametrize(("tag", "platform", "machine"), [
    ("manylinux2014_x86_64", "linux", "x86_64"), ("manylinux_2_17_aarch64", "linux", "aarch64"),
    ("macosx_11_0_arm64", "darwin", "arm64"), ("win_amd64", "win32", "AMD64"),
    ("macosx_10_9_x86_64", "darwin", "x86_64"), ("win_arm64", "win32", "ARM64"),
    ("musllinux_1_2_x86_64", "linux", "x86_64"),
])
def test_a_foreign_target_has_its_platforms_markers(tag: str, platform: str,
                                                    machine: str) -> None:
    environment = foreign_environment(tag, "3.12")

    assert (environment["sys_platform"], environment["platform_machine"]) == (platform, machine)
    assert environment["python_version"] == "3.12"


def test_an_entry_of_a_default_group_applies_and_one_of_another_group_does_not(
        tmp_path: Path) -> None:
    grouped = ("lock-version = \"1.0\"\ndefault-groups = [\"dev\"]\n"
               + ENTRY + "marker = \"'dev' in dependency_groups\"\n" + WHEEL
               + ENTRY.replace("six", "docs-only")
               + "marker = \"'docs' in dependency_groups\"\n" + WHEEL)
    kept = read_lock(_lock(tmp_path, grouped))
    here = running_target()

    assert [e.name for e in kept.entries_for(here, marker_environment(here))] == ["six"]


def test_the_settings_name_every_entry_of_a_lock() -> None:
    settings = Settings.resolve(cli={"requirements": str(lock("pylock.toml"))})

    assert settings.distribution_names == ("lockapp", "lockdep", "lockwin")
