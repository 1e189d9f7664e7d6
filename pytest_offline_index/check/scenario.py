"""The one sequence of the check: warm every target, cut, then install and import each.

``AirgapScenario`` is the only place that knows the steps, their order and what each needs.
It runs them on an :class:`OfflineIndex` — its own, or one it is given (the session's shared
index) — and records every planned step's outcome, time, detail and the traffic that
crossed the gap. The pytest items, the marker and scripts all drive it.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..bundle.export import Bundle
from ..bundle.proof import BundleProof, BundleVenv
from ..client.installers import Installer
from ..errors import (
    BundleError,
    CutNotEffectiveError,
    ImportCheckError,
    NotAsWarmedError,
    OfflineIndexError,
    OfflineInstallError,
)
from ..findings import ImportResult
from ..index.existing import ExistingIndex
from ..index.offline import OfflineIndex
from ..index.warm import WarmResult, warm_specs
from ..inputs.lock_per_target import LockedTargets
from ..inputs.lockfile import is_lock
from ..inputs.settings import Settings, redacted
from ..inputs.targets import Target, find_python, running_target
from ..outcomes import NotInstallChecked, Outcome, StepNotRun
from ..proof.as_warmed import warmed_versions
from ..proof.holes import Hole
from ..relay.records import RelayStats
from ..steps import Status, Step, step_key
from .pool import CheckPool, Progress, held_progress, holdable

PASSED, FAILED, NOT_RUN, NOT_CHECKED = (Status.PASSED, Status.FAILED, Status.NOT_RUN,
                                        Status.NOT_CHECKED)
STEPS = tuple(Step)
# what an install on a worker thread hands back: its progress lines, and its venv or error
Held = tuple[list[tuple[Progress, str]], "InstalledVenv | Exception"]
# warms a check made and proved, by what makes two warms the same: for checks sharing an index
Warms = dict[tuple[object, ...], WarmResult]


class InstalledVenv(BundleVenv, Protocol):
    """What the scenario asks of the fresh venv of an install check (a bundle's too)."""

    added: dict[str, str]
    installer: str

    @property
    def way(self) -> Installer: ...

    def install(self, *requirements: str, requirements_file: Path | str | None = None,
                warmed: Mapping[str, Sequence[str]] | None = None) -> float: ...


class CheckableIndex(Protocol):
    """What the scenario asks of an index (``OfflineIndex``; a fake in the unit tests)."""

    @property
    def workdir(self) -> Path: ...

    @property
    def progress(self) -> Progress: ...

    @property
    def is_cut(self) -> bool: ...

    @property
    def is_started(self) -> bool: ...

    def start(self, prepare: Sequence[Target] = ()) -> object: ...

    def restore(self) -> None: ...

    def warm(self, requirements: Sequence[str] = (), *,
             requirements_file: Path | str | None = None,
             pythons: Sequence[str | Target] | None = None) -> dict[str, WarmResult]: ...

    def cut(self) -> str: ...

    def verify_cut(self) -> None: ...

    def fresh_venv(self, python: str | Target | None = None, name: str | None = None,
                   installer: str | None = None) -> InstalledVenv: ...

    def upstream_stats(self) -> RelayStats: ...

    def stop_commands(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class StepRecord:
    name: str  # one of STEPS
    target: str | None = None  # the target's label; None for the cut
    status: Status = NOT_RUN
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


class AirgapScenario:
    """The check for one or more targets, on ``index`` (or an index of its own).

    ``run(step, target)`` runs one planned step, or records why it cannot run;
    ``run_all()`` runs the whole plan. ``close()`` tears down only an index it made itself.
    Checks sharing an index share ``pool`` (the threads their installs run on) and
    ``warms`` (a set warmed and proved once is not warmed again while the index stays cut).
    """

    def __init__(self, settings: Settings, workdir: Path | None = None,
                 python: str | None = None, progress: Progress | None = None,
                 targets: Sequence[Target] | None = None,
                 index: CheckableIndex | None = None, name: str = "offline-index",
                 pool: CheckPool | None = None, warms: Warms | None = None) -> None:
        self.settings = settings
        self.name = name
        self._owns_index = index is None
        self.existing = settings.index_url is not None  # an existing index, not a devpi
        self.index: CheckableIndex = index if index is not None else (
            ExistingIndex(settings, workdir=workdir, progress=progress) if self.existing
            else OfflineIndex(settings, workdir=workdir, progress=progress))
        self.progress = holdable(progress or self.index.progress)
        requirements = settings.requirements
        self._locked = (LockedTargets(requirements, self.workdir)
                        if requirements is not None and is_lock(requirements) else None)
        self._owns_pool = pool is None
        self.pool = pool or CheckPool()
        self.warms: Warms = {} if warms is None else warms
        if targets:
            self.targets = list(targets)
        else:
            self.targets = [find_python(python) if python else running_target()]
        self.plan = plan_steps(self.targets, self.existing, settings.export is not None)
        self.bundler: BundleProof | None = None if settings.export is None else BundleProof(
            Bundle(settings.export, [t.label for t in self.targets], self._checked_with()),
            lambda t: self.index.fresh_venv(t, installer="pip"),
            lambda: getattr(self.index, "server", None), self.workdir,
            settings.step_timeout)
        self.report = ScenarioReport()
        for step, target in self.plan:
            record = StepRecord(step, target.label if target else None)
            self.report.steps[record.key] = record
        self._venvs: dict[str, InstalledVenv] = {}
        self._installs: dict[str, Future[Held]] | None = None  # see _install_side_by_side
        # labels of the targets whose install step will run (pytest's selected items);
        # None: every target's
        self.selected_installs: set[str] | None = None

    @property
    def workdir(self) -> Path:
        return self.index.workdir

    # -- the plan -----------------------------------------------------------------------

    def record(self, step: str, target: Target | None = None) -> StepRecord:
        """The record of a planned step (a target's step: by default the first target's)."""
        target = self._target(step, target)
        return self.report.steps[step_key(step, target.label if target else None)]

    def _target(self, step: str, target: Target | None) -> Target | None:
        return None if step in (Step.CUT, Step.ISOLATION) else target or self.targets[0]

    def blocker(self, step: str, target: Target | None) -> str | None:
        """Why ``step`` cannot run now (a step it needs did not pass), or None."""
        if target is not None and target.foreign and step in (Step.INSTALL, Step.IMPORT):
            return None  # it runs, to be recorded "not checked"
        if step == Step.BUNDLE:  # after a passed check: a foreign target's, its warm
            before = (Step.WARM if target is not None and target.foreign else Step.IMPORT)
            prior = self.record(before, target)
            return None if prior.status == PASSED else f"{prior.key} did not pass"
        if step == Step.CUT:
            warmed = [self.record(Step.WARM, t).status == PASSED for t in self.targets]
            return None if any(warmed) else "no target was warmed"
        install_needs = ([(Step.ISOLATION, None)] if self.existing else
                         [(Step.WARM, target), (Step.CUT, None)])
        needs = {Step.INSTALL: install_needs,
                 Step.IMPORT: [(Step.INSTALL, target)]}.get(Step(step), [])
        for name, of in needs:
            if (record := self.record(name, of)).status != PASSED:
                return f"{record.key} did not pass"
        return None

    def run(self, step: str, target: Target | None = None) -> None:
        """Run one step of the plan; a blocked step is recorded "not run" and raises."""
        if step not in STEPS:
            raise ValueError(f"unknown step {step!r}")
        target = self._target(step, target)
        if reason := self.blocker(step, target):
            record = self.record(step, target)
            record.detail = reason
            raise StepNotRun(f"not run: {reason}")
        if step == Step.CUT:
            self.cut()
        elif step == Step.ISOLATION:
            self.isolation()
        elif step == Step.WARM:
            self.warm(target)
        elif step == Step.INSTALL:
            self._install_side_by_side(target)
        elif step == Step.BUNDLE:
            self.bundle(target)
        else:
            self.check_imports(target)

    def run_all(self, warming: AbstractContextManager[object] | None = None,
                checking: AbstractContextManager[object] | None = None) -> None:
        """The whole plan; raises the first failure after every step has its record.

        ``warming`` is held around the warms and the cut, ``checking`` around the installs
        and imports (processes sharing one index pass their locks). The index is left cut
        even when a warm failed, so nobody sharing it installs with the route restored.
        """
        first: OfflineIndexError | None = None

        def attempt(step: str, target: Target | None) -> None:
            nonlocal first
            try:
                self.run(step, target)
            except (StepNotRun, NotInstallChecked):
                pass
            except OfflineIndexError as exc:
                first = first or exc

        with warming or contextlib.nullcontext():
            try:
                for step, target in self.plan:
                    if step in (Step.WARM, Step.CUT, Step.ISOLATION):
                        attempt(step, target)
            finally:
                if not self.existing and not self.index.is_cut and self.index.is_started:
                    try:
                        self.index.cut()
                    except OfflineIndexError as exc:  # the warm's own failure says more
                        first = first or exc
        with checking or contextlib.nullcontext():
            for step, target in self.plan:
                if step in (Step.INSTALL, Step.IMPORT, Step.BUNDLE):
                    attempt(step, target)
        if first is not None:
            raise first

    # -- inputs -------------------------------------------------------------------------

    @property
    def lock(self) -> Path | None:
        """The lock the check installs exactly, if its input is one."""
        return self._locked.path if self._locked is not None else None

    def requirements_for(self, target: Target) -> Path | None:
        """The requirements file pip reads for ``target``: the user's own, or for a lock
        the entries that apply to ``target``, pinned with their hashes."""
        if self._locked is None:
            return self.settings.requirements
        path = self._locked.requirements(target)
        self.report.locked[target.label] = [e.pin for e in self._locked.entries(target)]
        return path

    def distributions_for(self, target: Target) -> tuple[str, ...]:
        """What the check requested for ``target``: for a lock, every entry applying to it."""
        if self._locked is None:
            return self.settings.distribution_names
        return tuple(entry.name for entry in self._locked.entries(target))

    def _lock_detail(self, target: Target) -> str:
        return self._locked.detail(target) if self._locked is not None else ""

    def _in_lock_terms(self, target: Target, message: str) -> str:
        return (self._locked.in_lock_terms(target, message) if self._locked is not None
                else message)

    # -- steps --------------------------------------------------------------------------

    @contextlib.contextmanager
    def step(self, name: str, target: Target | None = None) -> Iterator[StepRecord]:
        record = self.record(name, target)
        started = time.monotonic()
        crossed = self.index.upstream_stats()
        title = f"{name} [{record.target}]" if record.target else name
        self.progress(f"{title} ...")
        try:
            yield record
        except BaseException as exc:
            record.status = (NOT_CHECKED if isinstance(exc, NotInstallChecked)
                             else NOT_RUN if isinstance(exc, StepNotRun) else FAILED)
            record.detail = (str(exc) if isinstance(exc, (OfflineIndexError, Outcome))
                             else repr(exc))
            raise
        else:
            record.status = PASSED
        finally:
            record.seconds = time.monotonic() - started
            record.upstream = self.index.upstream_stats() - crossed
            self.progress(f"{title}: {record.status} in {record.seconds:.1f}s"
                          + (f" ({record.detail})" if record.detail else ""))

    def warm(self, target: Target | None = None) -> WarmResult:
        target = target or self.targets[0]
        with self.step(Step.WARM, target) as record:
            key = self._warm_key(target)
            # another check of this session warmed and proved this very set, and the index
            # has stayed cut since: its cache still holds it (and only grows)
            shared = self.warms.get(key) if self.index.is_cut else None
            if shared is not None:
                result, how = shared, "warmed earlier in this session, shared"
            else:
                self.index.start(prepare=self.targets)
                before = self.index.upstream_stats()
                self.index.restore()  # a shared index may have been cut by an earlier check
                try:
                    result = self.index.warm(self.settings.packages, pythons=[target],
                                             requirements_file=self.requirements_for(target)
                                             )[target.label]
                except OfflineIndexError as exc:
                    exc.args = (self._in_lock_terms(target, str(exc)),)
                    raise
                self.warms[key] = result
                crossed = self.index.upstream_stats() - before
                how = (f"{crossed.bytes / 1e6:.1f} MB from upstream in "
                       f"{crossed.requests} request(s)")
            self.report.warmed[target.label] = result
            self.report.build_requirements[target.label] = build_reqs = (
                result.build_requirements)
            parts = [f"{len(result.files)} files, {result.bytes / 1e6:.1f} MB", how]
            if lock_detail := self._lock_detail(target):
                parts.append(f"{self.settings.describe()}: {lock_detail}")
            if build_reqs:
                parts.append(f"build requirements: {', '.join(build_reqs)}")
            if target.foreign:
                parts.append("foreign target: warmed, not install-checked")
            record.detail = "; ".join(part for part in parts if part)
            return result

    def _install_side_by_side(self, target: Target | None) -> InstalledVenv:
        """``target``'s install. The first one starts every ready target's install at
        once, each on a thread of the index: pip's install is one core's work (its bytecode
        compile above all), so a matrix's installs overlap instead of queueing."""
        target = target or self.targets[0]
        if self._installs is None:
            ready = [t for t in self.targets
                     if not t.foreign and self.blocker(Step.INSTALL, t) is None
                     and (self.selected_installs is None or t.label in self.selected_installs)]
            self._installs = {} if len(ready) < 2 else {
                t.label: self.pool.submit(functools.partial(self._install_held, t))
                for t in ready}
        if (started := self._installs.pop(target.label, None)) is None:
            return self.install(target)
        lines, outcome = started.result()
        for progress, line in lines:  # on this thread: the terminal and capture are its own
            progress(line)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _install_held(self, target: Target) -> Held:
        """``install(target)`` on a worker thread: its lines, and its venv or its error."""
        with held_progress() as lines:
            try:
                return lines, self.install(target)
            except Exception as exc:  # raised again on the main thread, after its lines
                return lines, exc

    def _warm_key(self, target: Target) -> tuple[object, ...]:
        """What makes two warms on one index the same: the target and the set."""
        return (target.label, target.platform,
                warm_specs(self.settings.packages, self.requirements_for(target)))

    def isolation(self) -> None:
        """An existing index's first step: the client reaches that index alone."""
        with self.step(Step.ISOLATION) as record:
            index = self.index
            if not isinstance(index, ExistingIndex):
                raise OfflineIndexError("the isolation step is an existing index's")
            index.start(prepare=self.targets)
            record.detail = index.isolation()

    def cut(self) -> None:
        with self.step(Step.CUT) as record:
            if self.index.is_cut:  # every warm was shared: still cut since an earlier check
                self.index.verify_cut()
                record.detail = "still cut since an earlier check of this session; verified"
            else:
                record.detail = self.index.cut()

    def install(self, target: Target | None = None) -> InstalledVenv:
        target = target or self.targets[0]
        with self.step(Step.INSTALL, target) as record:
            if target.foreign:
                raise NotInstallChecked(
                    f"{target.label}: warmed, not install-checked (foreign platform)")
            if not self.existing:
                if not self.index.is_cut:
                    raise CutNotEffectiveError("install check refused: the network was not cut")
                self.index.verify_cut()  # on a shared index, whoever cut it, it must hold
            warm = self.report.warmed.get(target.label)
            before = self.index.upstream_stats()
            venv = self.index.fresh_venv(target)
            if venv.way.steps:
                self.progress(f"install [{target.label}]: with {venv.installer}: "
                              f"{venv.way.steps}")
            try:  # the install keeps the cut's promises, against this check's own warm
                venv.install(*self.settings.packages,
                             requirements_file=self.requirements_for(target),
                             warmed=warmed_versions(f.name for f in warm.files) if warm else None)
            except OfflineInstallError as exc:  # its kind and payload stay
                exc.args = (f"{target.label}: {self._in_lock_terms(target, exc.message)}",)
                if isinstance(exc, NotAsWarmedError):
                    self.report.installed[target.label] = exc.installed
                else:
                    self.report.holes[target.label] = list(exc.holes)
                raise
            self.report.installed[target.label] = dict(venv.added)
            record.detail = self.settings.describe()
            said = [f"{len(venv.added)} distribution(s), each as warmed"] if warm else []
            if lock_detail := self._lock_detail(target):
                said.append(lock_detail)
            if said:
                record.detail += f" ({'; '.join(said)})"
            self._venvs[target.label] = venv
            if self.settings.index_url is not None:
                fetched = self.index.upstream_stats() - before
                record.detail += (f" from {redacted(self.settings.index_url)} into a fresh "
                                  f"{target.label} venv with {self.settings.installer}; "
                                  f"{fetched.bytes / 1e6:.1f} MB through the relay in "
                                  f"{fetched.requests} request(s)")
                if isinstance(self.index, ExistingIndex) and (came := self.index.sources()):
                    record.detail += f"; {came}"  # by where each file's bytes came from
                return venv
            record.detail += (f" into a fresh {target.label} venv with "
                              f"{self.settings.installer}")
            record.detail += "; 0 bytes from upstream"
            return venv

    def check_imports(self, target: Target | None = None) -> list[ImportResult]:
        target = target or self.targets[0]
        with self.step(Step.IMPORT, target) as record:
            if target.foreign:
                raise NotInstallChecked(
                    f"{target.label}: warmed, not install-checked (foreign platform)")
            venv = self._venvs.get(target.label)
            if venv is None:
                raise ImportCheckError(f"{target.label}: nothing installed: the install step "
                                       f"did not pass")
            try:
                results = self._imports(venv, target)
            except ImportCheckError as exc:
                self.report.imports[target.label] = list(exc.results)
                raise ImportCheckError(f"{target.label}: {exc}", results=exc.results) from None
            self.report.imports[target.label] = results
            record.detail = ", ".join(r.detail for r in results)
            return results

    def bundle(self, target: Target | None = None) -> None:
        """Write ``target``'s part of the export and prove it: a fresh venv installs it from
        the wheelhouse alone, in a network namespace of its own, and imports the modules."""
        target = target or self.targets[0]
        with self.step(Step.BUNDLE, target) as record:
            if self.bundler is None:
                raise BundleError("no export was asked for (--offline-index-export)")
            record.detail = self.bundler.prove(
                target, self.report.warmed.get(target.label),
                self.report.installed.get(target.label),
                lambda venv: self._imports(venv, target))

    def _imports(self, venv: BundleVenv | InstalledVenv, target: Target
                 ) -> list[ImportResult]:
        """The import check of ``target``'s request, in ``venv`` (its install step's or a
        bundle's)."""
        return venv.check_imports(*self.settings.imports,
                                  distributions=self.distributions_for(target),
                                  every=self.lock is None)

    def _checked_with(self) -> dict[str, object]:
        """What the manifest says the check ran with."""
        from importlib.metadata import version

        settings = self.settings
        return {"pytest-offline-index": version("pytest-offline-index"),
                "devpi-server": version("devpi-server"),
                "upstream": redacted(settings.upstream), "installer": settings.installer,
                "requested": settings.describe(),
                "lock": str(self.lock) if self.lock else None}

    # -- teardown -----------------------------------------------------------------------

    def close(self) -> None:
        """Tear down the index if it is this scenario's own (a shared one outlives it),
        and its pool if it is its own: what runs there ends first."""
        if self._owns_index:
            self.index.stop_commands()
        if self._owns_pool:
            self.pool.stop()
        if self._owns_index:
            self.index.close()

    def __enter__(self) -> AirgapScenario:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
