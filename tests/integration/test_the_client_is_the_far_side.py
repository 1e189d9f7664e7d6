"""The install check's venv is the far side's: what the target Python's own ``python -m venv``
gives (its ensurepip seed), nothing of the harness's. A requirement only the harness's seed
would satisfy (virtualenv's pip 26 and setuptools 8x) must come from the index under test,
and a requested distribution the seed already holds must still be served by the index.

Each index here is a private static one on the host's loopback holding neither pip nor
setuptools (unless the test publishes them), checked as an existing index."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_offline_index.errors import OfflineInstallError, SeedWrittenError
from pytest_offline_index.inputs.targets import find_python
from pytest_offline_index.proof.as_warmed import distributions_in
from tests.support.backends import in_tree_sdist, templates_written_into, writes_into_pip
from tests.support.dists import Dist, embedded_wheel

PYTHONS = ["3.11", "3.12"]


def ensurepip_seed(python: str) -> dict[str, str]:
    """What ``python -m venv`` seeds, by name, read from the target's own ensurepip."""
    found = subprocess.run(
        [python, "-c", "import ensurepip, pathlib; print(*sorted(p.name for p in pathlib.Path("
                       "ensurepip.__file__).parent.glob('_bundled/*.whl')))"],
        check=True, capture_output=True, text=True).stdout.split()
    return {name.split("-")[0]: name.split("-")[1] for name in found}


@pytest.mark.parametrize("version", PYTHONS)
def test_the_check_venv_holds_the_targets_ensurepip_seed_and_nothing_else(
        fresh_upstream, make_scenario, unique, version: str) -> None:
    target = find_python(version)
    assert target.executable is not None
    scenario = make_scenario(fresh_upstream, unique("seed"), index_url=fresh_upstream.url,
                             targets=[target])
    scenario.isolation()  # starts the existing index's check
    venv = scenario.index.fresh_venv(target)
    assert distributions_in(venv.path) == ensurepip_seed(target.executable)
    # a copy of the template, moved: its scripts name its own path
    assert str(venv.path) in (venv.path / "bin" / "activate").read_text()


@pytest.mark.parametrize("version", PYTHONS)
@pytest.mark.parametrize("requested", ["setuptools", "pip", "needs-new-setuptools"])
def test_what_only_the_harness_s_seed_holds_is_a_hole(
        fresh_upstream, make_scenario, unique, version: str, requested: str) -> None:
    if requested == "needs-new-setuptools":
        requested = unique("needs-new-setuptools")
        fresh_upstream.publish(Dist(requested, "1.0", requires=["setuptools>=70"]))
    else:
        fresh_upstream.write_index()  # an index with nothing: no pip, no setuptools
    scenario = make_scenario(fresh_upstream, requested, index_url=fresh_upstream.url,
                             targets=[find_python(version)])
    scenario.isolation()
    with pytest.raises(OfflineInstallError) as caught:
        scenario.install()
    message = str(caught.value)
    assert "not installable from the index alone" in message, message
    assert ("setuptools" if requested != "pip" else "pip") in message.split("alone:")[1]


@pytest.mark.parametrize("version", PYTHONS)
def test_a_requested_seed_distribution_the_index_serves_is_installed_from_it(
        fresh_upstream, make_scenario, unique, version: str) -> None:
    wheel = fresh_upstream.publish_file(embedded_wheel("setuptools"))
    newest = wheel.name.split("-")[1]
    scenario = make_scenario(fresh_upstream, "setuptools", index_url=fresh_upstream.url,
                             targets=[find_python(version)])
    scenario.run_all()
    label = scenario.targets[0].label
    assert scenario.report.installed[label] == {"setuptools": newest}


def test_a_bundle_needing_new_setuptools_pins_it_and_installs_in_stock_venvs(
        fresh_upstream, make_scenario, unique, tmp_path: Path) -> None:
    fresh_upstream.publish_file(embedded_wheel("setuptools"))
    app = Dist(unique("wants-setuptools"), "1.0", requires=["setuptools>=70"])
    fresh_upstream.publish(app)
    targets = [find_python(v) for v in PYTHONS]
    export = tmp_path / "bundle"
    scenario = make_scenario(fresh_upstream, app.name, targets=targets, export=str(export))
    scenario.run_all()
    failed = {k: r.detail for k, r in scenario.report.steps.items()
              if str(r.status) != "passed"}
    assert failed == {}, failed
    for target in targets:
        pins = (export / f"requirements-{target.label}.txt").read_text()
        assert "setuptools==" in pins and f"{app.name}==1.0" in pins, pins
        # the documented far-side command, in a stock venv of that Python
        stock = tmp_path / f"stock-{target.label}"
        assert target.executable is not None
        subprocess.run([target.executable, "-m", "venv", str(stock)], check=True)
        done = subprocess.run(
            [str(stock / "bin" / "python"), "-m", "pip", "install", "--no-index",
             "--find-links", str(export / "wheelhouse"), "--require-hashes", "-r",
             str(export / f"requirements-{target.label}.txt")],
            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin",
                                                 "PIP_CONFIG_FILE": "/dev/null"})
        assert done.returncode == 0, done.stdout + done.stderr



def test_an_install_that_writes_into_the_venv_s_seed_fails_the_check(
        fresh_upstream, make_scenario, unique, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # a template of its own
    name = unique("writes-into-pip")
    fresh_upstream.publish(in_tree_sdist(name, writes_into_pip()))
    scenario = make_scenario(fresh_upstream, name, index_url=fresh_upstream.url,
                             targets=[find_python("3.11")])
    scenario.isolation()
    with pytest.raises(SeedWrittenError, match=r"^py3\.11: 1 file of the venv's seed "
                       r"written into in place \(lib/python3\.11/site-packages/pip/"
                       r"__init__\.py\): the run's other venvs of this Python share them"):
        scenario.install()
    # and no later venv is made from what was written into: a template left is a new one
    assert templates_written_into(tmp_path / "cache") == []
