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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .errors import CutNotEffectiveError, ImportCheckError, OfflineIndexError, ServerError
from .probe import Endpoint, endpoints_for, probe
from .server import DevpiServer
from .settings import Settings
from .topology import Topology
from .venv import FreshVenv, ImportResult
from .warm import WarmResult, warm

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
STEPS = ("warm", "cut", "install", "import")
PYPI_FILES_HOST = "https://files.pythonhosted.org/"


@dataclass
class StepRecord:
    name: str
    status: str = "not run"  # passed / failed / not run
    seconds: float = 0.0
    detail: str = ""
    error: type[BaseException] | None = None


@dataclass
class ScenarioReport:
    steps: dict[str, StepRecord] = field(
        default_factory=lambda: {name: StepRecord(name) for name in STEPS})
    warmed: WarmResult | None = None
    imports: list[ImportResult] = field(default_factory=list)


class AirgapScenario:
    """The reference check. Steps must run in order; ``close()`` always cleans up."""

    def __init__(self, settings: Settings, workdir: Path | None = None,
                 python: str | None = None, progress: Progress | None = None) -> None:
        self.settings = settings
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="offline-index-",
                                                        dir=settings.workdir))
        self.python = python or sys.executable
        self.progress = progress or (lambda line: log.info("%s", line))
        self.topology: Topology | None = None
        self.server: DevpiServer | None = None
        self.report = ScenarioReport()
        self._upstream_endpoints: list[Endpoint] = []
        self._owner_pid = os.getpid()

    # -- steps --------------------------------------------------------------------------

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[StepRecord]:
        record = self.report.steps[name]
        started = time.monotonic()
        self.progress(f"{name} ...")
        try:
            yield record
        except BaseException as exc:
            record.status = "failed"
            record.error = type(exc)
            record.detail = str(exc) if isinstance(exc, OfflineIndexError) else repr(exc)
            raise
        else:
            record.status = "passed"
        finally:
            record.seconds = time.monotonic() - started
            self.progress(f"{name}: {record.status} in {record.seconds:.1f}s"
                          + (f" ({record.detail})" if record.detail else ""))

    def setup(self) -> None:
        """Network and server. Idempotent; part of the warm step's time."""
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

    def warm(self) -> WarmResult:
        with self.step("warm") as record:
            self.setup()
            assert self.server and self.topology
            result = warm(
                self.server.simple_url, self.settings.packages, python=self.python,
                dest=self.workdir / "warm" / _python_tag(self.python),
                namespace=self.topology.names.client_ns, upstream=self.settings.upstream,
                api_url=self.server.api_url, timeout=self.settings.step_timeout,
                on_line=lambda line: self.progress(f"  {line}"))
            self.report.warmed = result
            record.detail = f"{len(result.files)} files, {result.bytes / 1e6:.1f} MB"
            return result

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

    def install(self) -> FreshVenv:
        with self.step("install") as record:
            topo = self._ready()
            assert self.server is not None
            if not topo.is_cut:
                raise CutNotEffectiveError("install check refused: the network was not cut")
            self.server.ensure_alive()
            venv = FreshVenv(self.workdir / "venvs" / _python_tag(self.python),
                             base_python=self.python, namespace=topo.names.client_ns,
                             timeout=self.settings.step_timeout).create()
            try:
                venv.install(self.settings.packages, self.server.simple_url)
            except OfflineIndexError:
                self.server.ensure_alive()  # a dead server is the better explanation
                raise
            self._venv = venv
            record.detail = f"{' '.join(self.settings.packages)} into a fresh venv"
            return venv

    def check_imports(self) -> list[ImportResult]:
        with self.step("import") as record:
            venv = getattr(self, "_venv", None)
            if venv is None:
                raise ImportCheckError("nothing installed: the install step did not pass")
            modules = list(self.settings.imports)
            if not modules:
                tops = venv.top_level_modules(self.settings.distribution_names)
                modules = [m for names in tops.values() for m in names]
                if missing := [d for d, names in tops.items() if not names]:
                    raise ImportCheckError(f"no importable top-level module found for "
                                           f"{', '.join(missing)}; name one with "
                                           f"--offline-index-import")
            results = venv.check_imports(modules)
            self.report.imports = results
            if failed := [r for r in results if not r.ok]:
                raise ImportCheckError(
                    "; ".join(f"import {r.module} failed: {r.detail}" for r in failed))
            record.detail = ", ".join(r.detail for r in results)
            return results

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


