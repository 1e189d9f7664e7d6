"""A cache with a hole fails the check, and the failure names the missing file or project."""

from __future__ import annotations

import sys

import pytest

from pytest_offline_index.errors import OfflineInstallError
from pytest_offline_index.execute.commands import run
from pytest_offline_index.execute.hermetic import hermetic_env, index_args
from tests.support.devpi import refresh
from tests.support.dists import Dist


def test_release_listed_after_warming_but_never_fetched_is_named(upstream, make_scenario,
                                                                 unique) -> None:
    app = unique("app")
    upstream.publish(Dist(app, "1.0"))
    scenario = make_scenario(upstream, app)
    scenario.warm()
    # Upstream publishes 1.1; devpi re-reads the project page (as it does when its cache of
    # the page expires) but nobody downloads the new file before the network goes.
    new = Dist(app, "1.1")
    upstream.publish(new)
    refresh(scenario.index.server, app)
    scenario.cut()

    with pytest.raises(OfflineInstallError) as excinfo:
        scenario.install()
    message = str(excinfo.value)
    assert f"missing from the cache: {app} 1.1 ({new.filename})" in message
    assert [h.filename for h in excinfo.value.holes] == [new.filename]


def test_dependency_added_after_warming_is_named(upstream, make_scenario, unique) -> None:
    app, newdep = unique("app"), unique("newdep")
    upstream.publish(Dist(app, "1.0"))
    scenario = make_scenario(upstream, app)
    scenario.warm()
    # 1.1 adds a dependency; someone fetched just the new app file through the cache.
    upstream.publish(Dist(app, "1.1", requires=[newdep]), Dist(newdep, "1.0"))
    refresh(scenario.index.server, app)
    fetched = run([sys.executable, "-m", "pip", "download", "--no-deps",
                   *index_args(scenario.index.server.simple_url), "-d", str(scenario.workdir / "x"),
                   f"{app}==1.1"], namespace=scenario.index.topology.client,
                  env=hermetic_env())
    assert fetched.ok, fetched.output
    scenario.cut()
    # Plain "app" would backtrack to the cached 1.0; the project now pins the new release.
    venv = scenario.index.fresh_venv()
    with pytest.raises(OfflineInstallError) as excinfo:
        venv.install(f"{app}==1.1")
    assert f"missing from the cache: {newdep} (no release of it is in the cache)" in str(
        excinfo.value)
