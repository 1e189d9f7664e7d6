"""A relay on the host's loopback for unit tests, and a requests session that goes through
it (and nowhere else: no proxy from the environment)."""

from __future__ import annotations

import socket

import requests

from pytest_offline_index.relay.relay import Relay


def make_relay(*allow: str) -> Relay:
    """A started relay letting through ``allow`` (``host`` or ``host:port``) alone."""
    return Relay(socket.create_server(("127.0.0.1", 0)), allow, connect_timeout=2).start()


def via(relay: Relay) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"http": relay.url, "https": relay.url}
    return session
