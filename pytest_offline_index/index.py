"""The library face of the harness: a caching index behind a network you can cut.

``OfflineIndex`` owns the topology and the devpi-server of one run. Test suites warm it for
any requirements and target Pythons, cut it, hand out fresh venvs on the air-gapped client,
and ask what the cache really holds. The pytest fixtures and the reference scenario are both
built on it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import ipaddress
import itertools
import logging
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import SplitResult, urlsplit

from .builddeps import build_requirements_of
from .cachedir import CacheDir
from .errors import (
    CutNotEffectiveError,
    OfflineIndexError,
    OfflineInstallError,
    ServerError,
    SettingsError,
    UpstreamUnreachableError,
    WarmError,
)
from .installed import warmed_versions
from .installers import STEPS
from .netns import Addressing, Endpoint, Topology, endpoints_for, probe, tunnel
from .origin import foreign_files
from .relay import Relay, RelayStats
from .requirements import check_sources
from .server import DevpiServer
from .settings import Settings, parse_packages
from .targets import Target, find_python, running_target
from .venv import FreshVenv
from .warm import WarmResult, warm

log = logging.getLogger(__name__)
T = TypeVar("T")
WARMER = "warmer-"  # how the name of the venv a warm runs pip in starts
BUILD_DEP_ROUNDS = 5  # backends of backends; bounded
HOSTS = {"srv": "the server host", "cli": "the client host"}  # in messages

Progress = Callable[[str], None]
_HELD = threading.local()  # lines a check on a worker thread reports: see held_progress


def holdable(progress: Progress) -> Progress:
    """``progress``, except that a thread inside :func:`held_progress` keeps its lines."""
    def report(line: str) -> None:
        held: list[tuple[Progress, str]] | None = getattr(_HELD, "lines", None)
        if held is None:
            progress(line)
        else:
            held.append((progress, line))
    return report


@contextlib.contextmanager
def held_progress() -> Iterator[list[tuple[Progress, str]]]:
    """Keep this thread's progress lines, to be replayed by the main thread: the terminal
    and pytest's capture are the main thread's, busy meanwhile with other items."""
    _HELD.lines = []
    try:
        yield _HELD.lines
    finally:
        _HELD.lines = None


class OfflineIndex:
    """One devpi-server in a server namespace, one air-gapped client namespace."""

    def __init__(self, settings: Settings, workdir: Path | None = None,
                 progress: Progress | None = None) -> None:
        self.settings = settings
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="offline-index-",
                                                        dir=settings.workdir))
        self.progress = holdable(progress or (lambda line: log.info("%s", line)))
        self.topology: Topology | None = None
        self.server: DevpiServer | None = None
        self.relay: Relay | None = None  # None in a process attached to another's index
        self._relay_address: tuple[str, int] | None = None
        self._cache: CacheDir | None = None  # held from start to close
        self._preparing: concurrent.futures.ThreadPoolExecutor | None = None
        self._spares: dict[tuple[str, str, str], concurrent.futures.Future[FreshVenv]] = {}
        self._checking: concurrent.futures.ThreadPoolExecutor | None = None  # see submit
        # warms this process made and proved, for checks sharing the index (AirgapScenario)
        self.warmed: dict[tuple[object, ...], tuple[WarmResult, tuple[str, ...]]] = {}
        self.keep_workdir = False  # devpi-server failed: its log in the work dir is the clue
        self._upstream_endpoints: list[Endpoint] = []
        self._serial = itertools.count(1)  # venvs' and warm dirs' names: never reused
        self._owner_pid = os.getpid()
        self._attached = False
        # set by stop_checks (at close, at the session's end): ends every venv's command
        # still running on another thread (a KeyboardInterrupt reaches only the main thread)
        self.stopping = threading.Event()
        self._verifying = threading.Lock()  # checks on several threads each verify the cut

    # -- lifecycle ----------------------------------------------------------------------

    def attach_info(self) -> dict[str, object]:
        """What another process needs to attach to this running index (see ``attach``)."""
        topo, server = self._topology(), self._server()
        return {"control": topo.control, "workdir": str(self.workdir),
                "serverdir": str(server.serverdir), "port": server.port,
                "client_host": server.client_host, "pid": server.pid,
                "relay": list(self._relay_addr()),
                "endpoints": [[e.family, e.address, e.port] for e in self._upstream_endpoints]}

    @classmethod
    def attach(cls, settings: Settings, info: dict[str, object],
               progress: Progress | None = None) -> OfflineIndex:
        """Use an index another process started and owns; closing it tears nothing down."""
        index = cls(settings, workdir=Path(str(info["workdir"])), progress=progress)
        index.topology = Topology.attached(Addressing(settings.subnet, settings.gateway),
                                          str(info["control"]))
        index.server = DevpiServer.attached(
            Path(str(info["serverdir"])), settings.upstream,
            namespace=index.topology.server, port=int(str(info["port"])),
            client_host=str(info["client_host"]), pid=int(str(info["pid"])))
        relay = cast("list[object]", info["relay"])
        index._relay_address = (str(relay[0]), int(str(relay[1])))
        endpoints = cast("list[list[Any]]", info["endpoints"])
        index._upstream_endpoints = [Endpoint(*e) for e in endpoints]
        index._attached = True
        return index

    def start(self, prepare: Sequence[Target] = ()) -> OfflineIndex:
        """Network, relay and server; idempotent. A failure leaves nothing behind.

        For each local target in ``prepare``, its warmer's venv and the install check's
        fresh venv are made while devpi-server starts (brand-new, unused until handed out).
        """
        if self.server is not None:
            return self
        try:
            self._start(prepare)
        except BaseException:
            self.close()
            raise
        return self

    def _start(self, prepare: Sequence[Target]) -> None:
        settings = self.settings
        self.stopping.clear()  # a closed index started again
        self._upstream_endpoints = upstream_endpoints(settings)
        # the holder removes the work dir if this process dies before it can
        self.topology = Topology(Addressing(settings.subnet, settings.gateway)).up(
            remove=[self.workdir] if self._own_workdir else [])
        self.relay = Relay(self.topology.listener(), settings.allowed_hosts,
                           tally=self._tally).start()
        self.progress(f"network up: relay {self.relay.url} "
                      f"(allows {', '.join(settings.allowed_hosts)})")
        parts = urlsplit(settings.upstream)
        if failure := self.relay.reach(parts.hostname or "", _port(parts)):
            raise UpstreamUnreachableError(f"upstream {settings.upstream}: {failure}")
        if settings.cache_dir is not None:
            self._cache = CacheDir(settings.cache_dir).acquire(self.progress)
        self.server = DevpiServer(
            self.workdir, settings.upstream, namespace=self.topology.server,
            port=settings.port, client_host=str(self.topology.addressing.lan_server),
            proxy=self.relay.url, cache=self._cache,
            # its pages' freshness is not kept across restarts: a kept cache that holds
            # everything is asked first with no upstream, so a repeat run fetches nothing
            offline=self._cache is not None and self._cache.initialised)
        self._prepare_venvs(prepare)
        try:
            self.server.start()
        except ServerError:
            self.keep_workdir = True
            raise
        self.progress(f"devpi-server up (pid {self.server.pid}), index {self.server.simple_url}")

    def close(self) -> None:
        """Stop the server, remove the network. Safe after any failure, and twice."""
        if os.getpid() != self._owner_pid:
            return  # a forked helper (pyroute2 forks) must never tear down its parent's run
        self.stop_checks()
        if self._attached:  # another process owns the server and the network
            self.server = self.topology = None
            return
        errors: list[Exception] = []
        if self._preparing is not None:
            self._preparing.shutdown(wait=True, cancel_futures=True)
            self._preparing = None
            self._spares.clear()
        if self.server is not None:
            try:
                self.server.stop()
            except Exception as exc:  # keep tearing down the rest
                errors.append(exc)
            self.server = None
        if self._cache is not None:
            self._cache.release()  # after the server: the next run may take the dir now
            self._cache = None
        if self.relay is not None:
            self.relay.close()  # its listening socket holds the gateway namespace
            self.relay = None
        if self._own_workdir and not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if self.topology is not None:  # last: it ends what still runs inside
            if self.keep_workdir:
                self.topology.keep()
            self.topology.down()
            self.topology = None
        if errors:
            raise errors[0]

    def __enter__(self) -> OfflineIndex:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what clients see ---------------------------------------------------------------

    @property
    def tmpdir(self) -> Path:
        """TMPDIR of every pip the run starts: what a killed pip leaves goes with the run."""
        return self.workdir / "tmp"

    @property
    def simple_url(self) -> str:
        return self._server().simple_url

    @property
    def is_started(self) -> bool:
        return self.server is not None

    @property
    def is_cut(self) -> bool:
        return self.topology is not None and self.topology.is_cut

    @property
    def _tally(self) -> Path:
        """The relay's request count, as every process sharing the work dir reads it."""
        return self.workdir / "relay-requests"

    def relay_requests_if_cut(self) -> int | None:
        """Requests the relay has carried, while the index is cut (None: it is not)."""
        if not self.is_cut:
            return None
        try:
            return int(self._tally.read_text() or 0)
        except (OSError, ValueError):
            return 0

    def warmed_versions(self, target: Target) -> dict[str, tuple[str, ...]]:
        """Every version the warms of this run fetched for ``target`` (any process's)."""
        record = self.workdir / "warmed" / f"{target.label}.txt"
        try:
            return warmed_versions(record.read_text().split())
        except OSError:
            return {}

    def upstream_stats(self) -> RelayStats | None:
        """Requests and bytes that crossed the gap so far (None where the relay is another
        process's)."""
        return self.relay.stats() if self.relay is not None else None

    def cached_files(self, project: str | None = None) -> list[str]:
        """File names devpi really holds on disk (optionally for one project)."""
        return self._server().cached_files(project)

    # -- warming ------------------------------------------------------------------------

    def warm(self, requirements: Sequence[str] = (), *,
             requirements_file: Path | str | None = None,
             pythons: Sequence[str | Target] | None = None) -> dict[str, WarmResult]:
        """Warm for each target Python (default: the running one); results by target."""
        targets = [t if isinstance(t, Target) else find_python(t) for t in pythons or ()]
        return {t.label: self.warm_target(t, requirements, requirements_file)[0]
                for t in targets or [running_target()]}

    def warm_target(self, target: Target, requirements: Sequence[str] = (),
                    requirements_file: Path | str | None = None,
                    ) -> tuple[WarmResult, tuple[str, ...]]:
        """Warm one target; returns what was downloaded and the sdists' build requirements."""
        topo = self._topology()
        server = self._server()
        if topo.is_cut:
            raise CutNotEffectiveError("cannot warm while cut: call restore() first")
        # Warm with a fresh venv of the target (the running Python for a foreign one): the
        # same pip as the install check, whatever the interpreter itself has installed.
        # pip downloads whatever the installer of the check is: the warmer is always pip's.
        warmer = self.fresh_venv(target if target.executable else sys.executable,
                                 name=f"{WARMER}{target.label}", installer="pip")
        # a dir per warm: its files are what this warm fetched, not an earlier one's too
        dest = self.workdir / "warm" / f"{target.label}-{os.getpid()}-{next(self._serial)}"
        specs = warm_specs(requirements, requirements_file)

        relay = self.relay

        def failures_since(started: float) -> Callable[[], list[str]]:
            log_offset = server.log_size()
            return lambda: [*([str(e) for e in relay.events(since=started)] if relay else []),
                            *server.tls_failures(since=log_offset)]

        def download(specs: Sequence[str]) -> WarmResult:
            try:
                return warm(
                    server.simple_url, specs, python=warmer.python, dest=dest,
                    namespace=topo.client, upstream=self.settings.upstream,
                    mirror_status=server.mirror_status,
                    upstream_failures=failures_since(time.monotonic()),
                    timeout=self.settings.step_timeout,
                    on_line=lambda line: self.progress(f"warm [{target.label}]: {line}"),
                    platform=target.platform,
                    python_version=target.version if target.foreign else None,
                    build_isolation=self.settings.warm_build_isolation, tmpdir=self.tmpdir)
            except (WarmError, UpstreamUnreachableError):
                self.ensure_server_alive()  # a dead server is the better explanation
                raise

        def everything() -> tuple[str, ...]:
            first = download(specs)
            return () if target.foreign else self._warm_build_requirements(
                first.files, download)

        started = time.monotonic()
        if server.offline:  # a kept cache dir: first ask it alone, with no upstream at all
            try:
                build_reqs = everything()
            except (WarmError, UpstreamUnreachableError):
                self.progress(f"warm [{target.label}]: the cache dir lacks something; "
                              f"restarting devpi-server to fetch it from the upstream")
                shutil.rmtree(dest, ignore_errors=True)
                server.restart(offline=False)
                build_reqs = everything()
        else:
            build_reqs = everything()
        files = tuple(sorted(p for p in dest.iterdir() if p.is_file()))
        if foreign := foreign_files(files, server.held_files()):
            raise WarmError(f"{target.label}: " + "; ".join(foreign))
        record = self.workdir / "warmed" / f"{target.label}.txt"  # one short append per warm
        record.parent.mkdir(exist_ok=True)
        with record.open("a") as stream:
            stream.write("".join(f"{f.name}\n" for f in files))
        return WarmResult.of(warmer.python, files, time.monotonic() - started), build_reqs

    def _warm_build_requirements(self, files: Sequence[Path],
                                 download: Callable[[Sequence[str]], WarmResult],
                                 ) -> tuple[str, ...]:
        """Warm what every sdist among ``files`` needs to build, and theirs in turn."""
        if not self.settings.warm_build_requirements:
            return ()
        warmed: dict[str, None] = {}
        pending = build_requirements_of(files)
        for _ in range(BUILD_DEP_ROUNDS):
            new = [req for req in pending if req not in warmed]
            if not new:
                break
            warmed.update(dict.fromkeys(new))
            pending = build_requirements_of(download(new).files)
        return tuple(warmed)

    # -- the cut ------------------------------------------------------------------------

    def cut(self) -> str:
        """Cut the server off and prove it; returns what the proof checked."""
        topo = self._topology()
        parts = urlsplit(self.settings.upstream)
        host, port = parts.hostname or "", _port(parts)
        ok, status = tunnel(topo.server, self._relay_addr(), host, port)
        if not ok:
            raise CutNotEffectiveError(
                f"cannot prove a cut: before it, the server could not reach {host}:{port} "
                f"through the relay ({status})")
        topo.cut()
        self.verify_cut()
        return (f"relay and {len(self._upstream_endpoints)} upstream address(es) unreachable "
                f"from server and client")

    def verify_cut(self) -> None:
        """Raise CutNotEffectiveError unless neither host can reach the relay or upstream."""
        with self._verifying:
            self._verify_cut()

    def _verify_cut(self) -> None:
        topo = self._topology()
        relay_host, relay_port = self._relay_addr()
        relay = Endpoint(socket.AF_INET, relay_host, relay_port)
        parts = urlsplit(self.settings.upstream)
        for place in (topo.server, topo.client):
            ns = HOSTS[place.role]
            if routes := topo.default_routes(place):
                raise CutNotEffectiveError(
                    f"the cut did not take effect: {ns} still has a default route ({routes[0]})")
            for result in probe(place, [relay, *self._upstream_endpoints]):
                if result.reachable:
                    what = "the relay at " if result.endpoint == relay else ""
                    raise CutNotEffectiveError(
                        f"the cut did not take effect: {ns} still reaches {what}"
                        f"{result.endpoint}")
            ok, status = tunnel(place, (relay_host, relay_port), parts.hostname or "",
                                _port(parts))
            if ok:
                raise CutNotEffectiveError(
                    f"the cut did not take effect: {ns} still tunnels to the upstream "
                    f"through the relay ({status})")

    def restore(self) -> None:
        """Give the server its default route back (to warm more)."""
        topo = self._topology()
        if topo.is_cut:
            topo.restore()

    # -- clients ------------------------------------------------------------------------

    def fresh_venv(self, python: str | Target | None = None, name: str | None = None,
                   installer: str | None = None) -> FreshVenv:
        """A brand-new virtualenv on the air-gapped client, installing from this index
        with ``installer`` (default: the settings' ``installer``)."""
        target = python if isinstance(python, Target) else (
            find_python(python) if python else running_target())
        installer = installer or self.settings.installer
        if (spare := self._spares.pop(_spare_key(target, name, installer), None)) is not None:
            return spare.result()
        return self._new_venv(target, name, installer).create()

    def _new_venv(self, target: Target, name: str | None, installer: str) -> FreshVenv:
        """A venv not yet created: its path, interpreter, client and installer."""
        topo = self._topology()
        if target.executable is None:
            raise OfflineIndexError(f"{target.label}: a foreign target cannot run a venv here")
        warmer = (name or "").startswith(WARMER)
        # pid in the name: processes sharing one index share its work dir
        path = (self.workdir / "venvs"
                / f"{name or target.label}-{os.getpid()}-{next(self._serial)}")
        return FreshVenv(path, base_python=target.executable, namespace=topo.client,
                         timeout=self.settings.step_timeout,
                         simple_url=self._server().simple_url,
                         factory=lambda spec: self.fresh_venv(spec, installer=installer),
                         installer=installer,
                         build_tools=warmer and not self.settings.warm_build_isolation,
                         download_only=warmer,
                         tmpdir=self.tmpdir, stop=self.stopping,
                         held=self._server().held_files,
                         crossings=self.relay_requests_if_cut,
                         warmed=functools.partial(self.warmed_versions, target))

    def _prepare_venvs(self, targets: Sequence[Target]) -> None:
        """Make each local target's warmer and install-check venvs on helper threads."""
        local = [t for t in targets if t.executable]
        if not local:
            return
        self._preparing = concurrent.futures.ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="offline-index-venv")
        for target in local:
            for name, installer in ((f"{WARMER}{target.label}", "pip"),
                                    (None, self.settings.installer)):
                venv = self._new_venv(target, name, installer)
                self._spares[_spare_key(target, name, installer)] = (
                    self._preparing.submit(venv.create))

    def stop_checks(self) -> None:
        """End what the check threads run (their steps are recorded "not run") and wait
        for them: before a report is written, a lock is left or the index is torn down."""
        self.stopping.set()
        if self._checking is not None:
            self._checking.shutdown(wait=True, cancel_futures=True)
            self._checking = None

    def submit(self, work: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``work`` on one of the index's check threads (one per CPU). ``close`` ends
        the commands it runs (a KeyboardInterrupt reaches only the main thread) and waits
        for it, so nothing a check started outlives the index."""
        if self._checking is None:
            self._checking = concurrent.futures.ThreadPoolExecutor(
                max_workers=len(os.sched_getaffinity(0)), thread_name_prefix="offline-index-check")
        return self._checking.submit(work)

    def install_check(self, target: Target, requirements: Sequence[str] = (),
                      requirements_file: Path | str | None = None,
                      warmed: Mapping[str, Sequence[str]] | None = None) -> FreshVenv:
        """Install into a fresh venv of ``target`` from the cache alone.

        Raises OfflineInstallError naming the target and the holes — or ServerError when
        the real reason is that devpi-server is gone.
        """
        self.ensure_server_alive()
        venv = self.fresh_venv(target)
        if venv.installer in STEPS:
            self.progress(f"install [{target.label}]: with {venv.installer}: "
                          f"{STEPS[venv.installer]}")
        try:
            venv.install(*requirements, requirements_file=requirements_file, warmed=warmed)
        except OfflineInstallError as exc:
            self.ensure_server_alive()  # a dead server is the better explanation
            exc.args = (f"{target.label}: {exc.message}",)  # its kind and payload stay
            raise
        return venv

    def ensure_server_alive(self) -> None:
        try:
            self._server().ensure_alive()
        except ServerError:
            self.keep_workdir = True
            raise

    def _relay_addr(self) -> tuple[str, int]:
        if self.relay is not None:
            return self.relay.address
        if self._relay_address is None:
            raise OfflineIndexError("the offline index is not started: call start() first")
        return self._relay_address

    def _topology(self) -> Topology:
        if self.topology is None:
            raise OfflineIndexError("the offline index is not started: call start() first")
        return self.topology

    def _server(self) -> DevpiServer:
        if self.server is None:
            raise OfflineIndexError("the offline index is not started: call start() first")
        return self.server


def warm_specs(requirements: Sequence[str] = (),
               requirements_file: Path | str | None = None) -> tuple[str, ...]:
    """pip's arguments for a warm of ``requirements`` and a requirements file, each
    refused in one line if it names a source other than the index."""
    extra: tuple[str, ...] = ()
    if requirements_file:
        path = Path(requirements_file).resolve()
        check_sources(path)
        extra = ("-r", str(path))
    return (*extra, *(parse_packages(requirements) if requirements else ()))


def _spare_key(target: Target, name: str | None, installer: str) -> tuple[str, str, str]:
    return (name or target.label, installer, target.executable or "")


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def upstream_endpoints(settings: Settings) -> list[Endpoint]:
    """Addresses that must become unreachable: every allowed host's, resolved on the host.

    One inside the run's own addressing would be shadowed by the run's links: refused.
    """
    scheme = urlsplit(settings.upstream).scheme
    urls = [settings.upstream, *(f"{scheme}://{host}/" for host in settings.allowed_hosts[1:])]
    endpoints = endpoints_for(urls)
    if not endpoints_for([settings.upstream]):
        raise SettingsError(
            f"upstream {settings.upstream}: its host does not resolve; check "
            f"--offline-index-upstream")
    for endpoint in endpoints:
        address = ipaddress.ip_address(endpoint.address)
        if address in settings.subnet or address == settings.gateway:
            raise SettingsError(
                f"upstream address {address} collides with the run's own addressing "
                f"({settings.subnet}, relay {settings.gateway}); choose others with "
                f"--offline-index-subnet and --offline-index-gateway")
    return endpoints
