"""The matrix: a wheel for *this* Python is what goes missing; warm every target."""

from __future__ import annotations

import sysconfig

import pytest

from pytest_offline_index.errors import OfflineInstallError
from pytest_offline_index.targets import find_python
from tests.support.dists import Dist

PLATFORM = sysconfig.get_platform().replace("-", "_").replace(".", "_")


@pytest.fixture(scope="module")
def py311():
    return find_python("3.11")


@pytest.fixture(scope="module")
def py312():
    return find_python("3.12")


def binary_release(name: str) -> list[Dist]:
    """One release with only CPython-specific wheels, for 3.11 and 3.12 (no sdist)."""
    return [Dist(name, "1.0", tag=f"cp{v}-cp{v}-{PLATFORM}") for v in ("311", "312")]


def test_warmed_for_311_and_checked_for_312_names_the_cp312_file(
        upstream, make_scenario, unique, py311, py312) -> None:
    name = unique("binary")
    wheels = binary_release(name)
    upstream.publish(*wheels)
    scenario = make_scenario(upstream, name, targets=[py311, py312])
    scenario.warm(py311)  # and never for 3.12
    assert [f.name for f in scenario.report.warmed["py3.11"].files] == [wheels[0].filename]
    scenario.cut()

    with pytest.raises(OfflineInstallError) as excinfo:
        scenario.install(py312)
    message = str(excinfo.value)
    assert message.startswith("py3.12: ")
    assert f"missing from the cache: {name} 1.0 ({wheels[1].filename})" in message


def test_warmed_for_both_passes_for_both(upstream, make_scenario, unique, py311,
                                         py312) -> None:
    name = unique("binary")
    upstream.publish(*binary_release(name))
    scenario = make_scenario(upstream, name, targets=[py311, py312])
    for target in scenario.targets:
        scenario.warm(target)
    scenario.cut()
    for target in scenario.targets:
        scenario.install(target)
        (result,) = scenario.check_imports(target)
        assert result.ok, result.detail
    assert {r.status for r in scenario.report.steps.values()} == {"passed"}
