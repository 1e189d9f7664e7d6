"""What the relay keeps of each request, event and byte: plain records, and the names of
origins (``host:port``) they are kept under. Read by the origin check, which needs no sockets
to judge them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

USUAL_PORTS = (443, 80)  # what an allowed bare host admits: https's and http's


def origin_name(host: str, port: int | None = None) -> str:
    """An origin as an allowlist writes it: ``host``, ``host:port``, ``[v6]``, ``[v6]:port``."""
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


def split_origin(entry: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` (a bare v6 address has no port):
    the host, lower-case, and the port (None: none named). ValueError names a bad port."""
    entry = entry.strip()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise ValueError(f"{rest!r} after the address is not ':PORT'")
        port_text = rest[1:] if rest else None
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
    else:  # a host name, or a bare IPv6 address (its colons are no port)
        host, port_text = entry, None
    if port_text is None:
        return host.lower(), None
    if not port_text:
        raise ValueError("no port after ':'")
    if not port_text.isdigit():
        raise ValueError(f"the port {port_text!r} is not a number")
    if not 1 <= (port := int(port_text)) <= 65535:
        raise ValueError(f"the port {port} is not a TCP port (1-65535)")
    return host.lower(), port


@dataclass(frozen=True)
class RelayRequest:
    """One request a client asked the relay to carry: its real target, what came of it."""

    scheme: str  # "http": an absolute URI, seen whole; "https": CONNECT, a tunnel
    host: str
    port: int
    path: str | None  # http: the path (and query) asked for; https: None (it is inside)
    at: float  # time.monotonic() when it was asked
    refused: bool = False  # the allowlist turned it away
    status: int | None = None  # http: the upstream's answer
    location: str | None = None  # http: where a redirect sent the client, absolute

    @property
    def origin(self) -> str:
        return origin_name(self.host, self.port)

    @property
    def url(self) -> str:
        """The real target: http's URL, or ``https://host:port`` for a tunnel."""
        return f"{self.scheme}://{self.origin}{self.path or ''}"


@dataclass(frozen=True)
class RelayEvent:
    """Why one upstream connection did not happen, as the relay saw it."""

    kind: str  # "refused-host", "dns", "refused", "timeout", "connect", "proxy"
    host: str
    port: int
    detail: str
    at: float

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True)
class RelayStats:
    """Requests and bytes that crossed the gap (upstream-bound ``sent``, back ``received``)."""

    requests: int = 0
    sent: int = 0
    received: int = 0

    @property
    def bytes(self) -> int:
        return self.sent + self.received

    def __sub__(self, other: RelayStats) -> RelayStats:
        return RelayStats(self.requests - other.requests, self.sent - other.sent,
                          self.received - other.received)


def read_tally(path: Path) -> RelayStats:
    """The counts a relay of another process keeps in ``path`` (zero before its first)."""
    try:
        return RelayStats(*(int(n) for n in path.read_text().split()))
    except (OSError, ValueError, TypeError):
        return RelayStats()


class ConnectFailed(Exception):
    def __init__(self, event: RelayEvent) -> None:
        super().__init__(event.detail)
        self.event = event


def answered(head: bytes, url: str) -> dict[str, Any]:
    """An http answer's status and, for a redirect, its absolute ``Location``."""
    lines = head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    words = lines[0].split(b" ", 2)
    status = int(words[1]) if len(words) > 1 and words[1].isdigit() else None
    location = next((line.split(b":", 1)[1].strip().decode("latin-1") for line in lines[1:]
                     if line.lower().startswith(b"location:")), None)
    return {"status": status,
            "location": urljoin(url, location) if location and status and
            300 <= status < 400 else None}
