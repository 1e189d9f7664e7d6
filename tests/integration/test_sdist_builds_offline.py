"""An sdist-only package builds offline when its build backend was warmed with it."""

from __future__ import annotations

import pytest

from pytest_offline_index.errors import OfflineInstallError
from pytest_offline_index.index.offline import OfflineIndex
from pytest_offline_index.index.warm import Warmer
from tests.support.dists import Dist, embedded_wheel


def warming(build_requirements: bool) -> type[OfflineIndex]:
    """An index whose warms skip pip's build isolation, as a user's --no-build-isolation
    warm would, so pip never fetches a backend itself; and with or without the harness's
    own warming of the sdists' build requirements."""
    class NoIsolation(Warmer):
        build_isolation = False

    NoIsolation.build_requirements = build_requirements

    class Index(OfflineIndex):
        warmer_class = NoIsolation

    return Index


def test_sdist_with_backend_only_on_the_upstream_builds_offline(upstream, make_scenario,
                                                                unique) -> None:
    upstream.publish_file(embedded_wheel("setuptools"))
    dist = Dist(unique("sdist-only"), "1.0", sdist=True)
    upstream.publish(dist)
    scenario = make_scenario(upstream, dist.name)
    warmed = scenario.warm()
    names = [f.name for f in warmed.files]
    assert dist.filename in names
    assert any(n.startswith("setuptools-") for n in names), names  # the backend, warmed
    label = scenario.targets[0].label
    assert scenario.report.build_requirements[label] == ("setuptools>=40.8",)
    scenario.cut()
    scenario.install()  # builds the sdist in a fresh venv from the cache alone
    (result,) = scenario.check_imports()
    assert result.ok, result.detail


def test_build_requirement_warming_is_what_fills_the_backend(upstream, make_scenario, unique,
                                                             ) -> None:
    """When pip does not fetch the backend itself while warming (a --no-build-isolation
    warm), the harness's own build-requirement warming is what makes the sdist build
    offline; without it the check fails naming the backend."""
    upstream.publish_file(embedded_wheel("setuptools"))
    for build_deps_warmed in (True, False):
        dist = Dist(unique("sdist-backend"), "1.0", sdist=True)
        upstream.publish(dist)
        scenario = make_scenario(upstream, dist.name, index_class=warming(build_deps_warmed))
        warmed = scenario.warm()
        scenario.cut()
        if build_deps_warmed:
            assert any(f.name.startswith("setuptools-") for f in warmed.files)
            scenario.install()
        else:
            assert not any(f.name.startswith("setuptools-") for f in warmed.files)
            with pytest.raises(OfflineInstallError) as excinfo:
                scenario.install()
            assert "missing from the cache: setuptools (no release of it is in the cache)" in (
                str(excinfo.value))
        scenario.close()
