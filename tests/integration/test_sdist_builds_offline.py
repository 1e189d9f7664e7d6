"""An sdist-only package builds offline when its build backend was warmed with it."""

from __future__ import annotations

from tests.support.dists import Dist, embedded_wheel


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
