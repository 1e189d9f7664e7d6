"""The run's network: three namespaces of its own, held by a process of the run, none named.

::

    gateway ns ──veth "uplink"── server ns (devpi) ──veth "lan"── client ns (pip, venvs)
    relay's listening address      default route via gateway      no default route
    (a /32 on its loopback)        ── cut: deleted ──

The namespaces live in a user namespace of the run (:mod:`.holder`), so any user can make
them, and the kernel removes them when the run ends, however it ends. The root namespace
gets no link, address, route, nftables table or sysctl. The only way out is the relay, whose
listening socket is made in the gateway namespace on an address the server reaches *only*
through its default route, so deleting that route really cuts it. The namespaces are
private, so their addresses cannot collide with the host's or another run's.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import TopologyError
from .sandbox import CLIENT, GATEWAY, SERVER, Place, Sandbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Addressing:
    """Two /30 links inside ``subnet``, and the relay's address outside it."""

    subnet: ipaddress.IPv4Network
    gateway: ipaddress.IPv4Address  # the relay listens here, on the gateway's loopback

    def _host(self, n: int) -> ipaddress.IPv4Address:
        return self.subnet.network_address + n

    @property
    def uplink_gateway(self) -> ipaddress.IPv4Address:
        return self._host(1)

    @property
    def uplink_server(self) -> ipaddress.IPv4Address:
        return self._host(2)

    @property
    def lan_server(self) -> ipaddress.IPv4Address:
        return self._host(5)

    @property
    def lan_client(self) -> ipaddress.IPv4Address:
        return self._host(6)

    def links(self) -> dict[str, str]:
        """What the holder needs to build the links, by name."""
        return {name: str(getattr(self, name)) for name in (
            "gateway", "uplink_gateway", "uplink_server", "lan_server", "lan_client")}


class Topology:
    """The three namespaces of one run. ``up()`` starts their holder; ``down()`` ends it.

    A process that did not start it (an xdist worker) gets a view with :meth:`attached`:
    it can do everything but end it.
    """

    def __init__(self, addressing: Addressing) -> None:
        self.addressing = addressing
        self.sandbox: Sandbox | None = None
        self._control: str | None = None

    @classmethod
    def attached(cls, addressing: Addressing, control: str) -> Topology:
        topology = cls(addressing)
        topology._control = control
        return topology

    @property
    def control(self) -> str:
        """The holder's control socket: how another process of the run attaches."""
        if self._control is None:
            raise TopologyError("the run's namespaces are not up")
        return self._control

    @property
    def gateway(self) -> Place:
        return Place(self.control, GATEWAY)

    @property
    def server(self) -> Place:
        return Place(self.control, SERVER)

    @property
    def client(self) -> Place:
        return Place(self.control, CLIENT)

    @property
    def is_cut(self) -> bool:
        """Whether the server namespace has no default route — read from the kernel, so it
        is true for every process sharing this topology, whoever cut it."""
        return not self.default_routes(self.server)

    def up(self, remove: Sequence[Path] = ()) -> Topology:
        """Build the namespaces. ``remove``: dirs the holder deletes if this process dies."""
        self.sandbox = Sandbox(self.addressing.links(), remove).start()
        self._control = self.sandbox.control
        return self

    def keep(self) -> None:
        """Let the holder end without removing the dirs ``up`` named."""
        if self.sandbox is not None:
            self.sandbox.keep()

    def down(self) -> None:
        """End the holder: what runs inside is killed, the namespaces go. Safe twice."""
        if self.sandbox is not None:
            self.sandbox.close()
            self.sandbox = None
        self._control = None

    def default_routes(self, place: Place) -> list[str]:
        """Default routes (IPv4 and IPv6, main table) of one of this run's namespaces."""
        reply, _ = place.ask({"op": "routes"})
        return list(reply["routes"])

    def listener(self, port: int = 0) -> socket.socket:
        """A listening TCP socket on the relay's address, made inside the gateway namespace."""
        return self.gateway.socket(bind=(str(self.addressing.gateway), port), listen=128)

    def cut(self) -> None:
        """Delete the server namespace's default route (never the root namespace's)."""
        self.server.ask({"op": "cut"})
        log.info("cut: the server namespace's default route is deleted")

    def restore(self) -> None:
        self.server.ask({"op": "restore"})

    def __enter__(self) -> Topology:
        return self.up()

    def __exit__(self, *exc: object) -> None:
        self.down()
