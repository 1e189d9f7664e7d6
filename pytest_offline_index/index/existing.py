"""An index a team already runs, checked as it is: no devpi of the run's own, no warm, no cut.

The client namespace never has a route anywhere. Its only way out is the relay, whose
listening socket is made inside the client namespace and served from the harness, and which
lets through only the index's origin — its host *and* port — (for PyPI also its files host,
and every ``--offline-index-allow-host``): the installers reach that index alone, from the
first packet. What the relay saw of each request (:class:`RelayWitness`) is what the origin
check judges each file by, and tells where an install's files came from. TLS stays end to
end (the relay only tunnels), so the installers verify the index's certificate with the
user's trust (``--offline-index-cert``). The URL's credentials are used and never shown
(:func:`~pytest_offline_index.util.redaction.redacted`).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..client.factory import VenvFactory
from ..client.venv import FreshVenv, IndexTerms
from ..devpi.trust import host_ca_bundle
from ..errors import CutNotEffectiveError, OfflineIndexError, UpstreamUnreachableError
from ..execute.commands import Runner
from ..inputs.settings import Settings, redacted
from ..inputs.targets import Target
from ..netns import Addressing, Topology, endpoints_for, probe, tunnel
from ..relay.host_proxy import relay_proxies
from ..relay.records import RelayRequest, RelayStats, split_origin
from ..relay.relay import Relay
from ..steps import Progress
from ..util.words import count
from .cut import upstream_port
from .lifecycle import Lifecycle
from .warm import WarmResult

OFF_THE_LIST = "example.invalid"  # asked for through the relay: it must be refused unresolved


class RelayWitness:
    """What the relay saw, for the origin check (:class:`~..proof.origin.Witness`): called, the
    hosts it refused since a time (what a fresh venv's ``refusals`` is); each request's
    real target; and, per thread, where the last install's files came from (a matrix's
    installs run on threads of their own)."""

    def __init__(self, relay: Callable[[], Relay | None]) -> None:
        self._relay = relay
        self._said = threading.local()

    def __call__(self, since: float) -> list[tuple[str, int]]:
        relay = self._relay()
        return [] if relay is None else [(e.host, e.port) for e in relay.events(since)
                                         if e.kind == "refused-host"]

    def requests(self, since: float) -> list[RelayRequest]:
        relay = self._relay()
        return [] if relay is None else relay.requests(since)

    def judged(self, said: str) -> None:
        self._said.value = said

    def last(self) -> str | None:
        """What the origin check said of this thread's last install, if it judged one."""
        said: str | None = getattr(self._said, "value", None)
        return said


def credentials_apart(url: str, user_netrc: Path | None, into: Path) -> tuple[str, Path | None]:
    """``url`` without its credentials, and the netrc every installer reads them from: on
    a command line any user of the machine could read them (``ps``). The URL's come first,
    then the user's own netrc file's."""
    parts = urlsplit(url)
    if parts.username is None:
        return url, user_netrc
    bare = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    password = unquote(parts.password or "")
    lines = [f"machine {parts.hostname} login {unquote(parts.username)} "
             f"password {password or chr(34) * 2}\n"]
    if user_netrc is not None:
        lines.append(user_netrc.read_text())
    with os.fdopen(os.open(into, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write("".join(lines))
    return bare, into


class ExistingIndex(Lifecycle):
    """The isolated client and its relay, for the index at ``settings.index_url``."""

    def __init__(self, settings: Settings, workdir: Path | None = None,
                 progress: Progress | None = None) -> None:
        if settings.index_url is None:
            raise OfflineIndexError("an existing index's check needs an index URL")
        super().__init__(settings, workdir, progress)
        self.url = settings.index_url
        self._relay: Relay | None = None
        self._venvs: VenvFactory | None = None
        self.witness = RelayWitness(lambda: self._relay)
        self.server = None  # no devpi of the run's own

    # -- lifecycle (start, close, stop_commands, with: see Lifecycle) -------------------

    @property
    def is_started(self) -> bool:
        return self._venvs is not None

    @property
    def is_cut(self) -> bool:
        return False  # nothing to cut: the client never had a way out but the relay

    def _start(self, prepare: Sequence[Target]) -> None:
        """The client, isolated, and the relay inside it; for each local target in
        ``prepare``, the install check's fresh venv is made meanwhile."""
        settings = self.settings
        self.topology = topology = Topology(Addressing(settings.subnet, settings.gateway)).up(
            remove=[self.workdir] if self._own_workdir else [])
        proxies = relay_proxies(settings.upstream_proxy)
        listener = topology.client.socket(bind=(str(topology.addressing.lan_client), 0),
                                          listen=128)
        self._relay = relay = Relay(listener, settings.allowed_hosts, proxies=proxies,
                                    tally=self.workdir / "relay-requests").start()
        self.progress(f"client isolated: relay {relay.url} inside it, allowing only "
                      f"{', '.join(settings.allowed_hosts)}; index {redacted(self.url)}")
        parts = urlsplit(self.url)
        if failure := relay.reach(parts.hostname or "", upstream_port(self.url), parts.scheme):
            raise UpstreamUnreachableError(  # the index's own fault, not a hole in the gap
                f"index {redacted(self.url)} is unreachable from this machine: {failure}; is "
                f"it serving at that URL? (the isolation itself was not tried)")
        run = Runner(topology.client, settings.step_timeout, self.workdir / "tmp",
                     self._stopping)
        bare, netrc = credentials_apart(self.url, settings.index_netrc,
                                        self.workdir / "index.netrc")
        terms = IndexTerms(bare, proxy=relay.url,
                           # what the host trusts, as a far side's pip trusts its system's
                           # store (pip 23 would trust certifi's alone)
                           cert=settings.index_cert or host_ca_bundle(),
                           file_hosts=settings.allowed_hosts, refusals=self.witness,
                           netrc=netrc)
        self._venvs = VenvFactory(self.workdir / "venvs", run, terms, settings.installer)
        self._venvs.prepare([t for t in prepare if t.executable], warmers=False)

    def _close(self) -> None:
        """Everything, in reverse, each part even if one before it failed."""
        venvs, relay, topology = self._venvs, self._relay, self.topology
        self._venvs = self._relay = None
        self.topology = None
        try:
            if venvs is not None:
                venvs.close()
        finally:
            try:
                if relay is not None:
                    relay.close()
            finally:
                if self._own_workdir:
                    shutil.rmtree(self.workdir, ignore_errors=True)
                if topology is not None:
                    topology.down()

    # -- the check ----------------------------------------------------------------------

    def isolation(self) -> str:
        """Prove the client reaches nothing but the relay, and the relay nothing but the
        allowed hosts; returns what was proven."""
        topology, relay = self._topology(), self._started_relay()
        if routes := topology.default_routes(topology.client):
            raise CutNotEffectiveError(f"the client is not isolated: it has a default route "
                                       f"({routes[0]})")
        parts = urlsplit(self.url)
        scheme = parts.scheme
        proxies = [p for h in self.settings.allowed_hosts
                   if (p := relay.proxies.for_host(scheme, split_origin(h)[0])) is not None]
        direct = endpoints_for([self.url, *(f"{scheme}://{h}/" for h in
                                            self.settings.allowed_hosts),
                                *(f"http://{p.host}:{p.port}/" for p in proxies)])
        for result in probe(topology.client, direct):
            if result.reachable:
                raise CutNotEffectiveError(f"the client is not isolated: it reaches "
                                           f"{result.endpoint} without the relay")
        ok, status = tunnel(topology.client, relay.address, OFF_THE_LIST, 443)
        if ok or " 403 " not in f" {status} ":
            raise CutNotEffectiveError(f"the relay is not an allowlist: CONNECT "
                                       f"{OFF_THE_LIST}:443 answered {status!r}")
        said = (f"{count(len(direct), 'address', 'addresses')} of the index (and of the "
                f"host's proxy) "
                f"unreachable from the client but through the relay; a tunnel to a host off "
                f"the list refused ({status})")
        # the index is one origin: its host on a port not on the list is another server
        host = parts.hostname or ""
        if (port := next((p for p in (upstream_port(self.url) + 1, 1, 2)
                          if 0 < p < 65536 and not relay.allows(host, p)), None)) is not None:
            ok, status = tunnel(topology.client, relay.address, host, port)
            if ok or " 403 " not in f" {status} ":
                raise CutNotEffectiveError(f"the relay is not an allowlist of origins: "
                                           f"CONNECT {host}:{port} answered {status!r}")
            said += f", and one to the index's host on another port ({host}:{port})"
        return said

    # what an index of the run's own does, and an existing one never: one line each
    def restore(self) -> None:
        raise OfflineIndexError("an existing index is not cut: there is nothing to restore")

    def warm(self, requirements: Sequence[str] = (), *,
             requirements_file: Path | str | None = None,
             pythons: Sequence[str | Target] | None = None) -> dict[str, WarmResult]:
        raise OfflineIndexError("an existing index is checked as it is: it is not warmed")

    def cut(self) -> str:
        raise OfflineIndexError("an existing index is not cut: its client is isolated")

    def verify_cut(self) -> None:
        self.isolation()

    def fresh_venv(self, python: str | Target | None = None, name: str | None = None,
                   installer: str | None = None) -> FreshVenv:
        if self._venvs is None:
            raise OfflineIndexError("the existing index's check is not started: call start()")
        return self._venvs.fresh(python, name, installer)

    def upstream_stats(self) -> RelayStats:
        """What the client fetched through the relay so far."""
        return self._relay.stats() if self._relay is not None else RelayStats()

    def sources(self) -> str | None:
        """Where the files of this thread's last install came from, as the origin check
        judged them by the relay's records: how many from the index, how many from each
        allowed host (None: no install judged yet)."""
        return self.witness.last()

    def _topology(self) -> Topology:
        if self.topology is None:
            raise OfflineIndexError("the existing index's check is not started")
        return self.topology

    def _started_relay(self) -> Relay:
        if self._relay is None:
            raise OfflineIndexError("the existing index's check is not started")
        return self._relay

