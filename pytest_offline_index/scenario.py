"""One air-gap run as plain Python: set up, warm, cut, install, import, tear down.

``AirgapScenario`` composes the topology, the server, warming and the fresh venv. The pytest
plugin turns each step into a check item; scripts and fixtures can call the same steps.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .builddeps import build_requirements_of
from .errors import (
    CutNotEffectiveError,
    ImportCheckError,
    NotInstallCheckedError,
    OfflineIndexError,
    OfflineInstallError,
    ServerError,
)
from .probe import Endpoint, endpoints_for, probe
from .server import DevpiServer
from .settings import Settings
from .targets import Target, find_python, running_target
from .topology import Topology
from .venv import FreshVenv, ImportResult
from .warm import WarmResult, warm

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
PYPI_FILES_HOST = "https://files.pythonhosted.org/"
# Test-only switch: skip warming sdists' build requirements, to prove that step matters.
NO_BUILD_DEPS_ENV = "OFFLINE_INDEX_TEST_NO_BUILD_DEPS"
BUILD_DEP_ROUNDS = 5  # backends of backends; bounded


@dataclass
class StepRecord:
    name: str  # warm / cut / install / import
    target: str | None = None  # the target's label; None for the cut
    status: str = "not run"  # passed / failed / not run / not checked
    seconds: float = 0.0
    detail: str = ""
    error: type[BaseException] | None = None

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


class AirgapScenario:
    """The reference check for one or more targets.

    Order: ``warm(t)`` for each target, ``cut()``, then ``install(t)`` and
    ``check_imports(t)`` for each local target. ``close()`` always cleans up.
    """

    def __init__(self, settings: Settings, workdir: Path | None = None,
                 python: str | None = None, progress: Progress | None = None,
                 targets: Sequence[Target] | None = None) -> None:
        self.settings = settings
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="offline-index-",
                                                        dir=settings.workdir))
        if targets:
            self.targets = list(targets)
        elif python:
            self.targets = [find_python(python)]
        else:
            self.targets = [running_target()]
        self.progress = progress or (lambda line: log.info("%s", line))
        self.topology: Topology | None = None
        self.server: DevpiServer | None = None
        self.report = ScenarioReport()
        self._upstream_endpoints: list[Endpoint] = []
        self._venvs: dict[str, FreshVenv] = {}
        self._owner_pid = os.getpid()

    @property
    def python(self) -> str:
        """The first local target's interpreter."""
        return next(t.executable for t in self.targets if t.executable)

    def plan(self) -> list[tuple[str, Target | None]]:
        return plan_steps(self.targets)

    def _target(self, target: Target | None) -> Target:
        return target or self.targets[0]

    # -- steps --------------------------------------------------------------------------

    @contextlib.contextmanager
    def step(self, name: str, target: Target | None = None) -> Iterator[StepRecord]:
        label = target.label if target else None
        record = StepRecord(name, label)
        self.report.steps[record.key] = record
        started = time.monotonic()
        title = f"{name} [{label}]" if label else name
        self.progress(f"{title} ...")
        try:
            yield record
        except BaseException as exc:
            record.status = "failed"
            record.error = type(exc)
            record.detail = str(exc) if isinstance(exc, OfflineIndexError) else repr(exc)
            raise
        else:
            if record.status == "not run":
                record.status = "passed"
        finally:
            record.seconds = time.monotonic() - started
            self.progress(f"{title}: {record.status} in {record.seconds:.1f}s"
                          + (f" ({record.detail})" if record.detail else ""))

    def setup(self) -> None:
        """Network and server. Idempotent; part of the first warm step's time."""
        if self.server is not None:
            return
        self._upstream_endpoints = upstream_endpoints(self.settings.upstream)
        self.topology = Topology(self.settings.subnet_pool).up()
        a = self.topology.addressing
        assert a is not None
        self.progress(f"network up: run {self.topology.run_id}, block {a.block}")
        self.server = DevpiServer(
            self.workdir, self.settings.upstream, namespace=self.topology.names.server_ns,
            port=self.settings.port, api_host=str(a.uplink_server),
            client_host=str(a.lan_server))
        self.server.start(on_pid=self.topology.add_process)
        self.progress(f"devpi-server up (pid {self.server.pid}), index {self.server.simple_url}")

    def warm(self, target: Target | None = None) -> WarmResult:
        target = self._target(target)
        with self.step("warm", target) as record:
            self.setup()
            assert self.server and self.topology
            if self.topology.is_cut:
                raise CutNotEffectiveError("cannot warm after the cut; warm every target first")
            # Warm with a fresh venv of the target (the running Python for a foreign one):
            # the same pip as the install check, whatever the interpreter has installed.
            base = target.executable or sys.executable
            warmer = self._fresh_venv(f"warmer-{target.label}", base)
            dest = self.workdir / "warm" / target.label

            def download(specs: Sequence[str]) -> WarmResult:
                assert self.server and self.topology
                return warm(
                    self.server.simple_url, specs, python=warmer.python, dest=dest,
                    namespace=self.topology.names.client_ns, upstream=self.settings.upstream,
                    api_url=self.server.api_url, timeout=self.settings.step_timeout,
                    on_line=lambda line: self.progress(f"  {line}"),
                    platform=target.platform,
                    python_version=target.version if target.foreign else None)

            started = time.monotonic()
            result = download(self.settings.packages)
            build_reqs = () if target.foreign else self._warm_build_requirements(
                result.files, download)
            result = WarmResult(warmer.python, tuple(sorted(p for p in dest.iterdir())),
                                time.monotonic() - started)
            self.report.warmed[target.label] = result
            self.report.build_requirements[target.label] = build_reqs
            record.detail = f"{len(result.files)} files, {result.bytes / 1e6:.1f} MB"
            if build_reqs:
                record.detail += f"; build requirements: {', '.join(build_reqs)}"
            if target.foreign:
                record.detail += "; foreign target: warmed, not install-checked"
            return result

    def _warm_build_requirements(self, files: Sequence[Path],
                                 download: Callable[[Sequence[str]], WarmResult],
                                 ) -> tuple[str, ...]:
        """Warm what every sdist among ``files`` needs to build, and theirs in turn."""
        if os.environ.get(NO_BUILD_DEPS_ENV) == "1":
            return ()
        warmed: dict[str, None] = {}
        pending = build_requirements_of(files)
        for _ in range(BUILD_DEP_ROUNDS):
            new = [req for req in pending if req not in warmed]
            if not new:
                break
            warmed.update(dict.fromkeys(new))
            result = download(new)
            pending = build_requirements_of(result.files)
        return tuple(warmed)

    def cut(self) -> None:
        with self.step("cut") as record:
            topo = self._ready()
            before = probe(topo.names.server_ns, self._upstream_endpoints)
            if not any(r.reachable for r in before):
                raise CutNotEffectiveError(
                    "cannot prove a cut: the server could not reach the upstream even before it "
                    f"({', '.join(str(r.endpoint) for r in before) or 'no address'})")
            topo.cut()
            self.verify_cut()
            record.detail = f"{len(before)} upstream address(es) now unreachable"

    def verify_cut(self) -> None:
        """Raise CutNotEffectiveError unless neither host can reach the upstream."""
        topo = self._ready()
        for ns in (topo.names.server_ns, topo.names.client_ns):
            if routes := topo.default_routes(ns):
                raise CutNotEffectiveError(
                    f"the cut did not take effect: {ns} still has a default route ({routes[0]})")
            for result in probe(ns, self._upstream_endpoints):
                if result.reachable:
                    raise CutNotEffectiveError(
                        f"the cut did not take effect: {ns} still reaches {result.endpoint}")

    def install(self, target: Target | None = None) -> FreshVenv:
        target = self._target(target)
        with self.step("install", target) as record:
            topo = self._ready()
            assert self.server is not None
            if target.foreign:
                record.status = "not checked"
                record.detail = "foreign target: warmed, not install-checked"
                raise NotInstallCheckedError(
                    f"{target.label}: warmed, not install-checked (foreign platform)")
            if not topo.is_cut:
                raise CutNotEffectiveError("install check refused: the network was not cut")
            self.server.ensure_alive()
            assert target.executable is not None
            venv = self._fresh_venv(target.label, target.executable)
            try:
                venv.install(self.settings.packages, self.server.simple_url)
            except OfflineInstallError as exc:
                self.server.ensure_alive()  # a dead server is the better explanation
                raise OfflineInstallError(f"{target.label}: {exc}", holes=exc.holes,
                                          output=exc.output) from None
            self._venvs[target.label] = venv
            record.detail = f"{' '.join(self.settings.packages)} into a fresh {target.label} venv"
            return venv

    def check_imports(self, target: Target | None = None) -> list[ImportResult]:
        target = self._target(target)
        with self.step("import", target) as record:
            venv = self._venvs.get(target.label)
            if venv is None:
                raise ImportCheckError(f"{target.label}: nothing installed: the install step "
                                       f"did not pass")
            modules = list(self.settings.imports)
            if not modules:
                tops = venv.top_level_modules(self.settings.distribution_names)
                modules = [m for names in tops.values() for m in names]
                if missing := [d for d, names in tops.items() if not names]:
                    raise ImportCheckError(f"no importable top-level module found for "
                                           f"{', '.join(missing)}; name one with "
                                           f"--offline-index-import")
            results = venv.check_imports(modules)
            self.report.imports[target.label] = results
            if failed := [r for r in results if not r.ok]:
                raise ImportCheckError(f"{target.label}: " + "; ".join(
                    f"import {r.module} failed: {r.detail}" for r in failed))
            record.detail = ", ".join(r.detail for r in results)
            return results

    def _fresh_venv(self, name: str, base_python: str) -> FreshVenv:
        topo = self._ready()
        return FreshVenv(self.workdir / "venvs" / name, base_python=base_python,
                         namespace=topo.names.client_ns,
                         timeout=self.settings.step_timeout).create()

    @property
    def keeps_workdir(self) -> bool:
        """A server failure names its log, which lives in the work dir: keep it then."""
        return any(record.error is not None and issubclass(record.error, ServerError)
                   for record in self.report.steps.values())

    # -- teardown -----------------------------------------------------------------------

    def close(self) -> None:
        """Stop the server, remove the network. Safe after any failure, and twice."""
        if os.getpid() != self._owner_pid:
            return  # a forked helper (pyroute2 forks) must never tear down its parent's run
        errors = []
        if self.server is not None:
            try:
                self.server.stop()
            except Exception as exc:  # keep tearing down the rest
                errors.append(exc)
            self.server = None
        if self.topology is not None:
            self.topology.down()
            self.topology = None
        if self._own_workdir and not self.keeps_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if errors:
            raise errors[0]

    def __enter__(self) -> AirgapScenario:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ready(self) -> Topology:
        if self.topology is None or self.server is None:
            raise OfflineIndexError("the scenario is not set up: run the warm step first")
        return self.topology


def upstream_endpoints(upstream: str) -> list[Endpoint]:
    """Addresses that must become unreachable: the index host (and PyPI's file host)."""
    urls = [upstream]
    if urlsplit(upstream).hostname == "pypi.org":
        urls.append(PYPI_FILES_HOST)
    endpoints = endpoints_for(urls)
    if not endpoints:
        raise OfflineIndexError(
            f"upstream {upstream}: its host does not resolve; check --offline-index-upstream")
    return endpoints


def _python_tag(python: str) -> str:
    return "py-" + "".join(ch if ch.isalnum() else "_" for ch in Path(python).name)


