"""HTTP from inside a namespace: a ``requests`` session whose connections are sockets the
holder made there. No thread enters the namespace, and the host's namespace needs no link to
it; the session is used like any other (devpi's API, its file listing, readiness)."""

from __future__ import annotations

import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool

from .sandbox import Place


def session_in(place: Place) -> requests.Session:
    """A session whose every ``http://`` connection starts inside ``place``; it trusts
    nothing of the environment (no proxy, no netrc)."""
    connection = type("PlacedConnection", (_PlacedConnection,), {"place": place})
    pool = type("PlacedPool", (HTTPConnectionPool,), {"ConnectionCls": connection})
    session = requests.Session()
    session.trust_env = False
    adapter = _PlacedAdapter(pool)
    session.mount("http://", adapter)
    return session


class _PlacedConnection(HTTPConnection):
    place: Place

    def _new_conn(self) -> socket.socket:
        timeout = self.timeout if isinstance(self.timeout, (int, float)) else None
        sock: socket.socket = self.place.connect((self.host, self.port), socket.AF_INET,
                                                 timeout)
        # urllib3's own options (TCP_NODELAY): requests sends a body apart from its
        # headers, and Nagle would hold it for the peer's delayed ACK (~40 ms a request)
        for option in self.socket_options or ():
            sock.setsockopt(*option)
        return sock


class _PlacedAdapter(HTTPAdapter):
    def __init__(self, pool: type[HTTPConnectionPool]) -> None:
        self._pool = pool
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": self._pool}
