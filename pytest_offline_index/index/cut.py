"""The cut and its proof: the server loses its default route, and neither host can reach
the relay or any upstream address afterwards, by a real attempt from each."""

from __future__ import annotations

import ipaddress
import socket
import threading
from urllib.parse import urlsplit

from ..errors import CutNotEffectiveError, SettingsError
from ..inputs.settings import Settings
from ..netns import Endpoint, Topology, endpoints_for, probe, tunnel
from ..relay.host_proxy import relay_proxies
from ..util.redaction import redacted
from ..util.words import count

HOSTS = {"srv": "the server host", "cli": "the client host"}  # in messages


def upstream_port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


class CutProof:
    """Cuts ``topology`` and proves the cut, against the relay at ``relay`` and every
    upstream address in ``endpoints``."""

    def __init__(self, topology: Topology, relay: tuple[str, int],
                 endpoints: list[Endpoint], upstream: str) -> None:
        self.topology = topology
        self.relay = relay
        self.endpoints = endpoints
        self.host = urlsplit(upstream).hostname or ""
        self.port = upstream_port(upstream)
        self._verifying = threading.Lock()  # checks on several threads each verify the cut

    def cut(self) -> str:
        """Cut the server off and prove it; returns what the proof checked."""
        ok, status = tunnel(self.topology.server, self.relay, self.host, self.port)
        if not ok:
            raise CutNotEffectiveError(
                f"cannot prove a cut: before it, the server could not reach "
                f"{self.host}:{self.port} through the relay ({status})")
        self.topology.cut()
        self.verify()
        addresses = count(len(self.endpoints), "upstream address", "upstream addresses")
        return f"relay and {addresses} unreachable from server and client"

    def verify(self) -> None:
        """Raise CutNotEffectiveError unless neither host reaches the relay or upstream."""
        with self._verifying:
            self._verify()

    def _verify(self) -> None:
        topo = self.topology
        relay = Endpoint(socket.AF_INET, *self.relay)
        for place in (topo.server, topo.client):
            host = HOSTS[place.role]
            if routes := topo.default_routes(place):
                raise CutNotEffectiveError(
                    f"the cut did not take effect: {host} still has a default route "
                    f"({routes[0]})")
            for result in probe(place, [relay, *self.endpoints]):
                if result.reachable:
                    what = "the relay at " if result.endpoint == relay else ""
                    raise CutNotEffectiveError(
                        f"the cut did not take effect: {host} still reaches {what}"
                        f"{result.endpoint}")
            ok, status = tunnel(place, self.relay, self.host, self.port)
            if ok:
                raise CutNotEffectiveError(
                    f"the cut did not take effect: {host} still tunnels to the upstream "
                    f"through the relay ({status})")

    def restore(self) -> None:
        if self.topology.is_cut:
            self.topology.restore()


def upstream_endpoints(settings: Settings) -> list[Endpoint]:
    """Addresses that must become unreachable: every allowed host's, resolved on the host,
    and the host's proxy's, if the relay goes through one.

    Behind a proxy, the upstream need not resolve here (the proxy resolves it; names the
    host cannot resolve, the run's namespaces cannot either). One address inside the run's
    own addressing would be shadowed by the run's links: refused.
    """
    parts = urlsplit(settings.upstream)
    urls = [settings.upstream,
            *(f"{parts.scheme}://{host}/" for host in settings.allowed_hosts[1:])]
    proxy = relay_proxies(settings.upstream_proxy).for_host(parts.scheme,
                                                            parts.hostname or "")
    if proxy is not None:
        urls.append(f"http://{proxy.host}:{proxy.port}/")
    endpoints = endpoints_for(urls)
    if proxy is None and not endpoints_for([settings.upstream]):
        raise SettingsError(
            f"upstream {redacted(settings.upstream)}: its host does not resolve; check "
            f"--offline-index-upstream")
    for endpoint in endpoints:
        address = ipaddress.ip_address(endpoint.address)
        if address in settings.subnet or address == settings.gateway:
            raise SettingsError(
                f"upstream address {address} collides with the run's own addressing "
                f"({settings.subnet}, relay {settings.gateway}); choose others with "
                f"--offline-index-subnet and --offline-index-gateway")
    return endpoints
