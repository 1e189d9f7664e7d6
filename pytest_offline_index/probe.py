"""TCP reachability probes, run inside a namespace to prove a cut (or a link) is real.

Addresses are resolved *before* the cut, in the root namespace, because after the cut the
server namespace cannot resolve names either; the probe then connects to raw addresses of
both families.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .nsexec import ns_command

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
                key = (family, sockaddr[0], port)
                found[key] = Endpoint(family, sockaddr[0], port)
    return list(found.values())


# Runs inside the namespace as ``python -c``: stdlib only, so it imports nothing of ours.
PROBE_SCRIPT = """
import json, socket, sys
timeout = float(sys.argv[1])
out = []
for spec in sys.argv[2:]:
    family, address, port = spec.split(",")
    try:
        with socket.socket(int(family), socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect((address, int(port)))
        out.append([True, "connected"])
    except OSError as exc:
        out.append([False, exc.strerror or type(exc).__name__])
print(json.dumps(out))
"""


def probe(namespace: str, endpoints: Sequence[Endpoint],
          timeout: float = CONNECT_TIMEOUT) -> list[ProbeResult]:
    """Try a TCP connect to every endpoint from inside ``namespace``."""
    if not endpoints:
        return []
    argv = [sys.executable, "-I", "-S", "-c", PROBE_SCRIPT, str(timeout)]
    argv += [f"{e.family},{e.address},{e.port}" for e in endpoints]
    done = subprocess.run(ns_command(namespace, argv), capture_output=True, text=True,
                          timeout=timeout * len(endpoints) + 30, check=True)
    rows = json.loads(done.stdout)
    return [ProbeResult(endpoint, reachable, detail)
            for endpoint, (reachable, detail) in zip(endpoints, rows, strict=True)]
