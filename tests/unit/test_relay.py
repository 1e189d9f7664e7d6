"""The relay, on loopback: it carries only allowed hosts, counts what crossed, names failures.

No privileges needed: the relay does not care where its listening socket was made, so here
it is a plain loopback socket, and the upstream is a real HTTP server on loopback.
"""

from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.relaying import make_relay, via


@pytest.fixture
def origin(tmp_path: Path) -> Iterator[tuple[str, int]]:
    (tmp_path / "page.txt").write_bytes(b"x" * 5000)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None  # type: ignore[assignment]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", server.server_address[1]
    server.shutdown()
    server.server_close()


def test_an_allowed_host_is_carried_and_every_byte_counted(origin) -> None:
    host, port = origin
    with make_relay(f"{host}:{port}") as relay, via(relay) as session:
        answer = session.get(f"http://{host}:{port}/page.txt", timeout=10)
        assert answer.status_code == 200 and answer.content == b"x" * 5000
        stats = relay.stats()
        assert stats.requests == 1
        assert stats.received > 5000  # the body and the response head
        assert stats.sent > 0
        assert relay.events() == []


def test_a_connect_tunnel_is_carried(origin) -> None:
    host, port = origin
    with make_relay(f"{host}:{port}") as relay, socket.create_connection(
            relay.address, timeout=5) as sock:
        sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\n\r\n".encode())
        stream = sock.makefile("rb")
        assert stream.readline().startswith(b"HTTP/1.1 200")
        stream.readline()  # the blank line ending the relay's answer
        sock.sendall(b"GET /page.txt HTTP/1.0\r\n\r\n")
        body = stream.read()
    assert body.startswith(b"HTTP/1.0 200") and body.endswith(b"x" * 5000)
    assert relay.stats().received == len(body)


def test_a_host_outside_the_allowlist_is_refused_and_named(origin) -> None:
    host, port = origin
    with make_relay("pypi.org") as relay, via(relay) as session:
        answer = session.get(f"http://{host}:{port}/page.txt", timeout=10)
        assert answer.status_code == 403
        (event,) = relay.events()
        assert event.kind == "refused-host"
        assert f"the relay refused {host}:{port}: not an allowed host" in str(event)
        assert f"--offline-index-allow-host {host}:{port}" in str(event)
        assert relay.stats().requests == 0


def test_a_refused_connection_is_named_with_its_address() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    with make_relay(f"127.0.0.1:{port}") as relay:
        event = relay.reach("127.0.0.1", port)
    assert event is not None and event.kind == "refused"
    assert str(event) == f"127.0.0.1 at 127.0.0.1:{port} refused the connection"


def test_a_name_that_does_not_resolve_is_named() -> None:
    with make_relay("no-such-host.invalid") as relay:
        event = relay.reach("no-such-host.invalid", 443)
    assert event is not None and event.kind == "dns"
    assert str(event).startswith("the relay could not resolve no-such-host.invalid")


def test_a_reachable_host_reports_no_failure_and_no_traffic(origin) -> None:
    with make_relay("{}:{}".format(*origin)) as relay:
        assert relay.reach(*origin) is None
        assert relay.stats().requests == 0 and relay.events() == []


def test_closing_with_a_tunnel_open_ends_it_quietly(origin, caplog) -> None:
    relay = make_relay("{}:{}".format(*origin))
    with socket.create_connection(relay.address, timeout=5) as sock:
        sock.sendall(f"CONNECT {origin[0]}:{origin[1]} HTTP/1.1\r\n\r\n".encode())
        assert sock.makefile("rb").readline().startswith(b"HTTP/1.1 200")
        relay.close()  # devpi keeps its tunnels open: they end with the relay
        assert sock.recv(1) == b""
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []
