"""An allowed host may name its port: ``host`` admits ports 443 and 80, ``host:port`` that
port alone; a bad port is one line naming the value and the fix. The relay lets through an
origin — host *and* port — and records each request's real target, redirects included.

The relay runs on loopback here (it does not care where its listening socket was made), with
real HTTP servers on loopback as the upstreams.
"""

from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pytest_offline_index.errors import SettingsError
from pytest_offline_index.inputs.settings import Settings
from pytest_offline_index.relay.records import split_origin
from pytest_offline_index.relay.relay import Relay
from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.relaying import make_relay, via

FIX = "give the host (its ports 443 and 80) or host:port (that port alone)"


@pytest.mark.parametrize(("value", "named"), [
    ("files.example:99999", "'files.example:99999': the port 99999 is not a TCP port (1-65535)"),
    ("files.example:abc", "'files.example:abc': the port 'abc' is not a number"),
    ("files.example:0", "the port 0 is not a TCP port"),
    ("files.example:", "'files.example:': no port after ':'"),
    ("[::1]:99999", "'[::1]:99999': the port 99999 is not a TCP port"),
    ("bad_host!:8080", "'bad_host!:8080' is not a host name or an IP address"),
])
def test_a_bad_port_is_one_line_naming_the_value_and_the_fix(value: str, named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.resolve(cli={"allow_hosts": [value]})
    said = str(caught.value)
    assert said.startswith("allow-host: ") and named in said and FIX in said
    assert "\n" not in said


@pytest.mark.parametrize("value", ["files.example:99999", "files.example:abc"])
def test_a_bad_port_on_the_command_line_is_a_usage_error(pytester, value: str) -> None:
    """One line, exit 4, no traceback, nothing left behind: refused before anything starts."""
    before = machine_snapshot()
    runs = pytester.mkdir("runs")
    result = pytester.runpytest_subprocess("--offline-index", "-p", "no:cacheprovider",
                                           f"--offline-index-workdir={runs}",
                                           "--offline-index-allow-host", value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1 and f"allow-host: {value!r}" in errors[0], result.stderr.str()
    assert FIX in errors[0]
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert list(runs.iterdir()) == []  # no work dir: refused before anything starts
    assert snapshot_diff(before, machine_snapshot()) == {}


def test_entries_are_kept_as_the_relay_reads_them() -> None:
    settings = Settings.resolve(cli={
        "index_url": "http://Repo.example:8080/simple/",
        "allow_hosts": ["CDN.example", "cdn.example:8443", "::1", "[::1]:8080", "10.0.0.1:80"]})
    assert settings.allowed_hosts == ("repo.example:8080", "cdn.example", "cdn.example:8443",
                                      "[::1]", "[::1]:8080", "10.0.0.1:80")
    assert [split_origin(e) for e in settings.allowed_hosts] == [
        ("repo.example", 8080), ("cdn.example", None), ("cdn.example", 8443), ("::1", None),
        ("::1", 8080), ("10.0.0.1", 80)]


def test_a_bare_host_admits_its_usual_ports_and_a_named_port_that_alone() -> None:
    relay = Relay(socket.socket(), ["cdn.example", "files.example:8443", "[::1]:8080"])
    try:
        assert relay.allows("cdn.example", 443) and relay.allows("CDN.example", 80)
        assert not relay.allows("cdn.example", 8443)
        assert relay.allows("files.example", 8443)
        assert not relay.allows("files.example", 443) and not relay.allows("files.example", 80)
        assert relay.allows("[::1]", 8080) and not relay.allows("::1", 8081)
    finally:
        relay.close()


class Redirecting(SimpleHTTPRequestHandler):
    """Answers ``/moved/<name>`` with a 302 to ``Location`` + name (set per server)."""

    location = ""

    def do_GET(self) -> None:
        if self.path.startswith("/moved/"):
            self.send_response(302)
            self.send_header("Location", self.location + self.path.rsplit("/", 1)[-1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(directory: Path, location: str = "") -> tuple[ThreadingHTTPServer, int]:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "file.whl").write_bytes(b"w" * 3000)
    handler = type("Handler", (Redirecting,), {"location": location})
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(handler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[int, int]]:
    """The index on one port, a CDN on another port of the same host; the index's
    ``/moved/`` redirects to the CDN's ``/``."""
    cdn, cdn_port = serve(tmp_path / "cdn")
    index, index_port = serve(tmp_path / "index", f"http://127.0.0.1:{cdn_port}/")
    yield index_port, cdn_port
    for server in (index, cdn):
        server.shutdown()
        server.server_close()


def test_another_port_of_an_allowed_host_is_refused_and_recorded(two_servers) -> None:
    index, cdn = two_servers
    with make_relay(f"127.0.0.1:{index}") as relay, via(relay) as session:
        assert session.get(f"http://127.0.0.1:{index}/file.whl", timeout=10).status_code == 200
        refused = session.get(f"http://127.0.0.1:{cdn}/file.whl", timeout=10)
        assert refused.status_code == 403
        assert f"the relay refused 127.0.0.1:{cdn}: not an allowed host" in refused.text
        assert f"--offline-index-allow-host 127.0.0.1:{cdn}" in refused.text
        seen = relay.requests()
    assert [(r.url, r.refused, r.status) for r in seen] == [
        (f"http://127.0.0.1:{index}/file.whl", False, 200),
        (f"http://127.0.0.1:{cdn}/file.whl", True, None)]


def test_a_redirect_is_recorded_with_where_it_sent_the_client(two_servers) -> None:
    index, cdn = two_servers
    with make_relay(f"127.0.0.1:{index}", f"127.0.0.1:{cdn}") as relay, via(relay) as session:
        answer = session.get(f"http://127.0.0.1:{index}/moved/file.whl", timeout=10)
        assert answer.status_code == 200 and answer.content == b"w" * 3000
        seen = relay.requests()
    assert [(r.url, r.status, r.location) for r in seen] == [
        (f"http://127.0.0.1:{index}/moved/file.whl", 302, f"http://127.0.0.1:{cdn}/file.whl"),
        (f"http://127.0.0.1:{cdn}/file.whl", 200, None)]


def test_a_tunnel_is_recorded_by_its_host_and_port(two_servers) -> None:
    index, cdn = two_servers
    with make_relay(f"127.0.0.1:{index}") as relay:
        for port, answer in ((index, b"HTTP/1.1 200"), (cdn, b"HTTP/1.1 403")):
            with socket.create_connection(relay.address, timeout=5) as sock:
                sock.sendall(f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n".encode())
                assert sock.makefile("rb").readline().startswith(answer)
        seen = relay.requests()
    assert [(r.scheme, r.origin, r.path, r.refused) for r in seen] == [
        ("https", f"127.0.0.1:{index}", None, False), ("https", f"127.0.0.1:{cdn}", None, True)]
