"""A forward proxy on the host's loopback that demands Basic credentials of any characters.

Debian's tinyproxy (tinyproxy.py) takes only ``[-a-z0-9._]`` in its ``BasicAuth``: a
password holding ``/``, ``@``, ``#``, ``?`` or ``:`` needs a proxy of the test's own. It
answers ``CONNECT host:port`` alone (the relay asks for nothing else): 407 without the
credentials, else a tunnel, and records each one it opened.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import socketserver
import threading
from urllib.parse import quote


class AuthProxy:
    """``CONNECT``-only proxy on 127.0.0.1 requiring ``user`` and ``password``."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.tunnels: list[str] = []  # host:port of each CONNECT it let through
        self.refused = 0  # CONNECTs without the right credentials
        self._server: socketserver.ThreadingTCPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def url(self, with_credentials: bool = True) -> str:
        """Its URL, the credentials percent-encoded as a URL needs them."""
        auth = (f"{quote(self.user, safe='')}:{quote(self.password, safe='')}@"
                if with_credentials else "")
        return f"http://{auth}127.0.0.1:{self.port}"

    def start(self) -> AuthProxy:
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        socketserver.ThreadingTCPServer.daemon_threads = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> AuthProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, target, _ = [*lines[0].split(" "), "", ""][:3]
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in lines[1:])}
        if method != "CONNECT" or headers.get("proxy-authorization") != self.expected:
            self.refused += 1
            client.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                           b"Proxy-Authenticate: Basic realm=\"leak\"\r\n"
                           b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            return
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=30)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        self.tunnels.append(target)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        with upstream:
            pump = threading.Thread(target=_copy, args=(upstream, client), daemon=True)
            pump.start()
            _copy(client, upstream)
            pump.join(timeout=60)


def _copy(source: socket.socket, sink: socket.socket) -> None:
    """Bytes from ``source`` to ``sink`` until ``source`` ends; then end ``sink``'s side."""
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
