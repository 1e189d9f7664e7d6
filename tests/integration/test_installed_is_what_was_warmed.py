"""Installed == warmed: an install that quietly backtracked to an older cached release fails.

The warm resolves the newest release and its new dependency. Then the cache has an older
release too (someone fetched it through the same index), and the dependency is gone from the
index's page (deleted upstream; devpi re-reads the page, as it does when it expires). After
the cut pip finds no file for the dependency, backtracks to the older release and exits 0:
pip alone passes. The check does not: the install step names the project and both versions.
"""

from __future__ import annotations

import sys

import pytest

from pytest_offline_index.check.scenario import FAILED, NOT_RUN
from pytest_offline_index.errors import NotAsWarmedError
from pytest_offline_index.execute.commands import run
from pytest_offline_index.execute.hermetic import hermetic_env, index_args
from tests.support.devpi import refresh
from tests.support.dists import Dist, normalize


def test_a_quiet_backtrack_to_an_older_cached_release_fails_the_install(
        fresh_upstream, make_scenario, unique) -> None:
    upstream = fresh_upstream  # its own: a release is deleted from it below
    app, newdep = unique("app"), unique("newdep")
    old, new, dep = Dist(app, "1.0"), Dist(app, "2.0", requires=[newdep]), Dist(newdep, "1.0")
    upstream.publish(old, new, dep)
    scenario = make_scenario(upstream, app)
    warmed = scenario.warm()
    assert sorted(f.name for f in warmed.files) == sorted([new.filename, dep.filename])

    index = scenario.index
    # The older release is cached too: fetched through the same index, not by this warm.
    fetched = run([sys.executable, "-m", "pip", "download", "--no-deps",
                   *index_args(index.simple_url), "-d", str(scenario.workdir / "elsewhere"),
                   f"{app}==1.0"], namespace=index.topology.client,
                  env=hermetic_env())
    assert fetched.ok, fetched.output
    # The new dependency's release is deleted upstream (its page lists no file now), and
    # devpi re-reads the page before the cut.
    (upstream.files_dir / dep.filename).unlink()
    upstream.write_index()
    page = upstream.root / "simple" / normalize(newdep) / "index.html"
    page.write_text("<!DOCTYPE html><html><body></body></html>\n")
    refresh(index.server, newdep)
    scenario.cut()

    label = scenario.targets[0].label
    with pytest.raises(NotAsWarmedError) as excinfo:
        scenario.install()
    line = (f"{label}: installed is not what the warm resolved: "
            f"{normalize(app)}: warmed 2.0, installed 1.0")
    assert str(excinfo.value) == line
    record = scenario.record("install")
    assert (record.status, record.detail) == (FAILED, line)
    assert scenario.record("import").status == NOT_RUN
    # What the failed install step added: the older release alone, which pip installed.
    assert scenario.report.installed[label] == {normalize(app): "1.0"}

    # A fresh venv of the fixture's gets the same promise: its install fails alike...
    venv = index.fresh_venv()
    with pytest.raises(NotAsWarmedError, match=rf"{normalize(app)}: warmed 2\.0, installed 1\.0"):
        venv.install(app)
    # ...while pip alone passes: it exited 0, with 1.0 in the venv.
    shown = venv.run(f"import {old.module}; print({old.module}.__version__)")
    assert (shown.ok, shown.output.strip()) == (True, "1.0"), shown.output
