"""An sdist-only package builds offline when its build backend was warmed with it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_offline_index.errors import OfflineInstallError
from pytest_offline_index.index.offline import OfflineIndex, _Running
from pytest_offline_index.index.warm import Warmer, WarmResult
from pytest_offline_index.inputs.targets import Target
from pytest_offline_index.netns import Endpoint
from tests.support.dists import Dist, embedded_wheel


class NoIsolation(Warmer):
    """The product's warm as a user's --no-build-isolation warm would run it: pip prepares
    an sdist's metadata with the warming venv's own setuptools (virtualenv's wheel, put in
    without an index: from 3.12 on it seeds none), so pip never fetches a backend itself."""

    def warm(self, target: Target, python: str, specs: Sequence[str], dest: Path,
             ) -> WarmResult:
        wheels = embedded_wheel("setuptools").parent
        done = self.run([python, "-m", "pip", "install", "--no-index", "--quiet",
                         "--find-links", str(wheels), "setuptools"])
        assert done.ok, done.tail(3)
        return super().warm(target, python, specs, dest)

    def _download(self, target: Target, python: str, specs: Sequence[str],
                  dest: Path) -> WarmResult:
        return super()._download(target, python, ["--no-build-isolation", *specs], dest)


class NoRounds(Warmer):
    """The product's warm without the harness's own rounds for the sdists' build
    requirements: one pip download."""

    def _everything(self, target: Target, python: str, specs: Sequence[str],
                    dest: Path) -> tuple[str, ...]:
        self._download(target, python, specs, dest)
        return ()


class Neither(NoIsolation, NoRounds):
    """Neither pip's build isolation nor the harness's rounds."""


def warming(warmer: type[Warmer]) -> type[OfflineIndex]:
    """An index whose warms are ``warmer``'s, made from the product's own."""
    class Index(OfflineIndex):
        def _compose(self, relay: tuple[str, int], endpoints: list[Endpoint]) -> _Running:
            running = super()._compose(relay, endpoints)
            made = running.warmer
            return dataclasses.replace(running, warmer=warmer(
                made.server, made.run, made.upstream, made.record, made.relay_failures,
                made.progress, alive=made.alive, issuer=made.issuer))

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
        scenario = make_scenario(upstream, dist.name, index_class=warming(
            NoIsolation if build_deps_warmed else Neither))
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


def test_build_isolation_alone_caches_the_backend_but_does_not_warm_it(
        upstream, make_scenario, unique) -> None:
    """Without the harness's rounds, pip's build isolation still fetches the backend through
    devpi while warming: the sdist builds offline from devpi's cache, yet the warm's files
    (what the run records and a bundle exports) lack it — that is what the rounds add."""
    upstream.publish_file(embedded_wheel("setuptools"))
    dist = Dist(unique("sdist-isolated"), "1.0", sdist=True)
    upstream.publish(dist)
    scenario = make_scenario(upstream, dist.name, index_class=warming(NoRounds))
    warmed = scenario.warm()
    assert not any(f.name.startswith("setuptools-") for f in warmed.files)
    assert isinstance(scenario.index, OfflineIndex)
    assert any(n.startswith("setuptools-") for n in scenario.index.cached_files("setuptools"))
    scenario.cut()
    scenario.install()
