"""A lock is checked through the index, exactly as locked: ``pylock.toml`` and ``uv.lock``.

The kept locks (tests/data/locks, written by real uv from the local upstream) pin lockdep 1.0
and name URLs on a port long gone. The upstream also has lockdep 2.0, which any resolution
would take; only the lock keeps the install at 1.0. A check that fetched a locked URL would
fail (nothing listens there), one that resolved would install 2.0, one that ignored the
lock's markers would want lockwin (Windows only).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_offline_index import OfflineIndexError
from tests.support.locked import DEP, lock, publish_locked
from tests.support.upstream import LocalUpstream

LOCKED = {"lockapp": "1.0", "lockdep": "1.0"}


@pytest.mark.parametrize(("name", "installer"), [
    ("pylock.toml", "pip"), ("pylock.toml", "uv"), ("pylock.toml", "devpi"),
    ("uv-project/uv.lock", "pip")])
def test_a_lock_installs_exactly_the_locked_versions(
        fresh_upstream: LocalUpstream, make_scenario: Any, name: str, installer: str) -> None:
    publish_locked(fresh_upstream)
    scenario = make_scenario(fresh_upstream, requirements=str(lock(name)), installer=installer)

    scenario.run_all()

    label = scenario.targets[0].label
    assert scenario.report.installed[label] == LOCKED  # not lockdep 2.0, not lockwin
    assert scenario.report.locked[label] == ["lockapp==1.0", "lockdep==1.0"]
    install = scenario.record("install").detail
    assert f"2 of its 3 entries apply to {label}: lockapp==1.0, lockdep==1.0" in install
    assert Path(name).name in install
    assert [r.detail for r in scenario.report.imports[label]] == ["lockapp 1.0", "lockdep 1.0"]


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    """The kept pylock.toml with one piece of it changed."""
    path = tmp_path / "pylock.toml"
    text = lock("pylock.toml").read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return path


def test_a_locked_version_the_index_lacks_is_named_to_the_file(
        fresh_upstream: LocalUpstream, make_scenario: Any, tmp_path: Path) -> None:
    publish_locked(fresh_upstream)
    text = lock("pylock.toml").read_text()
    start = text.index('name = "lockdep"')
    end = text.index("[[packages]]", start)
    entry = text[start:end]
    path = _edited(tmp_path, entry, entry.replace('"1.0"', '"3.0"').replace("-1.0.", "-3.0."))
    scenario = make_scenario(fresh_upstream, requirements=str(path))

    with pytest.raises(OfflineIndexError) as failed:
        scenario.warm()

    assert "lockdep==3.0: no matching distribution" in str(failed.value)
    assert str(failed.value).endswith("pylock.toml locks lockdep 3.0 as lockdep-3.0.tar.gz")


def test_a_locked_hash_the_index_file_lacks_names_both(
        fresh_upstream: LocalUpstream, make_scenario: Any, tmp_path: Path) -> None:
    publish_locked(fresh_upstream)
    real = DEP.write(tmp_path / "real")
    import hashlib

    actual = hashlib.sha256(real.read_bytes()).hexdigest()
    path = _edited(tmp_path, actual, "0" * 64)
    scenario = make_scenario(fresh_upstream, requirements=str(path))

    with pytest.raises(OfflineIndexError) as failed:
        scenario.warm()

    assert (f"lockdep==1.0: the index's file lockdep-1.0.tar.gz has sha256:{actual}, "
            f"pylock.toml pins sha256:{'0' * 64}") in str(failed.value)


def test_a_lock_that_leaves_a_dependency_out_names_it(
        fresh_upstream: LocalUpstream, make_scenario: Any, tmp_path: Path) -> None:
    publish_locked(fresh_upstream)
    text = lock("pylock.toml").read_text()
    start = text.index('[[packages]]\nname = "lockdep"')
    end = text.index("[[packages]]", start + 1)
    path = _edited(tmp_path, text[start:end], "")
    scenario = make_scenario(fresh_upstream, requirements=str(path))

    with pytest.raises(OfflineIndexError) as failed:
        scenario.warm()

    assert ("lockdep>=1 (needed by lockapp==1.0) has no entry in pylock.toml"
            in str(failed.value))


def test_a_lock_through_the_plugin_reports_its_entries(
        fresh_upstream: LocalUpstream, pytester: pytest.Pytester) -> None:
    publish_locked(fresh_upstream)
    shutil.copy(lock("pylock.toml"), pytester.path / "pylock.toml")

    result = pytester.runpytest_subprocess(
        "--offline-index", "--offline-index-requirements", "pylock.toml",
        "--offline-index-report", "report.json", *fresh_upstream.args)

    result.assert_outcomes(passed=4)
    report = json.loads((pytester.path / "report.json").read_text())
    (check,) = report["checks"]
    (label,) = check["locked"]
    assert check["locked"][label] == {"lock": str(pytester.path / "pylock.toml"),
                                      "entries": ["lockapp==1.0", "lockdep==1.0"]}


def test_an_existing_index_serves_a_lock_exactly(
        fresh_upstream: LocalUpstream, make_scenario: Any) -> None:
    publish_locked(fresh_upstream)
    scenario = make_scenario(fresh_upstream, requirements=str(lock("pylock.toml")),
                             index_url=fresh_upstream.url)

    scenario.run_all()

    label = scenario.targets[0].label
    assert scenario.report.installed[label] == LOCKED  # lockdep 2.0 is there, not taken
    assert "2 of its 3 entries apply to" in scenario.record("install", None).detail
