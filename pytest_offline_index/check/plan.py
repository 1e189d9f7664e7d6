"""The check's plan and its record: every step in the order it must run, and what each
one did (status, time, detail, what crossed the gap meanwhile)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ..errors import OfflineIndexError
from ..findings import ImportResult
from ..index.warm import WarmResult
from ..inputs.targets import Target
from ..outcomes import NotInstallChecked, Outcome, StepNotRun
from ..proof.holes import Hole
from ..relay.records import RelayStats
from ..steps import Status, Step, step_key
from ..util.interrupts import interrupted_by


@dataclass
class StepRecord:
    name: str  # one of STEPS
    target: str | None = None  # the target's label; None for the cut
    status: Status = Status.NOT_RUN
    seconds: float = 0.0
    detail: str = ""  # for "not run": why (a prerequisite that did not pass)
    upstream: RelayStats | None = None  # what crossed the gap during the step

    @property
    def key(self) -> str:
        return step_key(self.name, self.target)


def plan_steps(targets: Sequence[Target], existing: bool = False, bundle: bool = False,
               ) -> list[tuple[str, Target | None]]:
    """Every step in the order it must run: warm all targets, cut, then check each (and,
    for an export, prove each target's bundle); for an existing index, prove the client
    isolated, then check each."""
    steps: list[tuple[str, Target | None]] = (
        [(Step.ISOLATION, None)] if existing else
        [*((Step.WARM, t) for t in targets), (Step.CUT, None)])
    for target in targets:
        steps += [(Step.INSTALL, target), (Step.IMPORT, target)]
    if bundle:
        steps += [(Step.BUNDLE, t) for t in targets]
    return steps


@dataclass
class ScenarioReport:
    steps: dict[str, StepRecord] = field(default_factory=dict)
    warmed: dict[str, WarmResult] = field(default_factory=dict)
    build_requirements: dict[str, tuple[str, ...]] = field(default_factory=dict)
    imports: dict[str, list[ImportResult]] = field(default_factory=dict)
    holes: dict[str, list[Hole]] = field(default_factory=dict)
    installed: dict[str, dict[str, str]] = field(default_factory=dict)  # what installs added
    locked: dict[str, list[str]] = field(default_factory=dict)  # a lock's pins, per target


def blocker(step: str, target: Target | None, record: Callable[[str, Target | None], StepRecord],
            targets: Sequence[Target], existing: bool) -> str | None:
    """Why ``step`` of ``target`` cannot run now (a step it needs did not pass, by its
    ``record``), or None."""
    if target is not None and target.foreign and step in (Step.INSTALL, Step.IMPORT):
        return None  # it runs, to be recorded "not checked"
    if step == Step.BUNDLE:  # after a passed check: a foreign target's, its warm
        before = (Step.WARM if target is not None and target.foreign else Step.IMPORT)
        prior = record(before, target)
        return None if prior.status == Status.PASSED else f"{prior.key} did not pass"
    if step == Step.CUT:
        warmed = [record(Step.WARM, t).status == Status.PASSED for t in targets]
        return None if any(warmed) else "no target was warmed"
    install_needs = ([(Step.ISOLATION, None)] if existing else
                     [(Step.WARM, target), (Step.CUT, None)])
    needs = {Step.INSTALL: install_needs, Step.IMPORT: [(Step.INSTALL, target)]}.get(
        Step(step), [])
    for name, of in needs:
        if (prior := record(name, of)).status != Status.PASSED:
            return f"{prior.key} did not pass"
    return None


@contextlib.contextmanager
def recorded(record: StepRecord, progress: Callable[[str], None],
             crossings: Callable[[], RelayStats]) -> Iterator[StepRecord]:
    """Run a step into its ``record``: its status (an outcome that is not an error is
    recorded as such), its time, what crossed the gap meanwhile; said on ``progress``."""
    started, crossed = time.monotonic(), crossings()
    title = f"{record.name} [{record.target}]" if record.target else record.name
    progress(f"{title} ...")
    try:
        yield record
    except BaseException as exc:
        by = interrupted_by(exc)
        record.status = (Status.NOT_CHECKED if isinstance(exc, NotInstallChecked)
                         else Status.NOT_RUN if isinstance(exc, StepNotRun)
                         else Status.INTERRUPTED if by else Status.FAILED)
        record.detail = by or (str(exc) if isinstance(exc, (OfflineIndexError, Outcome))
                               else repr(exc))
        raise
    else:
        record.status = Status.PASSED
    finally:
        record.seconds = time.monotonic() - started
        record.upstream = crossings() - crossed
        progress(f"{title}: {record.status} in {record.seconds:.1f}s"
                 + (f" ({record.detail})" if record.detail else ""))

