"""Who issued the certificate a host shows, read the relay's way there: what a user needs to
find the CA bundle devpi should have been given (a TLS-inspecting proxy's CA, say).

Real certificates from ``openssl``, a real TLS server on loopback, a real relay; no root.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_offline_index.relay.certificate import NotACertificate, issuer_of
from pytest_offline_index.relay.relay import Relay

CA_NAME = "/C=DE/O=Inspecting Proxy Ltd/OU=Egress/CN=Inspecting Proxy Root CA"


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def leaf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A server certificate for 127.0.0.1 signed by a CA whose name differs from its own."""
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", CA_NAME, "-keyout", str(d / "ca.key"),
            "-out", str(d / "ca.pem"))
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-subj", "/O=Some Upstream/CN=127.0.0.1", "-keyout", str(d / "leaf.key"),
            "-out", str(d / "leaf.csr"))
    (d / "ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", str(d / "leaf.csr"), "-CA", str(d / "ca.pem"),
            "-CAkey", str(d / "ca.key"), "-CAcreateserial", "-days", "1",
            "-extfile", str(d / "ext"), "-out", str(d / "leaf.pem"))
    return d / "leaf.pem", d / "leaf.key"


@pytest.fixture
def tls_server(leaf: tuple[Path, Path]) -> Iterator[int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*leaf)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.settimeout(5)
                    tls.recv(1)  # until the client closes
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


def test_the_issuer_is_read_from_the_certificate_not_its_subject(leaf) -> None:
    der = ssl.PEM_cert_to_DER_cert(leaf[0].read_text())
    assert issuer_of(der) == ("CN=Inspecting Proxy Root CA, O=Inspecting Proxy Ltd, "
                              "OU=Egress, C=DE")


def test_bytes_that_are_no_certificate_are_said_to_be_none() -> None:
    with pytest.raises(NotACertificate):
        issuer_of(b"\x30\x82\x01")


def test_the_relay_names_who_issued_what_a_host_shows(tls_server) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    with Relay(listener, [f"127.0.0.1:{tls_server}", "127.0.0.1:9"],
               connect_timeout=2).start() as relay:
        assert relay.peer_issuer("127.0.0.1", tls_server) == (
            "CN=Inspecting Proxy Root CA, O=Inspecting Proxy Ltd, OU=Egress, C=DE")
        assert relay.peer_issuer("127.0.0.1", 9) is None  # nothing listens there
        assert relay.stats().requests == 0  # a look on the harness's behalf, not a crossing
