"""The one sequence of the check: warm every target, cut, then install and import each.

``AirgapScenario`` is the only place that knows the steps, their order and what each needs.
It runs them on an :class:`OfflineIndex` — its own, or one it is given (the session's shared
index) — and records every planned step's outcome, time, detail and the traffic that
crossed the gap. The pytest items, the marker and scripts all drive it.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager
from pathlib import Path

from ..bundle.export import Bundle
from ..bundle.landed import ImportRequest
from ..bundle.proof import BundleProof
from ..client.progress import install_progress
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
from ..inputs.requested import requested
from ..inputs.settings import Settings, redacted
from ..inputs.targets import Target, find_python, running_target
from ..outcomes import NotInstallChecked, StepNotRun
from ..proof.as_warmed import warmed_versions
from ..steps import Progress, Status, Step, reporting, step_key
from ..util.words import count, size
from .plan import ScenarioReport, StepRecord, blocker, plan_steps, recorded
from .pool import CheckPool, held_progress, holdable
from .protocol import CheckableIndex, InstalledVenv

PASSED, FAILED, NOT_RUN, NOT_CHECKED = (Status.PASSED, Status.FAILED, Status.NOT_RUN,
                                        Status.NOT_CHECKED)
STEPS = tuple(Step)
# what an install on a worker thread hands back: its progress lines, and its venv or error
Held = tuple[list[tuple[Progress, str]], "InstalledVenv | Exception"]
# warms a check made and proved, by what makes two warms the same: for checks sharing an index
Warms = dict[tuple[object, ...], WarmResult]


class AirgapScenario:
    """The check for one or more targets, on ``index`` (or an index of its own).

    Steps ``warm``, ``cut``, ``install``, ``check_imports`` (``isolation`` for an existing index,
    ``bundle`` for an export) take a target (default: the first; ``cut`` none), record the outcome
    in ``report`` and raise :class:`OfflineIndexError` on failure. ``run(step, target)`` runs one
    planned step or records why it cannot run; ``run_all()`` the whole plan. ``close()`` tears down
    only an index it made. Checks sharing an index share ``pool`` (their installs' threads) and
    ``warms`` (a set warmed and proved is not warmed again while the index stays cut).
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
        self.progress = holdable(reporting(progress, __name__) if progress else self.index.progress)
        self.requested = requested(settings, self.workdir)
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
            lambda: self.index.server, self.workdir,
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
        return blocker(step, target, self.record, self.targets, self.existing)

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
        return self.requested.lock

    def requirements_for(self, target: Target) -> Path | None:
        """The requirements file pip reads for ``target``: the user's own, or for a lock
        the entries that apply to ``target``, pinned with their hashes."""
        path = self.requested.requirements(target)
        if pins := self.requested.pins(target):
            self.report.locked[target.label] = pins
        return path

    # -- steps --------------------------------------------------------------------------

    def step(self, name: str, target: Target | None = None
             ) -> AbstractContextManager[StepRecord]:
        """The step ``name`` of ``target``, its outcome and time written in its record."""
        return recorded(self.record(name, target), self.progress, self.index.upstream_stats)

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
                    exc.args = (self.requested.in_lock_terms(target, str(exc)),)
                    raise
                self.warms[key] = result
                crossed = self.index.upstream_stats() - before
                how = (f"{size(crossed.bytes)} from upstream through "
                       f"{count(crossed.requests, 'new connection')}")
            self.report.warmed[target.label] = result
            self.report.build_requirements[target.label] = build_reqs = (
                result.build_requirements)
            parts = [f"{count(len(result.files), 'file')}, {size(result.bytes)}", how]
            if lock_detail := self.requested.detail(target):
                parts.append(f"{self.settings.describe()}: {lock_detail}")
            if build_reqs:
                parts.append(f"build requirements: {', '.join(build_reqs)}")
            if target.foreign:
                parts.append("foreign target: warmed, not install-checked")
            record.detail = "; ".join(part for part in parts if part)
            return result

    def _install_side_by_side(self, target: Target | None) -> InstalledVenv:
        """``target``'s install. The first one starts every ready target's install at
        once, each on a thread of the index: pip's install is one core's work (unpacking
        the wheels), so a matrix's installs overlap instead of queueing."""
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
            if not self.existing:  # before anything starts: a devpi of its own has a cut
                raise OfflineIndexError("the isolation step is an existing index's")
            self.index.start(prepare=self.targets)
            record.detail = self.index.isolation()

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
                             warmed=warmed_versions(f.name for f in warm.files) if warm else None,
                             on_line=install_progress(self.progress, f"install [{target.label}]"))
            except OfflineInstallError as exc:  # its kind and payload stay
                exc.args = (f"{target.label}: {self.requested.in_lock_terms(target, exc.message)}",)
                if isinstance(exc, NotAsWarmedError):
                    self.report.installed[target.label] = exc.installed
                else:
                    self.report.holes[target.label] = list(exc.holes)
                raise
            self.report.installed[target.label] = dict(venv.added)
            record.detail = self.settings.describe()
            said = [f"{count(len(venv.added), 'distribution')}, each as warmed"] if warm else []
            if lock_detail := self.requested.detail(target):
                said.append(lock_detail)
            if said:
                record.detail += f" ({'; '.join(said)})"
            self._venvs[target.label] = venv
            if self.settings.index_url is not None:
                fetched = self.index.upstream_stats() - before
                record.detail += (f" from {redacted(self.settings.index_url)} into a fresh "
                                  f"{target.label} venv with {self.settings.installer}; "
                                  f"{size(fetched.bytes)} through the relay in "
                                  f"{count(fetched.requests, 'connection')}")
                if came := self.index.sources():
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
                results = self._import_request(target).check(venv)
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
                self._import_request(target))

    def _import_request(self, target: Target) -> ImportRequest:
        """What ``target``'s import checks import (its install step's and its bundle's)."""
        return ImportRequest(self.settings.imports, self.requested.distributions(target),
                             self.lock is None)

    def _checked_with(self) -> dict[str, object]:
        """What the manifest says the check ran with."""
        from importlib.metadata import version

        settings = self.settings
        return {"pytest-offline-index": version("pytest-offline-index"),
                "devpi-server": version("devpi-server"), "upstream": redacted(settings.upstream),
                "installer": settings.installer, "requested": settings.describe(),
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
