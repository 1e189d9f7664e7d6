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
On a host whose way out is a proxy, it asks that proxy for each tunnel (:mod:`.host_proxy`).
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
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .certificate import issuer_of
from .host_proxy import Proxies
from .records import (
    USUAL_PORTS,
    ConnectFailed,
    RelayEvent,
    RelayRequest,
    RelayStats,
    answered,
    origin_name,
    split_origin,
)
from .upstream import HEADER_LIMIT, direct, tunnel

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
CHUNK = 64 * 1024
HOP_BY_HOP = (b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive")
TALLY_EVERY = 0.25  # seconds between the tally file's byte counts (requests: at once)
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
            return await tunnel(proxy, host, port, self.connect_timeout, self._fail)
        return await direct(host, port, self.connect_timeout, self._fail)

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
                             None if path is None else lambda head: learnt(**answered(head, url)))
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


async def _answer(writer: asyncio.StreamWriter, status: int, text: str) -> None:
    reason = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway"}[status]
    body = (text + "\n").encode()
    writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
                 f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    with contextlib.suppress(OSError):
        await writer.drain()
