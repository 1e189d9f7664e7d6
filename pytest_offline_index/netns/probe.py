"""Reachability probes from inside a namespace, to prove a cut (or a path) is real.

Addresses are resolved *before* the cut, in the host's namespace, because the run's
namespaces cannot resolve names at all; the probes then connect to raw addresses of both
families with sockets the holder made inside the namespace.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .sandbox import Place

CONNECT_TIMEOUT = 3.0


@dataclass(frozen=True)
class Endpoint:
    family: int  # socket.AF_INET or socket.AF_INET6
    address: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.address}]" if self.family == socket.AF_INET6 else self.address
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class ProbeResult:
    endpoint: Endpoint
    reachable: bool
    detail: str


def endpoints_for(urls: Iterable[str]) -> list[Endpoint]:
    """Every IPv4 and IPv6 address the hosts of ``urls`` resolve to (in this namespace)."""
    found: dict[tuple[int, str, int], Endpoint] = {}
    for url in urls:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
        except socket.gaierror:
            continue
        for family, _, _, _, sockaddr in infos:
            if family in (socket.AF_INET, socket.AF_INET6):
                key = (family, str(sockaddr[0]), port)
                found[key] = Endpoint(family, str(sockaddr[0]), port)
    return list(found.values())


def probe(place: Place, endpoints: Sequence[Endpoint],
          timeout: float = CONNECT_TIMEOUT) -> list[ProbeResult]:
    """Try a TCP connect to every endpoint from inside ``place``."""
    results = []
    for endpoint in endpoints:
        try:
            place.connect((endpoint.address, endpoint.port), endpoint.family, timeout).close()
            results.append(ProbeResult(endpoint, True, "connected"))
        except OSError as exc:
            results.append(ProbeResult(endpoint, False, exc.strerror or type(exc).__name__))
    return results


def tunnel(place: Place, relay: tuple[str, int], host: str, port: int,
           timeout: float = CONNECT_TIMEOUT * 3) -> tuple[bool, str]:
    """From inside ``place``, ask the relay for a tunnel to ``host:port``.

    Returns whether the relay answered 200 and its status line (or the connect error).
    """
    try:
        with place.connect(relay, socket.AF_INET, timeout) as sock:
            sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n"
                         .encode())
            status = sock.makefile("rb").readline().decode("latin-1").strip()
    except OSError as exc:
        return False, f"relay {relay[0]}:{relay[1]}: {exc.strerror or type(exc).__name__}"
    return status.split(" ")[1:2] == ["200"], status or "no answer"
