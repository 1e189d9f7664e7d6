"""An export is proven, not assumed: the bundle item installs it from its wheelhouse alone,
in a network namespace of its own, and imports what the check imported."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_offline_index import BundleError
from pytest_offline_index.execute.commands import run
from pytest_offline_index.inputs.targets import Target, running_target
from pytest_offline_index.netns import without_network
from pytest_offline_index.steps import Status
from pytest_offline_index.util.files import sha256_of
from tests.support.backends import in_tree_sdist, templates_written_into, writes_into_pip
from tests.support.dists import Dist
from tests.support.locked import lock, publish_locked
from tests.support.upstream import LocalUpstream

CONNECT = """\
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5).close()
except OSError as exc:
    sys.exit(f"unreachable: {exc.strerror}")
print("reached")
"""


def test_an_export_of_a_lock_installs_alone_and_names_a_file_taken_out(
        fresh_upstream: LocalUpstream, make_scenario: Any, tmp_path: Path) -> None:
    publish_locked(fresh_upstream)
    export = tmp_path / "export"
    scenario = make_scenario(fresh_upstream, requirements=str(lock("pylock.toml")),
                             export=str(export))

    scenario.run_all()

    label = scenario.targets[0].label
    assert scenario.record("bundle").status == Status.PASSED
    assert "in a network namespace of its own" in scenario.record("bundle").detail
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["complete"] is True
    wheelhouse = sorted(p.name for p in (export / "wheelhouse").iterdir())
    assert wheelhouse == sorted(f["name"] for f in manifest["files"])
    assert "lockdep-1.0.tar.gz" in wheelhouse  # the sdist, and what builds it:
    assert any(name.startswith("setuptools-") for name in wheelhouse)
    for entry in manifest["files"]:
        assert sha256_of(export / "wheelhouse" / entry["name"]) == entry["sha256"]
    pins = [line.split()[0] for line in
            (export / f"requirements-{label}.txt").read_text().splitlines()
            if not line.startswith("#")]
    assert pins == ["lockapp==1.0", "lockdep==1.0"]  # what was installed, exactly

    assert f"from {export / 'devpi'} imported into a fresh devpi-server --offline-mode" in (
        scenario.record("bundle").detail)
    assert manifest["devpi"]["index"] == scenario.index.server.index_name

    (gone,) = (export / "devpi").glob("root/pypi/lockdep/1.0/lockdep-1.0.tar.gz")
    gone.unlink()
    with pytest.raises(BundleError) as failed:
        scenario.bundle()

    assert "imported into a fresh devpi-server, offline, does not serve" in str(failed.value)
    assert str(failed.value).endswith("lockdep-1.0.tar.gz is missing.")

    (export / "wheelhouse" / "lockdep-1.0.tar.gz").unlink()
    with pytest.raises(BundleError) as failed:
        scenario.bundle()

    assert str(failed.value).endswith("missing from the wheelhouse: lockdep-1.0.tar.gz")
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert manifest["targets"][label]["status"] == "failed"


def test_the_bundle_runs_with_no_network_at_all(
        upstream: LocalUpstream, make_scenario: Any, unique: Any) -> None:
    app = unique("app")
    upstream.publish(Dist(app, "1.0"))
    scenario = make_scenario(upstream, app)
    scenario.warm()
    client = scenario.index.topology.client
    url = urlsplit(scenario.index.simple_url)
    probe = [sys.executable, "-c", CONNECT, str(url.hostname), str(url.port)]

    on_the_client = run(probe, namespace=client)
    alone = run(without_network(probe), namespace=client)

    assert on_the_client.output.strip() == "reached", on_the_client.output  # devpi, there
    assert not alone.ok
    assert "unreachable: Network is unreachable" in alone.output


def test_a_foreign_target_is_bundled_never_passed(
        upstream: LocalUpstream, make_scenario: Any, unique: Any, tmp_path: Path) -> None:
    app, dep = unique("app"), unique("dep")
    upstream.publish(Dist(app, "1.0", requires=[dep]), Dist(dep, "1.0"))
    export = tmp_path / "export"
    foreign = Target("3.12", None, "manylinux2014_aarch64")
    here = running_target()
    scenario = make_scenario(upstream, app, export=str(export), targets=[here, foreign])

    scenario.run_all()

    record = scenario.record("bundle", foreign)
    assert record.status == Status.NOT_CHECKED
    assert "bundled, not install-checked" in record.detail
    assert scenario.record("bundle", here).status == Status.PASSED
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["targets"][foreign.label]["status"] == "bundled, not install-checked"
    pinned = (export / f"requirements-{foreign.label}.txt").read_text()
    assert f"{Dist(app, '1.0').name}==1.0 --hash=sha256:" in pinned
    assert f"{Dist(dep, '1.0').name}==1.0 --hash=sha256:" in pinned


def test_an_export_through_the_plugin_is_one_item_per_target(
        upstream: LocalUpstream, pytester: pytest.Pytester, unique: Any) -> None:
    app = unique("app")
    upstream.publish(Dist(app, "1.0"))
    (pytester.path / "export").mkdir()
    (pytester.path / "export" / "notes.txt").write_text("mine")

    refused = pytester.runpytest_subprocess(
        "--offline-index", "--offline-index-package", app, *upstream.args,
        "--offline-index-export", "export")

    assert refused.ret != 0
    refused.stderr.fnmatch_lines(["*export: 'export' is not empty and not an earlier export*"])
    assert (pytester.path / "export" / "notes.txt").read_text() == "mine"

    shutil.rmtree(pytester.path / "export")
    for _ in range(2):  # the second run replaces the first's export
        result = pytester.runpytest_subprocess(
            "--offline-index", "--offline-index-package", app, *upstream.args,
            "--offline-index-export", "export", "-v")
        result.assert_outcomes(passed=5)
        result.stdout.fnmatch_lines(["*offline-index?py3.*?::bundle PASSED*"])
    assert json.loads((pytester.path / "export" / "manifest.json").read_text())["complete"]


def test_a_bundle_whose_build_writes_into_the_seed_fails_where_it_lands_and_is_proven(
        upstream: LocalUpstream, make_scenario: Any, unique: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # a template of its own
    armed, export = tmp_path / "armed", tmp_path / "export"
    name = unique("writes-into-pip-later")
    # its build writes into its pip once armed, after the bundle was made and proven: where
    # it lands, and a proof made again, build it anew in a venv that shares its seed
    upstream.publish(in_tree_sdist(name, writes_into_pip(armed=str(armed))))
    scenario = make_scenario(upstream, name, export=str(export))
    scenario.run_all()
    assert json.loads((export / "manifest.json").read_text())["complete"] is True
    armed.touch()
    label = scenario.targets[0].label
    said = (rf"installing requirements-{label}\.txt from {re.escape(str(export))}/wheelhouse "
            r"alone: 1 file of the venv's seed written into in place \(lib/python3\.\d+/"
            r"site-packages/pip/__init__\.py\): the run's other venvs")

    (far := tmp_path / "far-side").mkdir()
    landed = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA",
                             f"--offline-index-bundle={export}"], cwd=far,
                            capture_output=True, text=True, timeout=600)
    out = landed.stdout + landed.stderr
    assert landed.returncode == pytest.ExitCode.TESTS_FAILED, out
    assert re.search(rf"^offline-index-bundle \[{label}\] install: {said}", out, re.M), out

    with pytest.raises(BundleError) as failed:
        scenario.bundle()
    assert re.match(rf"{label}: {said}", str(failed.value)), str(failed.value)
    # and no later venv is made from what was written into
    assert templates_written_into(tmp_path / "cache") == []
