"""--offline-index-cache-dir: devpi's server dir lasts between runs, one run at a time.

A second run with the same packages fetches nothing from the upstream (the relay counts
zero bytes) and passes the same cut and install check; two runs on one dir wait for each
other; a directory that is not a devpi server dir, or that another devpi-server version
wrote, is refused in one line and left untouched.
"""

from __future__ import annotations

import pytest

from pytest_offline_index.devpi.cachedir import devpi_state_version
from pytest_offline_index.errors import SettingsError
from tests.support.dists import Dist


def test_a_second_run_fetches_nothing_from_upstream(upstream, make_scenario, unique,
                                                    tmp_path) -> None:
    name, dep = unique("kept"), unique("keptdep")
    upstream.publish(Dist(name, "1.0", requires=[dep]), Dist(dep, "1.0"))
    cache = tmp_path / "cache"
    first = make_scenario(upstream, name, cache_dir=str(cache))
    first.run_all()
    first.close()
    assert first.record("warm").upstream.bytes > 0
    assert (cache / "devpi" / ".nodeinfo").is_file()
    kept = sorted(p.name for p in (cache / "devpi" / "+files").rglob("*.whl"))
    assert kept == sorted([Dist(name, "1.0").filename, Dist(dep, "1.0").filename])

    second = make_scenario(upstream, name, cache_dir=str(cache))
    second.run_all()  # warm, the same cut proof, install, import
    second.close()
    warm = second.record("warm")
    assert (warm.upstream.requests, warm.upstream.bytes) == (0, 0)
    assert "0 bytes from upstream through 0 new connections" in warm.detail
    assert {r.status for r in second.report.steps.values()} == {"passed"}


def test_two_runs_on_one_cache_dir_wait_for_each_other(upstream, unique, spawn_check,
                                                      tmp_path) -> None:
    name = unique("queued")
    upstream.publish(Dist(name, "1.0"))
    cache = tmp_path / "shared-cache"
    children = [spawn_check(*upstream.args, "--offline-index-package", name,
                            "--offline-index-cache-dir", str(cache)) for _ in range(2)]
    outputs = [child.communicate(timeout=300)[0].decode() for child in children]
    for child, out in zip(children, outputs, strict=True):
        assert child.returncode == 0, out
    waited = [out for out in outputs if f"cache dir {cache} is in use by pid " in out]
    assert len(waited) == 1, outputs


def test_a_directory_that_is_not_a_devpi_server_dir_is_refused(upstream, make_scenario,
                                                              unique, tmp_path) -> None:
    name = unique("foreigndir")
    upstream.publish(Dist(name, "1.0"))
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"not devpi")
    scenario = make_scenario(upstream, name, cache_dir=str(foreign))
    with pytest.raises(SettingsError) as excinfo:
        scenario.warm()
    assert str(excinfo.value) == (
        f"cache dir {foreign}: not one an earlier run made (it holds 'holiday.jpg' and 0 "
        f"more); give an empty directory or one --offline-index-cache-dir made")
    assert [p.name for p in foreign.iterdir()] == ["holiday.jpg"]


def test_a_dir_from_another_devpi_version_is_refused(upstream, make_scenario, unique,
                                                    tmp_path) -> None:
    name = unique("olddir")
    upstream.publish(Dist(name, "1.0"))
    old = tmp_path / "old"
    (old / "devpi").mkdir(parents=True)
    (old / "devpi" / ".nodeinfo").write_text('{"uuid": "0"}')
    (old / "devpi" / ".serverversion").write_text("2")
    scenario = make_scenario(upstream, name, cache_dir=str(old))
    with pytest.raises(SettingsError, match=(
            f"state version 2, this one uses {devpi_state_version()}")):
        scenario.warm()
    assert [p.name for p in old.iterdir()] == ["devpi"]
    assert sorted(p.name for p in (old / "devpi").iterdir()) == [".nodeinfo", ".serverversion"]


def test_what_a_kept_cache_lacks_is_fetched_then(upstream, make_scenario, unique,
                                                 tmp_path) -> None:
    old, new = unique("cachedold"), unique("cachednew")
    upstream.publish(Dist(old, "1.0"), Dist(new, "1.0"))
    cache = tmp_path / "cache"
    first = make_scenario(upstream, old, cache_dir=str(cache))
    first.warm()
    first.close()

    lines: list[str] = []
    second = make_scenario(upstream, old, new, cache_dir=str(cache))
    second.progress = second.index.progress = lines.append
    second.run_all()
    second.close()
    assert any("the cache dir lacks something" in line for line in lines), lines
    assert second.record("warm").upstream.bytes > 0
    assert {r.status for r in second.report.steps.values()} == {"passed"}
