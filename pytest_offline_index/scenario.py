"""The reference check as plain Python: warm every target, cut, install, import.

``AirgapScenario`` runs the steps of one check on an :class:`OfflineIndex` and records each
step's outcome, time and detail. The pytest plugin turns each step into a check item;
scripts call the same steps.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import (
    CutNotEffectiveError,
    ImportCheckError,
    NotInstallCheckedError,
    OfflineIndexError,
    OfflineInstallError,
)
from .holes import Hole
from .index import OfflineIndex, Progress
from .relay import RelayStats
from .server import DevpiServer
from .settings import Settings
from .targets import Target, find_python, running_target
from .topology import Topology
from .venv import FreshVenv, ImportResult
from .warm import WarmResult


@dataclass
class StepRecord:
    name: str  # warm / cut / install / import
    target: str | None = None  # the target's label; None for the cut
    status: str = "not run"  # passed / failed / not run / not checked
    seconds: float = 0.0
    detail: str = ""
    upstream: RelayStats | None = None  # what crossed the gap during the step

    @property
    def key(self) -> str:
        return step_key(self.name, self.target)


def plan_steps(targets: Sequence[Target]) -> list[tuple[str, Target | None]]:
    """Every step in the order it must run: warm all targets, cut, then check each."""
    steps: list[tuple[str, Target | None]] = [("warm", t) for t in targets]
    steps.append(("cut", None))
    for target in targets:
        steps += [("install", target), ("import", target)]
    return steps


def step_key(name: str, target: str | None) -> str:
    return f"{target}::{name}" if target else name


@dataclass
class ScenarioReport:
    steps: dict[str, StepRecord] = field(default_factory=dict)
    warmed: dict[str, WarmResult] = field(default_factory=dict)
    build_requirements: dict[str, tuple[str, ...]] = field(default_factory=dict)
    imports: dict[str, list[ImportResult]] = field(default_factory=dict)
    holes: dict[str, list[Hole]] = field(default_factory=dict)


class AirgapScenario:
    """The reference check for one or more targets.

    Order: ``warm(t)`` for each target, ``cut()``, then ``install(t)`` and
    ``check_imports(t)`` for each local target. ``close()`` always cleans up.
    """

    def __init__(self, settings: Settings, workdir: Path | None = None,
                 python: str | None = None, progress: Progress | None = None,
                 targets: Sequence[Target] | None = None) -> None:
        self.settings = settings
        self.index = OfflineIndex(settings, workdir=workdir, progress=progress)
        self.progress = self.index.progress
        if targets:
            self.targets = list(targets)
        else:
            self.targets = [find_python(python) if python else running_target()]
        self.report = ScenarioReport()
        self._venvs: dict[str, FreshVenv] = {}

    # The index's parts, for callers that look under the hood (tests, scripts).
    @property
    def workdir(self) -> Path:
        return self.index.workdir

    @property
    def topology(self) -> Topology | None:
        return self.index.topology

    @property
    def server(self) -> DevpiServer | None:
        return self.index.server

    @property
    def python(self) -> str:
        """The first local target's interpreter."""
        return next(t.executable for t in self.targets if t.executable)

    def verify_cut(self) -> None:
        self.index.verify_cut()

    # -- steps --------------------------------------------------------------------------

    @contextlib.contextmanager
    def step(self, name: str, target: Target | None = None) -> Iterator[StepRecord]:
        label = target.label if target else None
        record = StepRecord(name, label)
        self.report.steps[record.key] = record
        started = time.monotonic()
        crossed = self.index.upstream_stats() or RelayStats()
        title = f"{name} [{label}]" if label else name
        self.progress(f"{title} ...")
        try:
            yield record
        except BaseException as exc:
            record.status = "not checked" if isinstance(exc, NotInstallCheckedError) else "failed"
            record.detail = str(exc) if isinstance(exc, OfflineIndexError) else repr(exc)
            raise
        else:
            record.status = "passed"
        finally:
            record.seconds = time.monotonic() - started
            if (now := self.index.upstream_stats()) is not None:
                record.upstream = now - crossed
            self.progress(f"{title}: {record.status} in {record.seconds:.1f}s"
                          + (f" ({record.detail})" if record.detail else ""))

    def warm(self, target: Target | None = None) -> WarmResult:
        target = target or self.targets[0]
        with self.step("warm", target) as record:
            before = self.index.upstream_stats() or RelayStats()
            self.index.start()
            result, build_reqs = self.index.warm_target(
                target, self.settings.packages, self.settings.requirements)
            self.report.warmed[target.label] = result
            self.report.build_requirements[target.label] = build_reqs
            record.detail = f"{len(result.files)} files, {result.bytes / 1e6:.1f} MB"
            if (now := self.index.upstream_stats()) is not None:
                crossed = now - before
                record.detail += (f"; {crossed.bytes / 1e6:.1f} MB from upstream in "
                                  f"{crossed.requests} request(s)")
            if build_reqs:
                record.detail += f"; build requirements: {', '.join(build_reqs)}"
            if target.foreign:
                record.detail += "; foreign target: warmed, not install-checked"
            return result

    def cut(self) -> None:
        with self.step("cut") as record:
            record.detail = self.index.cut()

    def install(self, target: Target | None = None) -> FreshVenv:
        target = target or self.targets[0]
        with self.step("install", target) as record:
            if target.foreign:
                raise NotInstallCheckedError(
                    f"{target.label}: warmed, not install-checked (foreign platform)")
            if not self.index.is_cut:
                raise CutNotEffectiveError("install check refused: the network was not cut")
            before = self.index.upstream_stats()
            try:
                venv = self.index.install_check(target, self.settings.packages,
                                                self.settings.requirements)
            except OfflineInstallError as exc:
                self.report.holes[target.label] = list(exc.holes)  # type: ignore[arg-type]
                raise
            after = self.index.upstream_stats()
            if before is not None and after is not None and (after - before).requests:
                raise CutNotEffectiveError(
                    f"the cut did not hold: {(after - before).requests} request(s) crossed the "
                    f"relay during the install")
            self._venvs[target.label] = venv
            record.detail = f"{self.settings.describe()} into a fresh {target.label} venv"
            if after is not None:
                record.detail += "; 0 bytes from upstream"
            return venv

    def check_imports(self, target: Target | None = None) -> list[ImportResult]:
        target = target or self.targets[0]
        with self.step("import", target) as record:
            venv = self._venvs.get(target.label)
            if venv is None:
                raise ImportCheckError(f"{target.label}: nothing installed: the install step "
                                       f"did not pass")
            modules = venv.modules_to_import(self.settings.imports,
                                             self.settings.distribution_names)
            try:
                results = venv.check_imports(*modules)
            except ImportCheckError as exc:
                self.report.imports[target.label] = list(exc.results)  # type: ignore[arg-type]
                raise ImportCheckError(f"{target.label}: {exc}", results=exc.results) from None
            self.report.imports[target.label] = results
            record.detail = ", ".join(r.detail for r in results)
            return results

    # -- teardown -----------------------------------------------------------------------

    def close(self) -> None:
        """Tear down; the work dir stays only when a server failure names a log inside it."""
        self.index.close()

    def __enter__(self) -> AirgapScenario:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


