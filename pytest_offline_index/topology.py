"""The run's network: three namespaces of its own, and nothing in the host's.

::

    gateway ns ──veth "uplink"── server ns (devpi) ──veth "lan"── client ns (pip, venvs)
    relay's listening address      default route via gateway      no default route
    (a /32 on its loopback)        ── cut: deleted ──

The root namespace gets no link, address, route, nftables table or sysctl. The only way out
is the relay, whose listening socket lives in the gateway namespace on an address the server
reaches *only* through its default route, so deleting that route really cuts it. The
namespaces are private, so their addresses cannot collide with the host's or another run's.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import secrets
import shutil
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyroute2 import IPRoute, netns

from . import runstate
from .errors import PrivilegeError, TopologyError
from .nsthread import NamespaceThread

log = logging.getLogger(__name__)

NAME_PREFIX = "oi"
CAP_NET_ADMIN = 12
MAIN_TABLE = 254


@dataclass(frozen=True)
class Names:
    """Every kernel object's name carries the run id; interface names fit in 15 bytes."""

    run_id: str

    @property
    def gateway_ns(self) -> str:
        return f"{NAME_PREFIX}-{self.run_id}-gw"

    @property
    def server_ns(self) -> str:
        return f"{NAME_PREFIX}-{self.run_id}-srv"

    @property
    def client_ns(self) -> str:
        return f"{NAME_PREFIX}-{self.run_id}-cli"

    @property
    def namespaces(self) -> list[str]:
        return [self.gateway_ns, self.server_ns, self.client_ns]

    @property
    def uplink_gateway(self) -> str:
        return f"oiu{self.run_id}g"

    @property
    def uplink_server(self) -> str:
        return f"oiu{self.run_id}s"

    @property
    def lan_server(self) -> str:
        return f"oil{self.run_id}s"

    @property
    def lan_client(self) -> str:
        return f"oil{self.run_id}c"


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


def check_privileges() -> None:
    """Raise PrivilegeError unless this process may create namespaces and links."""
    try:
        status = Path("/proc/self/status").read_text()
        cap_eff = int(next(ln.split()[1] for ln in status.splitlines()
                           if ln.startswith("CapEff:")), 16)
    except (OSError, StopIteration, ValueError):
        cap_eff = 0
    if os.geteuid() != 0 or not cap_eff & (1 << CAP_NET_ADMIN):
        raise PrivilegeError("needs root with CAP_NET_ADMIN to create network namespaces")
    if not os.path.exists("/proc/self/ns/net"):
        raise PrivilegeError("this kernel has no network namespaces")


class Topology:
    """Owns the three namespaces of one run; ``down()`` removes them."""

    def __init__(self, addressing: Addressing, run_id: str | None = None) -> None:
        self.names = Names(run_id or secrets.token_hex(3))
        self.addressing = addressing
        self.record: runstate.RunRecord | None = None

    @property
    def run_id(self) -> str:
        return self.names.run_id

    @property
    def is_cut(self) -> bool:
        """Whether the server namespace has no default route — read from the kernel, so it
        is true for every process sharing this topology, whoever cut it."""
        return not self.default_routes(self.names.server_ns)

    # -- lifecycle --------------------------------------------------------------------

    def up(self, paths: Sequence[Path] = ()) -> Topology:
        """Build the namespaces; the run's record names them, and ``paths`` (temp dirs a
        reaper removes), before any of them exists."""
        check_privileges()
        try:
            with runstate.registry_lock():
                reap_leftovers()
                self.record = runstate.RunRecord(
                    run_id=self.run_id,
                    owner_pid=os.getpid(),
                    owner_start=runstate.process_start_time(os.getpid()),
                    namespaces=self.names.namespaces,
                    paths=[str(p) for p in paths],
                )
                self.record.save()  # before anything exists, so a reaper can find it all
            self._build()
        except BaseException:
            self.down()
            raise
        return self

    def _build(self) -> None:
        n, a = self.names, self.addressing
        try:
            for name in n.namespaces:
                netns.create(name)
            with self._ns(n.gateway_ns) as gw:
                _up(gw, "lo", a.gateway, 32)
                gw.link("add", ifname=n.uplink_gateway, kind="veth",
                        peer={"ifname": n.uplink_server, "net_ns_fd": n.server_ns})
                _up(gw, n.uplink_gateway, a.uplink_gateway)
            with self._ns(n.server_ns) as srv:
                _up(srv, "lo")
                srv.link("add", ifname=n.lan_server, kind="veth",
                         peer={"ifname": n.lan_client, "net_ns_fd": n.client_ns})
                _up(srv, n.uplink_server, a.uplink_server)
                _up(srv, n.lan_server, a.lan_server)
                srv.route("add", dst="0.0.0.0/0", gateway=str(a.uplink_gateway))
            with self._ns(n.client_ns) as cli:
                _up(cli, "lo")
                _up(cli, n.lan_client, a.lan_client)
        except Exception as exc:  # OSError, and pyroute2's NetlinkError, which is not one
            raise TopologyError(f"could not build the run's network: {exc}") from exc
        if self.default_routes(n.client_ns):
            raise TopologyError(f"client namespace {n.client_ns} has a default route")

    def _ns(self, name: str) -> IPRoute:
        ipr = IPRoute(netns=name, flags=0)  # attach only: never create a namespace here
        if ipr.status.get("netns") != name:
            ipr.close()
            raise TopologyError(f"could not attach to namespace {name}")
        return ipr

    def default_routes(self, namespace: str) -> list[str]:
        """Default routes (IPv4 and IPv6, main table) of one of this run's namespaces."""
        if namespace not in self.names.namespaces:
            raise TopologyError(f"{namespace} is not a namespace of run {self.run_id}")
        found = []
        with self._ns(namespace) as ipr:
            for family in (socket.AF_INET, socket.AF_INET6):
                for route in ipr.route("dump", family=family):
                    if route["dst_len"] == 0 and route.get("table") == MAIN_TABLE:
                        found.append(f"{family.name} via {route.get('gateway')}")
        return found

    def listener(self, port: int = 0) -> socket.socket:
        """A listening TCP socket on the relay's address, made inside the gateway namespace."""
        def make() -> socket.socket:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((str(self.addressing.gateway), port))
            sock.listen(128)
            return sock

        with NamespaceThread(self.names.gateway_ns) as thread:
            return thread.call(make)

    def cut(self) -> None:
        """Delete the server namespace's default route (never the root namespace's)."""
        with self._ns(self.names.server_ns) as srv:
            srv.route("del", dst="0.0.0.0/0", gateway=str(self.addressing.uplink_gateway))
        log.info("cut: default route of %s deleted", self.names.server_ns)

    def restore(self) -> None:
        with self._ns(self.names.server_ns) as srv:
            srv.route("add", dst="0.0.0.0/0", gateway=str(self.addressing.uplink_gateway))

    def add_process(self, pid: int) -> None:
        """Record a process this run started, so a reaper can stop it if we are killed."""
        if self.record is not None:
            with runstate.registry_lock():
                self.record.processes.append((pid, runstate.process_start_time(pid)))
                self.record.save()

    def add_path(self, path: Path) -> None:
        """Record a temp dir of this run, so a reaper removes it if we are killed."""
        if self.record is not None:
            with runstate.registry_lock():
                self.record.paths.append(str(path))
                self.record.save()

    def down(self) -> None:
        """Remove everything, in reverse order; safe to call twice and after a partial up."""
        if self.record is None or self.record.owner_pid != os.getpid():
            return  # nothing recorded, or we are a forked helper: not ours to remove
        with runstate.registry_lock():
            remove_run(self.record)
        self.record = None

    def __enter__(self) -> Topology:
        return self.up()

    def __exit__(self, *exc: object) -> None:
        self.down()


def _up(ipr: IPRoute, ifname: str, address: ipaddress.IPv4Address | None = None,
        prefixlen: int = 30) -> None:
    idx = ipr.link_lookup(ifname=ifname)[0]
    if address is not None:
        ipr.addr("add", index=idx, address=str(address), prefixlen=prefixlen)
    ipr.link("set", index=idx, state="up")


def remove_run(record: runstate.RunRecord, reaping: bool = False) -> None:
    """Stop a run's processes, delete its namespaces (their links go with them), drop its
    state file; when reaping a dead run, its temp dirs too (a live run removes its own)."""
    for pid, start in record.processes:
        runstate.stop_process(pid, start)
    existing = set(netns.listnetns())
    for name in reversed(record.namespaces):
        if name in existing:
            with contextlib.suppress(OSError):
                netns.remove(name)
    if reaping:
        for path in record.paths:
            shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        record.path.unlink()


def reap_leftovers() -> list[str]:
    """Remove what runs whose owner died left behind. Call with the registry lock held."""
    reaped = []
    for record in runstate.records():
        if not record.owner_alive():
            log.warning("reaping leftovers of dead run %s", record.run_id)
            remove_run(record, reaping=True)
            reaped.append(record.run_id)
    return reaped
