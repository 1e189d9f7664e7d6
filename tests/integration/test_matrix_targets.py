"""The matrix: a wheel for *this* Python is what goes missing; warm every target."""

from __future__ import annotations

import json
import sysconfig

import pytest

from pytest_offline_index.errors import OfflineInstallError
from pytest_offline_index.inputs.targets import find_python
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


def test_items_install_side_by_side_only_what_is_selected(pytester, upstream, unique,
                                                          py311, py312) -> None:
    """``--offline-index`` with two Pythons: both installs pass, each target's lines come
    with its own item; a deselected target's install is not started behind the user's back
    (its record stays "not run")."""
    name = unique("binary")
    upstream.publish(*binary_release(name))
    args = ["-p", "no:cacheprovider", "--offline-index", *upstream.args,
            "--offline-index-package", name, "--offline-index-python", py311.executable,
            "--offline-index-python", py312.executable, "-v"]
    both = pytester.runpytest_subprocess(*args)
    both.assert_outcomes(passed=7)  # two warms, the cut, two installs, two imports
    lines = both.stdout.lines

    def first(text: str) -> int:
        return next(i for i, line in enumerate(lines) if text in line)

    # py3.12's install ran beside py3.11's, but its lines are shown by its own item: after
    # py3.11's import item, never from a worker thread in the middle of other items
    assert first("offline-index[py3.11]::import PASSED") < first("install [py3.12] ..."), (
        "\n".join(lines))
    assert first("install [py3.12]: passed in") < first("offline-index[py3.12]::import")

    one = pytester.runpytest_subprocess(
        *args, "--deselect", "offline-index[py3.12]::install",
        "--offline-index-report", "report.json")
    one.assert_outcomes(passed=5, skipped=1)  # py3.12's import: its install did not run
    assert not any("install [py3.12]" in line for line in one.stdout.lines)
    (report,) = json.loads((pytester.path / "report.json").read_text())["checks"]
    steps = {(s["target"], s["name"]): s for s in report["steps"]}
    assert steps[("py3.11", "install")]["status"] == "passed"
    skipped = steps[("py3.12", "install")]
    # never started, not started and then stopped as the session ended
    assert skipped["status"] == "not run" and "stopped" not in skipped["detail"], skipped
