"""The far-side check of a bundle (``--offline-index-bundle=DIR``), without pytest.

For each Python of this machine asked for: ``verify`` (the part that serves its Python and
platform, its files against the manifest), ``install`` (the part's pins into a far-side venv —
the target Python's own ``venv`` and ensurepip — with ``pip --no-index --require-hashes
--find-links DIR/wheelhouse``, then from a fresh devpi-server imported from ``DIR/devpi``,
each in a network namespace with nothing to reach) and ``import``. It needs no upstream, no
warm and no namespaces of a run; nothing is written into ``DIR``.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from ..bundle.landed import LandedBundle, LandedPart
from ..bundle.proof import install_bundle, install_from_devpi_export, seed_written
from ..client.farside import FarSide, user_cache
from ..client.installers import PIP
from ..client.venv import FreshVenv
from ..errors import BundleError, OfflineIndexError, OfflineInstallError, SeedWrittenError
from ..execute.commands import Runner
from ..findings import ImportResult
from ..inputs.targets import Target
from ..netns import Alone
from ..outcomes import StepNotRun
from ..steps import Progress, Status, Step, reporting, step_key
from ..util.interrupts import interrupted_by
from ..util.words import count
from .plan import StepRecord

SCHEMA_ID = "pytest-offline-index/bundle-check/1"
STEPS = (Step.VERIFY, Step.INSTALL, Step.IMPORT)
# the tags this interpreter installs, best first, as its own pip sees them
TAGS = ("import json; from pip._vendor.packaging.tags import sys_tags; "
        "print(json.dumps([str(t) for t in sys_tags()]))")


@dataclass
class Landing:
    """What the check found for one target: its part, its venv, what it installed."""

    part: LandedPart | None = None
    venv: FreshVenv | None = None
    installed: dict[str, str] = field(default_factory=dict)
    imports: list[ImportResult] = field(default_factory=list)


class LandedCheck:
    """Checks ``bundle`` for ``targets`` (local Pythons), in a work dir of its own under
    ``workdir`` (None: the system temp dir); ``sandbox``: each install and import in a
    network namespace of its own (not: on the host's network, reported as such)."""

    def __init__(self, bundle: LandedBundle, targets: Sequence[Target], *,
                 workdir: Path | None = None, sandbox: bool = True, timeout: float = 900.0,
                 imports: Sequence[str] = (), progress: Progress | None = None) -> None:
        self.bundle = bundle
        self.targets = list(targets)
        self.sandbox = sandbox
        self.imports = tuple(imports)  # modules named here win over the manifest's
        self.progress = reporting(progress, __name__)
        self.workdir = Path(tempfile.mkdtemp(prefix="offline-index-bundle-", dir=workdir))
        self.stop = threading.Event()
        self.run = Runner(None, timeout, self.workdir / "tmp", self.stop)
        self.alone = Runner(Alone() if sandbox else None, timeout, self.workdir / "tmp",
                            self.stop)
        (self.workdir / "tmp").mkdir()
        self.far_side = FarSide(self.workdir / "far-side",
                                lambda argv: self.run(argv, here=True), user_cache())
        self.records = {step_key(step, t.label): StepRecord(step, t.label)
                        for t in self.targets for step in STEPS}
        self.landings = {t.label: Landing() for t in self.targets}

    @property
    def plan(self) -> list[tuple[Step, Target]]:
        return [(step, target) for target in self.targets for step in STEPS]

    def record(self, step: str, target: Target) -> StepRecord:
        return self.records[step_key(step, target.label)]

    def run_step(self, step: str, target: Target) -> str:
        """Run ``step`` for ``target``: its detail, or the failure (one line); StepNotRun
        when the step before it did not pass."""
        record = self.record(step, target)
        before = STEPS.index(Step(step)) - 1
        if before >= 0 and (prior := self.record(STEPS[before], target)).status != Status.PASSED:
            record.detail = f"{prior.key} did not pass"
            raise StepNotRun(record.detail)
        with self._timed(record):
            record.detail = {Step.VERIFY: self._verify, Step.INSTALL: self._install,
                             Step.IMPORT: self._import}[Step(step)](target)
        return record.detail

    def run_all(self) -> None:
        for step, target in self.plan:
            with contextlib.suppress(OfflineIndexError, StepNotRun):
                self.run_step(step, target)

    @contextlib.contextmanager
    def _timed(self, record: StepRecord) -> Iterator[None]:
        """Run a step into ``record``, said as the check's own steps are: its start, then
        its status, time and detail."""
        started = time.monotonic()
        title = f"{record.name} [{record.target}]"
        self.progress(f"{title} ...")
        try:
            yield
            record.status = Status.PASSED
        except OfflineIndexError as exc:
            record.status, record.detail = Status.FAILED, str(exc)
            raise BundleError(str(exc)) from None
        except BaseException as exc:
            by = interrupted_by(exc)
            record.status, record.detail = ((Status.INTERRUPTED, by) if by else
                                            (Status.FAILED, f"{type(exc).__name__}: {exc}"))
            raise
        finally:
            record.seconds = time.monotonic() - started
            self.progress(f"{title}: {record.status} in {record.seconds:.1f}s"
                          + (f" ({record.detail})" if record.detail else ""))

    def _verify(self, target: Target) -> str:
        landing = self.landings[target.label]
        self.bundle.candidates(target.version)  # none for this Python: say so first
        venv = self._fresh(target)
        done = venv.run(TAGS)
        if not done.ok:
            raise BundleError(f"{venv.python} cannot tell its wheel tags: {done.why()}")
        landing.part = self.bundle.part_for(target.version, _json_list(done.output))
        landing.venv = venv
        return self.bundle.verify(landing.part)

    def _install(self, target: Target) -> str:
        landing = self.landings[target.label]
        assert landing.part is not None and landing.venv is not None
        part, bundle = landing.part, self.bundle
        requirements = bundle.directory / part.requirements
        pins = bundle.pins(part)
        try:
            got = install_bundle(landing.venv, bundle.wheelhouse, requirements, self.sandbox)
        except SeedWrittenError as exc:
            raise BundleError(seed_written(part.requirements, f"{bundle.wheelhouse} alone",
                                           exc)) from None
        except OfflineInstallError as exc:
            raise BundleError(f"{part.requirements} does not install from "
                              f"{bundle.wheelhouse} alone: {exc.message}") from None
        _same("the wheelhouse installed", got, pins)
        landing.installed = got
        served = ""
        if (devpi := bundle.devpi_dir()) is not None:
            index = str((bundle.devpi or {}).get("index"))
            try:
                served_pins = install_from_devpi_export(
                    self._fresh(target), devpi, requirements, index,
                    self.workdir / "devpi" / target.label, self.sandbox)
            except SeedWrittenError as exc:
                raise BundleError(seed_written(
                    part.requirements, f"{devpi} imported into a fresh devpi-server, offline",
                    exc)) from None
            except OfflineInstallError as exc:
                raise BundleError(f"{devpi} imported into a fresh devpi-server, offline, "
                                  f"does not serve {part.requirements}: {exc.message}"
                                  ) from None
            _same("the devpi part served", served_pins, pins)
            served = f", and from {devpi} imported into a fresh devpi-server --offline-mode"
        where = ("in a network namespace of its own" if self.sandbox else
                 "WITHOUT a sandbox: the network was not cut (--offline-index-no-sandbox)")
        return (f"{part.label}: {count(len(pins), 'distribution')} from {bundle.wheelhouse} with "
                f"pip --no-index --require-hashes{served}, {where}")

    def _import(self, target: Target) -> str:
        landing = self.landings[target.label]
        assert landing.part is not None and landing.venv is not None
        request = landing.part.imports
        if self.imports:
            request = type(request)(self.imports, request.distributions, request.every)
        # the same venv, its commands run with no network (the sandbox's)
        venv = FreshVenv(landing.venv.path, base_python=landing.venv.base_python,
                         run=self.alone)
        landing.imports = request.check(venv)
        return ", ".join(r.detail for r in landing.imports)

    def _fresh(self, target: Target) -> FreshVenv:
        assert target.executable is not None
        serial = sum(1 for _ in (self.workdir / "venvs").glob("*")) if (
            self.workdir / "venvs").exists() else 0
        path = self.workdir / "venvs" / f"{target.label}-{serial}"
        path.parent.mkdir(exist_ok=True)
        return FreshVenv(path, base_python=target.executable, run=self.run, installer=PIP,
                         far_side=self.far_side).create()

    def report(self) -> dict[str, Any]:
        """The check as JSON (``--offline-index-report``)."""
        return {
            "schema": SCHEMA_ID,
            "bundle": str(self.bundle.directory),
            "made_with": dict(self.bundle.made_with),
            "sandbox": self.sandbox,
            "targets": [self._reported(t, self.landings[t.label]) for t in self.targets],
        }

    def _reported(self, target: Target, landing: Landing) -> dict[str, Any]:
        return {
            "label": target.label, "version": target.version, "executable": target.executable,
            "part": landing.part.label if landing.part else None,
            "steps": [{"name": str(r.name), "status": str(r.status),
                       "seconds": round(r.seconds, 3), "detail": r.detail}
                      for r in (self.record(step, target) for step in STEPS)],
            "installed": landing.installed,
            "imports": [{"module": r.module, "ok": r.ok, "detail": r.detail}
                        for r in landing.imports]}

    def close(self) -> None:
        """End what still runs and remove the work dir."""
        self.stop.set()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _json_list(output: str) -> list[str]:
    return [str(tag) for tag in json.loads(output.strip().splitlines()[-1])]


def _same(what: str, got: dict[str, str], pins: dict[str, str]) -> None:
    want = {str(canonicalize_name(k)): v for k, v in pins.items()}
    have = {str(canonicalize_name(k)): v for k, v in got.items()}
    if have != want:
        raise BundleError(f"{what} {_listed(have)}; the bundle pins {_listed(want)}")


def _listed(versions: dict[str, str]) -> str:
    return ", ".join(f"{name}=={version}" for name, version in sorted(versions.items()))
