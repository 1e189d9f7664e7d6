"""A foreign target is resolved with its own environment markers (uv's ``pip compile
--python-platform``), not the host's (pip's ``download --platform``, pip#12466): on this
x86_64 machine, a bundle for ``manylinux2014_aarch64:3.12`` holds the dependency behind
``platform_machine == "aarch64"`` and not the one behind ``"x86_64"``."""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_offline_index.errors import WarmError
from pytest_offline_index.execute.commands import run
from pytest_offline_index.execute.hermetic import hermetic_env, index_args
from pytest_offline_index.inputs.targets import Target, running_target
from tests.support.dists import Dist
from tests.support.upstream import LocalUpstream

FOREIGN = Target("3.12", None, "manylinux2014_aarch64")

pytestmark = pytest.mark.skipif(platform.machine() != "x86_64",
                                reason="shows the host's markers of an x86_64 machine")


def test_the_bundle_holds_the_targets_dependency_that_pips_way_misses(
        upstream: LocalUpstream, make_scenario: Any, unique: Any, tmp_path: Path) -> None:
    app, arm, x86 = unique("app"), unique("dep-arm"), unique("dep-x86")
    native = unique("native")  # a wheel for aarch64 only, beside one for x86_64
    upstream.publish(
        Dist(app, "1.0", requires=[f'{arm}; platform_machine == "aarch64"',
                                   f'{x86}; platform_machine == "x86_64"', native]),
        Dist(arm, "1.0"), Dist(x86, "1.0"),
        Dist(native, "1.0", tag="cp38-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64"),
        Dist(native, "1.0", tag="cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64"))
    export = tmp_path / "export"
    scenario = make_scenario(upstream, app, export=str(export),
                             targets=[running_target(), FOREIGN])

    # pip's way, through the same devpi from the same client: the host's markers
    scenario.index.start(prepare=scenario.targets)
    pips = tmp_path / "pips-way"
    done = run([sys.executable, "-m", "pip", "download",
                *index_args(scenario.index.simple_url), "-d", str(pips),
                "--platform", FOREIGN.platform, "--python-version", FOREIGN.version,
                "--only-binary=:all:", "--implementation", "cp", app],
               namespace=scenario.index.topology.client, env=hermetic_env())
    assert done.ok, done.output
    taken = sorted(p.name for p in pips.iterdir())
    assert Dist(x86, "1.0").filename in taken  # the host's dependency, not the target's
    assert Dist(arm, "1.0").filename not in taken

    scenario.run_all()

    pinned = (export / f"requirements-{FOREIGN.label}.txt").read_text()
    wheelhouse = {p.name for p in (export / "wheelhouse").iterdir()}
    assert f"{Dist(arm, '1.0').name}==1.0 --hash=sha256:" in pinned
    assert Dist(x86, "1.0").name not in pinned
    assert Dist(arm, "1.0").filename in wheelhouse
    # exactly the target's files: the aarch64 wheel, not the x86_64 one of the same release
    warmed = {f.name for f in scenario.report.warmed[FOREIGN.label].files}
    assert warmed == {Dist(app, "1.0").filename, Dist(arm, "1.0").filename,
                      Dist(native, "1.0",
                           tag="cp38-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64"
                           ).filename}
    # this machine's own target still takes its own
    here = (export / f"requirements-{running_target().label}.txt").read_text()
    assert Dist(x86, "1.0").name in here and Dist(arm, "1.0").name not in here


def test_a_release_with_no_wheel_for_the_target_is_one_line(
        upstream: LocalUpstream, make_scenario: Any, unique: Any) -> None:
    app, x86 = unique("app"), unique("x86only")
    upstream.publish(Dist(app, "1.0", requires=[x86]),
                     Dist(x86, "1.0", tag="cp312-cp312-manylinux_2_17_x86_64"))
    scenario = make_scenario(upstream, app, targets=[FOREIGN])
    scenario.index.start(prepare=scenario.targets)

    with pytest.raises(WarmError) as raised:
        scenario.index.warm([app], pythons=[FOREIGN])

    assert str(raised.value) == (
        f"{Dist(x86, '1.0').name} 1.0: no wheel for {FOREIGN.label} on {upstream.url} "
        f"(its wheels are for manylinux_2_17_x86_64)")
