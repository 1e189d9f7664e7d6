"""The relay: the one way out of the run's namespaces, an HTTP(S) forward proxy.

Its listening socket is handed in ready-made — the harness makes it inside the gateway
namespace — and it is served from this process, whose outbound connections leave from the
host's own namespace: names resolve exactly as on the host, and no packet of the run crosses
the host's forward hook. It lets through only allowed origins (``CONNECT host:port`` for https,
absolute-URI requests for http): an entry ``host:port`` admits that port alone, a bare ``host``
its usual ports (443 and 80). It counts every request and byte that crossed the gap, records
each request's real target (for http the URL, and a redirect's ``Location``; for https the
tunnel's ``host:port``), and remembers why a connection failed, so a warm that cannot reach
the upstream names the cause.
On a host whose way out is a proxy, it asks that proxy for each tunnel (:mod:`.proxy`).
It knows nothing of namespaces, devpi or pytest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from .certificate import issuer_of
from .host_proxy import Proxies, UpstreamProxy

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
HEADER_LIMIT = 64 * 1024
CHUNK = 64 * 1024
HOP_BY_HOP = (b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive")
TALLY_EVERY = 0.25  # seconds between the tally file's byte counts (requests: at once)
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


class Relay:
    """Serve ``listener`` on a thread of this process until :meth:`close`."""

    def __init__(self, listener: socket.socket, allow: Iterable[str], *,
                 connect_timeout: float = CONNECT_TIMEOUT, tally: Path | None = None,
                 proxies: Proxies | None = None) -> None:
        self.listener = listener
        self.proxies = proxies or Proxies()  # the host's way out, if it has one
        # the counts, kept in a file too: other processes of the run read it (read_tally)
        self.tally = tally
        self._tallied = 0.0  # when the tally file was last written
        self._flush_due = False  # a write of the latest counts is scheduled
        self.allow = frozenset(split_origin(entry) for entry in allow)
        self.connect_timeout = connect_timeout
        self._stats = RelayStats()
        self._events: list[RelayEvent] = []
        self._requests: list[RelayRequest] = []  # every client request, in order
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.listener.getsockname()[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> Relay:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True,
                                        name="offline-index-relay")
        self._thread.start()
        ready.wait(10)
        return self

    def _serve(self, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        self.listener.setblocking(False)
        server = loop.run_until_complete(asyncio.start_server(
            self._client, sock=self.listener, limit=HEADER_LIMIT))
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.gather(*self._tasks, return_exceptions=True))
            loop.close()

    def close(self) -> None:
        """Stop serving and drop every open tunnel; safe twice."""
        if self._loop is not None and self._thread is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop = self._thread = None
        self.listener.close()

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what it saw --------------------------------------------------------------------

    def stats(self) -> RelayStats:
        with self._lock:
            return self._stats

    def events(self, since: float = 0.0) -> list[RelayEvent]:
        """Failed connections at or after ``since`` (a ``time.monotonic()`` value)."""
        with self._lock:
            return [e for e in self._events if e.at >= since]

    def requests(self, since: float = 0.0) -> list[RelayRequest]:
        """The requests clients asked it to carry at or after ``since``, refused ones too,
        each with its real target (and, for http, the upstream's answer)."""
        with self._lock:
            return [r for r in self._requests if r.at >= since]

    def allows(self, host: str, port: int) -> bool:
        """Whether ``host:port`` is on the list: named with that port, or bare and usual."""
        host = host.lower().strip("[]")
        return (host, port) in self.allow or (
            (host, None) in self.allow and port in USUAL_PORTS)

    def _record(self, request: RelayRequest) -> Callable[..., None]:
        """Keep ``request``; what is learnt of it later goes in through the returned call."""
        with self._lock:
            at = len(self._requests)
            self._requests.append(request)

        def learnt(**changes: Any) -> None:
            with self._lock:
                self._requests[at] = replace(self._requests[at], **changes)
        return learnt

    def _count(self, requests: int = 0, sent: int = 0, received: int = 0) -> None:
        with self._lock:
            s = self._stats
            self._stats = RelayStats(s.requests + requests, s.sent + sent,
                                     s.received + received)
            if requests or time.monotonic() - self._tallied >= TALLY_EVERY:
                self._write_tally()
            elif not self._flush_due and self._loop is not None:  # the last bytes too
                self._flush_due = True
                self._loop.call_later(TALLY_EVERY, self._flush_tally)

    def _flush_tally(self) -> None:
        with self._lock:
            self._flush_due = False
            self._write_tally()

    def _write_tally(self) -> None:
        """The counts into the tally file, whole or not at all (``os.replace``)."""
        if self.tally is None:
            return
        s, self._tallied = self._stats, time.monotonic()
        partial = self.tally.with_name(f".{self.tally.name}.{os.getpid()}")
        partial.write_text(f"{s.requests} {s.sent} {s.received}")
        os.replace(partial, self.tally)

    def _fail(self, kind: str, host: str, port: int, detail: str,
              record: bool = True) -> ConnectFailed:
        """A failure to report; ``record`` it unless another address may still work."""
        event = RelayEvent(kind, host, port, detail, time.monotonic())
        if record:
            with self._lock:
                self._events.append(event)
            log.warning("relay: %s", detail)
        return ConnectFailed(event)

    # -- connecting upstream ------------------------------------------------------------

    def reach(self, host: str, port: int, scheme: str = "https") -> RelayEvent | None:
        """Open (and close) one upstream connection as a client would; None if it worked."""
        if self._loop is None:
            raise RuntimeError("relay not started")

        async def attempt() -> RelayEvent | None:
            try:
                _, writer = await self._open(host, port, scheme)
            except ConnectFailed as exc:
                return exc.event
            writer.close()
            return None

        return asyncio.run_coroutine_threadsafe(attempt(), self._loop).result(
            self.connect_timeout * 4 + 30)

    def peer_issuer(self, host: str, port: int = 443) -> str | None:
        """Who issued the certificate ``host`` shows on the relay's way there (through the
        host's proxy too: a TLS-inspecting one shows its own); None if it shows none."""
        if self._loop is None:
            raise RuntimeError("relay not started")

        async def handshake() -> str | None:
            try:
                _, writer = await self._open(host, port)
            except ConnectFailed:
                return None
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # only to look
            try:
                transport = await asyncio.wait_for(asyncio.get_running_loop().start_tls(
                    writer.transport, writer.transport.get_protocol(), context,
                    server_hostname=host), self.connect_timeout)
            except (OSError, ValueError, asyncio.TimeoutError):
                writer.close()
                return None
            if transport is None:
                return None
            der = transport.get_extra_info("ssl_object").getpeercert(binary_form=True)
            transport.close()
            try:
                return issuer_of(der) if der else None
            except ValueError:  # not a certificate we can read: the reason alone is named
                return None

        return asyncio.run_coroutine_threadsafe(handshake(), self._loop).result(
            self.connect_timeout * 4 + 30)

    async def _open(self, host: str, port: int, scheme: str = "https",
                    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to an allowed upstream host: direct, or tunnelled through the
        host's proxy for ``scheme``."""
        host = host.lower().strip("[]")
        if not self.allows(host, port):
            allowed = sorted(origin_name(h, p) for h, p in self.allow)
            hint = origin_name(host, None if port in USUAL_PORTS else port)
            raise self._fail("refused-host", host, port,
                             f"the relay refused {origin_name(host, port)}: not an allowed "
                             f"host (allowed: {', '.join(allowed)}); add it with "
                             f"--offline-index-allow-host {hint}")
        if (proxy := self.proxies.for_host(scheme, host)) is not None:
            return await self._tunnel(proxy, host, port)
        return await self._direct(host, port)

    async def _tunnel(self, proxy: UpstreamProxy, host: str, port: int,
                      ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """``CONNECT host:port`` through ``proxy``; its refusal is named, its credentials
        are not."""
        reader, writer = await self._direct(proxy.host, proxy.port, name=str(proxy))
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
        if proxy.authorization:
            lines.append(f"Proxy-Authorization: {proxy.authorization}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        try:
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.connect_timeout)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError):
            writer.close()
            raise self._fail("proxy", host, port, f"{proxy} gave no answer to CONNECT "
                                                  f"{target}") from None
        status = head.split(b"\r\n", 1)[0].decode("latin-1", "replace").split(" ", 1)
        if len(status) < 2 or not status[1].startswith("2"):
            writer.close()
            answer = status[1].strip() if len(status) > 1 else repr(status[0])
            raise self._fail("proxy", host, port, f"{proxy} answered {answer} to CONNECT "
                                                  f"{target}")
        return reader, writer

    async def _direct(self, host: str, port: int, name: str | None = None,
                      ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A TCP connection to ``host`` (``name`` in messages), resolved and made here."""
        name = name or host
        loop = asyncio.get_running_loop()
        try:  # resolved here, in the host's namespace, with the host's resolver
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise self._fail("dns", host, port,
                             f"the relay could not resolve {name} ({exc.strerror})") from None
        last: ConnectFailed | None = None
        for family, _, _, _, sockaddr in infos:
            where = f"[{sockaddr[0]}]:{port}" if family == socket.AF_INET6 else (
                f"{sockaddr[0]}:{port}")
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
            except OSError as exc:
                last = self._fail("connect", host, port, f"{name} {where}: {exc.strerror}",
                                  record=False)
                continue
            sock.setblocking(False)
            try:
                await asyncio.wait_for(loop.sock_connect(sock, sockaddr), self.connect_timeout)
            except asyncio.TimeoutError:
                sock.close()
                last = self._fail("timeout", host, port,
                                  f"connecting to {name} at {where} timed out after "
                                  f"{self.connect_timeout:.0f}s", record=False)
                continue
            except ConnectionRefusedError:
                sock.close()
                last = self._fail("refused", host, port,
                                  f"{name} at {where} refused the connection", record=False)
                continue
            except OSError as exc:
                sock.close()
                last = self._fail("connect", host, port,
                                  f"connecting to {name} at {where} failed: "
                                  f"{exc.strerror or exc}", record=False)
                continue
            return await asyncio.open_connection(sock=sock, limit=HEADER_LIMIT)
        if last is None:
            raise self._fail("dns", host, port, f"the relay found no address for {name}")
        e = last.event
        raise self._fail(e.kind, e.host, e.port, e.detail)  # every address failed: record it

    # -- serving clients ----------------------------------------------------------------

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:  # the relay is closing: end quietly, not as an error
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, _, header_block = head.partition(b"\r\n")
        method, target, version = request_line.decode("latin-1").split(" ", 2)
        if method == "CONNECT":
            host, _, port_text = target.rpartition(":")
            host, port = host.strip("[]"), int(port_text)
            path = None
        else:
            parts = urlsplit(target)
            if parts.scheme != "http" or not parts.hostname:
                await _answer(writer, 400, "the relay takes CONNECT or absolute http URIs")
                return
            host = parts.hostname
            port = parts.port or 80
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        scheme = "https" if method == "CONNECT" else "http"
        learnt = self._record(RelayRequest(scheme, host.lower(), port, path, time.monotonic()))
        try:
            up_reader, up_writer = await self._open(host, port, scheme)
        except ConnectFailed as exc:
            status = 403 if exc.event.kind == "refused-host" else 502
            learnt(refused=status == 403)
            await _answer(writer, status, exc.event.detail)
            return
        self._count(requests=1)
        try:
            if method == "CONNECT":
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                await writer.drain()
            else:
                headers = [line for line in header_block.split(b"\r\n")
                           if line and line.split(b":", 1)[0].strip().lower() not in HOP_BY_HOP]
                forwarded = b"\r\n".join([
                    f"{method} {path} {version}".encode("latin-1"), *headers,
                    b"Connection: close", b"", b""])
                self._count(sent=len(forwarded))
                up_writer.write(forwarded)
                await up_writer.drain()
            url = f"http://{origin_name(host.lower(), port)}{path}"  # what the answer is to
            await self._pipe(reader, writer, up_reader, up_writer,
                             None if path is None else lambda head: learnt(**_answered(head, url)))
        finally:
            up_writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    up_reader: asyncio.StreamReader, up_writer: asyncio.StreamWriter,
                    on_head: Callable[[bytes], None] | None = None) -> None:
        """Both ways until either side closes; ``on_head`` gets the answer's head (http)."""
        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                       upstream_bound: bool) -> None:
            head = b"" if on_head is not None and not upstream_bound else None
            while data := await src.read(CHUNK):
                if upstream_bound:  # counted before it is passed on: a reader sees it counted
                    self._count(sent=len(data))
                else:
                    self._count(received=len(data))
                if head is not None and on_head is not None:  # looked at, never held back
                    head += data
                    if b"\r\n\r\n" in head or len(head) > HEADER_LIMIT:
                        on_head(head)
                        head = None
                dst.write(data)
                await dst.drain()

        tasks = [asyncio.ensure_future(pump(reader, up_writer, True)),
                 asyncio.ensure_future(pump(up_reader, writer, False))]
        try:
            # Either side closing ends the exchange (http requests go out "Connection: close").
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(OSError):
                await writer.drain()
            with self._lock:  # an exchange's last bytes reach the tally file too
                self._write_tally()


def _answered(head: bytes, url: str) -> dict[str, Any]:
    """An http answer's status and, for a redirect, its absolute ``Location``."""
    lines = head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    words = lines[0].split(b" ", 2)
    status = int(words[1]) if len(words) > 1 and words[1].isdigit() else None
    location = next((line.split(b":", 1)[1].strip().decode("latin-1") for line in lines[1:]
                     if line.lower().startswith(b"location:")), None)
    return {"status": status,
            "location": urljoin(url, location) if location and status and
            300 <= status < 400 else None}


async def _answer(writer: asyncio.StreamWriter, status: int, text: str) -> None:
    reason = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}[status]
    body = (text + "\n").encode()
    writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
                 f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    with contextlib.suppress(OSError):
        await writer.drain()
