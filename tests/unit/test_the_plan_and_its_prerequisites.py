"""The one sequence of the check and what each step needs, against a fake index (no root,
milliseconds): the plan's order, every prerequisite rule, and the install-time promises the
scenario keeps (the cut holds, installed == warmed, a foreign target is never passed)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from pytest_offline_index.check.plan import plan_steps
from pytest_offline_index.check.pool import CheckPool
from pytest_offline_index.check.protocol import CheckableIndex
from pytest_offline_index.check.scenario import AirgapScenario
from pytest_offline_index.client.installers import Installer
from pytest_offline_index.client.venv import ImportResult
from pytest_offline_index.errors import (
    CutNotEffectiveError,
    NotAsWarmedError,
    OfflineInstallError,
    WarmError,
)
from pytest_offline_index.index.warm import WarmResult
from pytest_offline_index.inputs.settings import Settings
from pytest_offline_index.inputs.targets import Target
from pytest_offline_index.outcomes import StepNotRun
from pytest_offline_index.proof.holes import Hole
from pytest_offline_index.relay.records import RelayStats
from pytest_offline_index.steps import Status, Step

T = TypeVar("T")
PY311, PY312 = Target("3.11", "/usr/bin/python3.11"), Target("3.12", "/usr/bin/python3.12")
ARM = Target("3.12", None, "manylinux2014_aarch64")


@dataclass
class FakeVenv:
    """Installs in memory, as its index steers it."""

    index: FakeIndex
    target: Target
    added: dict[str, str] = field(default_factory=dict)
    installer: str = "pip"
    way: Installer = field(default_factory=Installer)

    def install(self, *requirements: str, requirements_file: Path | str | None = None,
                on_line: object = None,
                warmed: Mapping[str, Sequence[str]] | None = None) -> float:
        index, label = self.index, self.target.label
        index.calls.append(f"install {label}")
        index.warmed_given[label] = dict(warmed or {})
        if label in index.fail_install:
            raise OfflineInstallError("app: missing",
                                      holes=[Hole("app", "1.0", "app-1.0-py3-none-any.whl")])
        if index.installs != {"app": "1.0"}:  # as FreshVenv.install judges it
            raise NotAsWarmedError("app: warmed 1.0, installed 0.9",
                                   installed=index.installs)
        self.added = dict(index.installs)
        return 0.1

    def check_imports(self, *modules: str, distributions: Sequence[str] = (),
                      every: bool = True) -> list[ImportResult]:
        return [ImportResult(m, True, f"{m} 1.0") for m in modules or ["app"]]


@dataclass
class FakeIndex:
    """Warms, cuts and installs in memory; ``fail``/``installs``/``crossing`` steer it."""

    workdir: Path = Path("/nonexistent")
    fail_warm: set[str] = field(default_factory=set)  # target labels
    fail_install: set[str] = field(default_factory=set)
    installs: dict[str, str] = field(default_factory=lambda: {"app": "1.0"})
    warmed_given: dict[str, dict[str, Sequence[str]]] = field(default_factory=dict)
    started: bool = False
    cut_state: bool = False
    calls: list[str] = field(default_factory=list)
    stats: RelayStats = field(default_factory=RelayStats)

    def progress(self, line: str) -> None:
        pass

    @property
    def is_cut(self) -> bool:
        return self.cut_state

    @property
    def is_started(self) -> bool:
        return self.started

    def start(self, prepare: Sequence[Target] = ()) -> FakeIndex:
        self.started = True
        return self

    def restore(self) -> None:
        self.cut_state = False

    def warm(self, requirements: Sequence[str] = (), *,
             requirements_file: Path | str | None = None,
             pythons: Sequence[str | Target] | None = None) -> dict[str, WarmResult]:
        (target,) = pythons or ()
        assert isinstance(target, Target)
        self.calls.append(f"warm {target.label}")
        if target.label in self.fail_warm:
            raise WarmError(f"{target.label}: no such project")
        self.stats = RelayStats(self.stats.requests + 1, 10, 1000)
        return {target.label: WarmResult("python", (Path("app-1.0-py3-none-any.whl"),), 0.1)}

    def cut(self) -> str:
        self.calls.append("cut")
        self.cut_state = True
        return "cut and proven"

    def verify_cut(self) -> None:
        if not self.cut_state:
            raise CutNotEffectiveError("the cut did not take effect")

    def fresh_venv(self, python: str | Target | None = None) -> FakeVenv:
        assert isinstance(python, Target)
        return FakeVenv(self, python)

    def upstream_stats(self) -> RelayStats:
        return self.stats

    def stop_commands(self) -> None:
        pass

    def close(self) -> None:
        pass


class InlinePool(CheckPool):
    """Runs each check at once, on this thread: the order stays readable."""

    def submit(self, work: Callable[[], T]) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        future.set_result(work())
        return future


def scenario(index: FakeIndex, *targets: Target) -> AirgapScenario:
    checked: CheckableIndex = index  # the fake keeps the protocol (mypy checks this line)
    return AirgapScenario(Settings(packages=("app",)), targets=list(targets) or [PY311],
                          index=checked, pool=InlinePool())


def statuses(check: AirgapScenario) -> dict[str, str]:
    return {key: str(record.status) for key, record in check.report.steps.items()}


def test_the_plan_warms_every_target_then_cuts_once_then_checks_each() -> None:
    assert [(str(step), t.label if t else None) for step, t in plan_steps([PY311, PY312])] == [
        ("warm", "py3.11"), ("warm", "py3.12"), ("cut", None),
        ("install", "py3.11"), ("import", "py3.11"), ("install", "py3.12"),
        ("import", "py3.12")]


def test_a_whole_run_passes_every_step_in_order() -> None:
    index = FakeIndex()
    check = scenario(index, PY311, PY312)
    check.run_all()
    assert set(statuses(check).values()) == {"passed"}
    assert index.calls[:3] == ["warm py3.11", "warm py3.12", "cut"]
    assert sorted(index.calls[3:]) == ["install py3.11", "install py3.12"]


def test_the_cut_needs_one_warmed_target_and_runs_if_any_was() -> None:
    check = scenario(FakeIndex(fail_warm={"py3.11", "py3.12"}), PY311, PY312)
    with pytest.raises(WarmError):
        check.run_all()
    assert check.blocker(Step.CUT, None) == "no target was warmed"
    assert statuses(check)["cut"] == "not run"

    partly = scenario(FakeIndex(fail_warm={"py3.12"}), PY311, PY312)
    with pytest.raises(WarmError):
        partly.run_all()
    assert statuses(partly) == {
        "py3.11::warm": "passed", "py3.12::warm": "failed", "cut": "passed",
        "py3.11::install": "passed", "py3.11::import": "passed",
        "py3.12::install": "not run", "py3.12::import": "not run"}
    assert partly.record(Step.INSTALL, PY312).detail == "py3.12::warm did not pass"


def test_an_install_needs_its_warm_and_the_cut_and_an_import_its_install() -> None:
    check = scenario(FakeIndex(), PY311)
    assert check.blocker(Step.INSTALL, PY311) == "py3.11::warm did not pass"
    check.run(Step.WARM, PY311)
    assert check.blocker(Step.INSTALL, PY311) == "cut did not pass"
    assert check.blocker(Step.IMPORT, PY311) == "py3.11::install did not pass"
    with pytest.raises(StepNotRun, match=r"not run: py3\.11::install did not pass"):
        check.run(Step.IMPORT, PY311)
    check.run(Step.CUT)
    check.run(Step.INSTALL, PY311)
    assert check.blocker(Step.IMPORT, PY311) is None


def test_a_failed_install_blocks_its_import_and_keeps_its_holes() -> None:
    check = scenario(FakeIndex(fail_install={"py3.11"}), PY311)
    with pytest.raises(OfflineInstallError):
        check.run_all()
    assert statuses(check)["py3.11::import"] == "not run"
    assert [h.filename for h in check.report.holes["py3.11"]] == ["app-1.0-py3-none-any.whl"]


def test_the_index_is_left_cut_even_when_every_warm_failed() -> None:
    index = FakeIndex(fail_warm={"py3.11"})
    index.started = True
    with pytest.raises(WarmError):
        scenario(index, PY311).run_all()
    assert index.is_cut  # nobody sharing it installs with the route restored


def test_each_install_is_judged_against_its_own_check_s_warm() -> None:
    index = FakeIndex()
    scenario(index, PY311).run_all()
    assert index.warmed_given == {"py3.11": {"app": ("1.0",)}}


def test_an_install_of_other_versions_than_warmed_fails_and_is_recorded() -> None:
    check = scenario(FakeIndex(installs={"app": "0.9"}), PY311)
    with pytest.raises(NotAsWarmedError, match=r"app: warmed 1\.0, installed 0\.9"):
        check.run_all()
    assert check.report.installed["py3.11"] == {"app": "0.9"}
    assert statuses(check)["py3.11::install"] == "failed"


def test_a_foreign_target_is_warmed_and_reported_not_checked_never_passed() -> None:
    index = FakeIndex()
    check = scenario(index, PY311, ARM)
    check.run_all()
    assert statuses(check)[f"{ARM.label}::install"] == "not checked"
    assert statuses(check)[f"{ARM.label}::import"] == "not checked"
    assert f"install {ARM.label}" not in index.calls


def test_an_install_on_an_uncut_index_is_refused() -> None:
    index = FakeIndex()
    check = scenario(index, PY311)
    check.run(Step.WARM, PY311)
    check.record(Step.CUT).status = Status.PASSED  # as if another check had cut it...
    with pytest.raises(CutNotEffectiveError, match="the network was not cut"):
        check.run(Step.INSTALL, PY311)  # ...but the route is back
