"""What one run owns, brought up in order and taken down in reverse: the namespaces, the
relay (whose listening socket holds the gateway namespace), the kept cache dir's lock and
devpi-server. An attached process (an xdist worker) has views of another's, never a stack.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from ..devpi.cachedir import CacheDir
from ..devpi.server import DevpiServer
from ..devpi.trust import host_ca_bundle
from ..errors import ServerError, UpstreamUnreachableError
from ..inputs.settings import Settings
from ..netns import Addressing, Topology
from ..relay.host_proxy import relay_proxies
from ..relay.records import RelayStats, read_tally
from ..relay.relay import Relay
from ..util.redaction import redacted
from .cut import upstream_port


class Stack:
    """The run's own network, relay and server, for ``settings`` in ``workdir`` (removed at
    :meth:`down` when ``own_workdir``, unless devpi-server failed: its log is the clue)."""

    def __init__(self, settings: Settings, workdir: Path, own_workdir: bool,
                 progress: Callable[[str], None], tally: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        self.own_workdir = own_workdir
        self.progress = progress
        self.tally = tally
        self.keep_workdir = False
        self.topology: Topology | None = None
        self.relay: Relay | None = None
        self.cache: CacheDir | None = None
        self.server: DevpiServer | None = None

    def up(self) -> DevpiServer:
        """Network, relay and a devpi-server not yet started; :meth:`down` after a failure."""
        settings = self.settings
        # the holder removes the work dir if this process dies before it can
        self.topology = topology = Topology(Addressing(settings.subnet, settings.gateway)).up(
            remove=[self.workdir] if self.own_workdir else [])
        proxies = relay_proxies(settings.upstream_proxy)
        self.relay = relay = Relay(topology.listener(), settings.allowed_hosts,
                                   tally=self.tally, proxies=proxies).start()
        through = f"; upstream {proxies}" if proxies.by_scheme else ""
        self.progress(f"network up: relay {relay.url} "
                      f"(allows {', '.join(settings.allowed_hosts)}{through})")
        upstream = urlsplit(settings.upstream)
        if failure := relay.reach(upstream.hostname or "", upstream_port(settings.upstream),
                                  upstream.scheme):
            raise UpstreamUnreachableError(f"upstream {redacted(settings.upstream)}: {failure}")
        if settings.cache_dir is not None:
            self.cache = CacheDir(settings.cache_dir).acquire(self.progress)
        self.server = DevpiServer(
            self.workdir, settings.upstream, namespace=topology.server,
            port=settings.port, client_host=str(topology.addressing.lan_server),
            proxy=relay.url, cache=self.cache,
            # its pages' freshness is not kept across restarts: a kept cache that holds
            # everything is asked first with no upstream, so a repeat run fetches nothing
            offline=self.cache is not None and self.cache.initialised,
            ca_bundle=settings.upstream_cert or host_ca_bundle())
        return self.server

    def start_server(self) -> None:
        assert self.server is not None
        try:
            self.server.start()
        except ServerError:
            self.keep_workdir = True
            raise
        self.progress(f"devpi-server up (pid {self.server.pid}), index {self.server.simple_url}")

    def down(self) -> None:
        """Everything, in reverse; safe after any failure and twice. The first error a
        part raised is raised again once the rest is down."""
        errors: list[Exception] = []
        if self.server is not None:
            try:
                self.server.stop()
            except Exception as exc:  # keep tearing down the rest
                errors.append(exc)
            self.server = None
        if self.cache is not None:
            self.cache.release()  # after the server: the next run may take the dir now
            self.cache = None
        if self.relay is not None:
            self.relay.close()  # its listening socket holds the gateway namespace
            self.relay = None
        if self.own_workdir and not self.keep_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if self.topology is not None:  # last: it ends what still runs inside
            if self.keep_workdir:
                self.topology.keep()
            self.topology.down()
            self.topology = None
        if errors:
            raise errors[0]


class RelayView:
    """The relay as an index's parts ask after it: in the process that owns the run, its
    relay; in one attached to it (an xdist worker), the counts the owner's relay writes in
    the shared work dir (``tally``), at most a moment old."""

    def __init__(self, stack: Callable[[], Stack | None], tally: Path) -> None:
        self._stack = stack
        self.tally = tally

    @property
    def relay(self) -> Relay | None:  # None in a process attached to another's index
        stack = self._stack()
        return stack.relay if stack is not None else None

    def stats(self) -> RelayStats:
        return self.relay.stats() if self.relay else read_tally(self.tally)

    def crossings(self, cut: bool) -> int | None:
        """Requests the relay has carried, while the index is cut (None: it is not)."""
        return read_tally(self.tally).requests if cut else None

    def failures(self, since: float) -> list[str]:
        return [str(e) for e in self.relay.events(since)] if self.relay else []

    def issuer(self, host: str, port: int) -> str | None:
        return self.relay.peer_issuer(host, port) if self.relay else None

