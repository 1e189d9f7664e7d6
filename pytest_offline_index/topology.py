"""The run's network: a server namespace with an uplink, a client namespace without one.

::

    root ns ──veth "uplink"── server ns (devpi, default route) ──veth "lan"── client ns

The root namespace's own routes and addresses are never modified: the harness adds only its
own veth end, its own nftables table and (if it was off) ``ip_forward``, and removes all of
them on ``down()``. Cutting means deleting the *server namespace's* default route.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import secrets
import shutil
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pyroute2 import IPRoute, netns

from . import runstate
from .errors import PrivilegeError, TopologyError
from .firewall import RunFirewall

log = logging.getLogger(__name__)

NAME_PREFIX = "oi"
UPLINK_PREFIX = "oiu"  # every harness uplink starts so; the forward guard matches on it
CAP_NET_ADMIN = 12


@dataclass(frozen=True)
class Names:
    """Every kernel object's name carries the run id; interface names fit in 15 bytes."""

    run_id: str

    @property
    def server_ns(self) -> str:
        return f"{NAME_PREFIX}-{self.run_id}-srv"

    @property
    def client_ns(self) -> str:
        return f"{NAME_PREFIX}-{self.run_id}-cli"

    @property
    def uplink_root(self) -> str:
        return f"{UPLINK_PREFIX}{self.run_id}r"

    @property
    def uplink_server(self) -> str:
        return f"{UPLINK_PREFIX}{self.run_id}s"

    @property
    def lan_server(self) -> str:
        return f"oil{self.run_id}s"

    @property
    def lan_client(self) -> str:
        return f"oil{self.run_id}c"

    @property
    def table(self) -> str:
        return f"{NAME_PREFIX}_{self.run_id}"


@dataclass(frozen=True)
class Addressing:
    """Addresses inside one run block: uplink /30, lan /30, and a spare /30 for test hosts."""

    block: ipaddress.IPv4Network

    def _host(self, n: int) -> ipaddress.IPv4Address:
        return self.block.network_address + n

    @property
    def uplink_root(self) -> ipaddress.IPv4Address:
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

    @property
    def spare(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network((self.block.network_address + 8, 30))


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


def host_ipv4_routes() -> list[ipaddress.IPv4Network]:
    """Every non-default IPv4 route of the root namespace, in any table (read only)."""
    with IPRoute() as ipr:
        routes = ipr.route("dump", family=socket.AF_INET)
        nets = []
        for route in routes:
            if route["dst_len"] == 0:
                continue
            dst = route.get("dst") or "0.0.0.0"
            nets.append(ipaddress.IPv4Network(f"{dst}/{route['dst_len']}", strict=False))
    return nets


def resolver_addresses(path: str = "/etc/resolv.conf") -> list[ipaddress.IPv4Address]:
    out = []
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "nameserver":
                with contextlib.suppress(ValueError):
                    out.append(ipaddress.IPv4Address(parts[1]))
    return out


def choose_block(pool: ipaddress.IPv4Network, taken: Iterable[ipaddress.IPv4Network],
                 avoid: Iterable[ipaddress.IPv4Address] = (),
                 prefix: int = 28) -> ipaddress.IPv4Network:
    """The first block of the pool that overlaps nothing taken and holds no avoided address."""
    taken = list(taken)
    avoid = list(avoid)
    for block in pool.subnets(new_prefix=prefix):
        if any(block.overlaps(net) for net in taken) or any(a in block for a in avoid):
            continue
        return block
    raise TopologyError(
        f"subnet pool {pool} has no free /{prefix}: every block collides with a host route "
        f"or another run; choose another pool with --offline-index-subnet-pool")


class Topology:
    """Owns the namespaces, links, addresses and NAT of one run; ``down()`` removes them."""

    def __init__(self, subnet_pool: ipaddress.IPv4Network, run_id: str | None = None) -> None:
        self.names = Names(run_id or secrets.token_hex(3))
        self.subnet_pool = subnet_pool
        self.addressing: Addressing | None = None
        self.record: runstate.RunRecord | None = None
        self._firewall: RunFirewall | None = None

    @property
    def run_id(self) -> str:
        return self.names.run_id

    @property
    def is_cut(self) -> bool:
        """Whether the server namespace has no default route — read from the kernel, so it
        is true for every process sharing this topology, whoever cut it."""
        return not self.default_routes(self.names.server_ns)

    @classmethod
    def attached(cls, run_id: str, block: str) -> Topology:
        """A view of another process's topology: it can cut and restore, never tear down."""
        topo = cls(ipaddress.IPv4Network(block).supernet(new_prefix=16), run_id=run_id)
        topo.addressing = Addressing(ipaddress.IPv4Network(block))
        return topo

    # -- lifecycle --------------------------------------------------------------------

    def up(self) -> Topology:
        check_privileges()
        try:
            with runstate.registry_lock():
                reap_leftovers()
                taken = host_ipv4_routes() + [
                    ipaddress.IPv4Network(r.block) for r in runstate.live_records()]
                block = choose_block(self.subnet_pool, taken, resolver_addresses())
                self.addressing = Addressing(block)
                self.record = runstate.RunRecord(
                    run_id=self.run_id,
                    owner_pid=os.getpid(),
                    owner_start=runstate.process_start_time(os.getpid()),
                    block=str(block),
                    namespaces=[self.names.server_ns, self.names.client_ns],
                    root_links=[self.names.uplink_root],
                )
                self.record.save()  # before anything exists, so a reaper can find it all
                guard = runstate.acquire_forwarding()
            self._build(guard)
        except BaseException:
            self.down()
            raise
        return self

    def _build(self, guard_forwarding: bool) -> None:
        n, a = self.names, self.addressing
        assert a is not None
        try:
            netns.create(n.server_ns)
            netns.create(n.client_ns)
            with IPRoute() as root:
                root.link("add", ifname=n.uplink_root, kind="veth",
                          peer={"ifname": n.uplink_server, "net_ns_fd": n.server_ns})
                idx = root.link_lookup(ifname=n.uplink_root)[0]
                root.addr("add", index=idx, address=str(a.uplink_root), prefixlen=30)
                root.link("set", index=idx, state="up")
            with self._ns(n.server_ns) as srv:
                _up(srv, "lo")
                srv.link("add", ifname=n.lan_server, kind="veth",
                         peer={"ifname": n.lan_client, "net_ns_fd": n.client_ns})
                _up(srv, n.uplink_server, a.uplink_server)
                _up(srv, n.lan_server, a.lan_server)
                srv.route("add", dst="0.0.0.0/0", gateway=str(a.uplink_root))
            with self._ns(n.client_ns) as cli:
                _up(cli, "lo")
                _up(cli, n.lan_client, a.lan_client)
            self._firewall = RunFirewall(
                table=n.table, uplink=n.uplink_root, uplink_prefix=UPLINK_PREFIX,
                server_address=a.uplink_server, guard_forwarding=guard_forwarding).open()
        except OSError as exc:
            raise TopologyError(f"could not build the run's network: {exc}") from exc
        except Exception as exc:  # pyroute2's NetlinkError is not an OSError
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
        """Default routes (IPv4 and IPv6) of one of this run's namespaces."""
        if namespace not in (self.names.server_ns, self.names.client_ns):
            raise TopologyError(f"{namespace} is not a namespace of run {self.run_id}")
        found = []
        with self._ns(namespace) as ipr:
            for family in (socket.AF_INET, socket.AF_INET6):
                for route in ipr.route("dump", family=family):
                    if route["dst_len"] == 0 and route.get("table") == 254:
                        found.append(f"{family.name} via {route.get('gateway')}")
        return found

    def cut(self) -> None:
        """Delete the server namespace's default route (never the root namespace's)."""
        a = self.addressing
        assert a is not None
        with self._ns(self.names.server_ns) as srv:
            srv.route("del", dst="0.0.0.0/0", gateway=str(a.uplink_root))
        log.info("cut: default route of %s deleted", self.names.server_ns)

    def restore(self) -> None:
        a = self.addressing
        assert a is not None
        with self._ns(self.names.server_ns) as srv:
            srv.route("add", dst="0.0.0.0/0", gateway=str(a.uplink_root))

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
        if self._firewall is not None:
            with contextlib.suppress(Exception):
                self._firewall.close()
            self._firewall = None
        if self.record is None or self.record.owner_pid != os.getpid():
            return  # nothing recorded, or we are a forked helper: not ours to remove
        with runstate.registry_lock():
            remove_run(self.record)
            runstate.release_forwarding_if_last(exclude=self.run_id)
        self.record = None

    def __enter__(self) -> Topology:
        return self.up()

    def __exit__(self, *exc: object) -> None:
        self.down()


def _up(ipr: IPRoute, ifname: str, address: ipaddress.IPv4Address | None = None) -> None:
    idx = ipr.link_lookup(ifname=ifname)[0]
    if address is not None:
        ipr.addr("add", index=idx, address=str(address), prefixlen=30)
    ipr.link("set", index=idx, state="up")


def remove_run(record: runstate.RunRecord, reaping: bool = False) -> None:
    """Stop a run's processes, delete its links and namespaces, drop its state file;
    when reaping a dead run, its temp dirs too (a live run removes its own)."""
    for pid, start in record.processes:
        runstate.stop_process(pid, start)
    with IPRoute() as root:
        for link in record.root_links:
            for idx in root.link_lookup(ifname=link):
                with contextlib.suppress(Exception):
                    root.link("del", index=idx)
    existing = set(netns.listnetns())
    for name in record.namespaces:
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
    runstate.release_forwarding_if_last()
    return reaped
