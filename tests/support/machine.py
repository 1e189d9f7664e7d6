"""A snapshot of what a run may touch on the machine, to prove it was all put back."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import ipaddress
import os
import secrets
import socket
import time
from collections.abc import Iterator

import psutil

HARNESS_PARTS = ("devpi_server", "netns/holder.py", "netns/launcher.py")


def machine_snapshot() -> dict[str, object]:
    """The root namespace (``root_snapshot``) plus what a run of this process may hold:
    named namespaces (a run never makes one), and this process's descendants that are a
    holder, a launcher or devpi-server. Another run's processes at the same time are not
    this process's descendants, so a concurrent run does not trip a test here."""
    from pyroute2 import netns

    me = psutil.Process()
    snapshot: dict[str, object] = {
        "named namespaces": sorted(netns.listnetns()),
        "harness processes": sorted(
            p.pid for p in me.children(recursive=True)
            if any(part in arg for arg in _cmdline(p) for part in HARNESS_PARTS)),
    }
    return {**root_snapshot(), **snapshot}


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


# What a run (or this suite's emulation) could make in the root namespace, were it to leak:
# the links a run makes inside its namespaces, its addresses, and the suite's nft tables.
# Anything else there is other work on the machine, not compared (a busy machine's docker,
# say, adds links and tables of its own while the suite runs).
HARNESS_LINKS = frozenset({"uplink", "uplink-srv", "lan", "lan-cli"})
HARNESS_NETS = (ipaddress.ip_network("10.213.0.0/16"),)
# This suite run's (its xdist workers share it; the pytest a test starts inherits it): the
# tables its emulations make carry it, and a snapshot compares only those — another suite
# run on the machine at the same time emulates hosts of its own.
SUITE_RUN = os.environ.setdefault(
    "OFFLINE_INDEX_TEST_SUITE_RUN",
    (os.environ.get("PYTEST_XDIST_TESTRUNUID") or secrets.token_hex(8))[:8])
SUITE_TABLES = f"oitest_{SUITE_RUN}_"
IP_FORWARD = "/proc/sys/net/ipv4/ip_forward"
_HELD = "OFFLINE_INDEX_TEST_IP_FORWARD_HELD"  # set while this process emulates ip_forward


@contextlib.contextmanager
def ip_forward_held() -> Iterator[int | None]:
    """Hold ``ip_forward`` for an emulation that changes it: the file itself is locked
    (flock; nothing to leave behind), and another suite run's snapshots wait until it is
    put back. This process and the ones it starts meanwhile read it as they find it. The
    locked descriptor is given (None: held already, by this process or its parent): a
    process that puts the value back after this one has died holds it too."""
    if os.environ.get(_HELD):
        yield None
        return
    with open(IP_FORWARD) as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        os.environ[_HELD] = "1"
        try:
            yield file.fileno()
        finally:
            os.environ.pop(_HELD, None)


def _ip_forward(patience: float = 600.0) -> str:
    with open(IP_FORWARD) as file:
        deadline = time.monotonic() + patience
        while not os.environ.get(_HELD):  # another run's emulation: wait until it is put back
            try:
                fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"ip_forward held by an emulation for {patience:g} s"
                                         " (this run's own, read without its flag?)") from None
                time.sleep(0.05)
        return file.read().strip()


def _harness_address(text: object) -> bool:
    try:
        address = ipaddress.ip_address(str(text))
    except ValueError:
        return False
    return any(address in net for net in HARNESS_NETS)


def root_snapshot() -> dict[str, object]:
    """What a run must never touch in the root namespace, as far as a run could touch it:
    ``ip_forward``; the machine's default routes (its own way out, IPv4 and IPv6, every
    table); any link a run names, any address or route in a run's addressing; the nft
    tables this suite run's emulations make. Links and below need root."""
    from pyroute2 import IPRoute

    snapshot: dict[str, object] = {
        "ip_forward": _ip_forward(),
    }
    if os.geteuid() == 0:
        with IPRoute() as ipr:
            links = ipr.link("dump")
            names = {link["index"]: link.get("ifname") for link in links}
            snapshot["links"] = sorted(name for name in names.values() if name in HARNESS_LINKS)
            snapshot["routes"] = sorted(
                (r["family"], str(r.get("dst")), r["dst_len"], str(r.get("gateway")),
                 r.get("table"), str(names.get(r.get("oif"))))
                for family in (socket.AF_INET, socket.AF_INET6)
                for r in ipr.route("dump", family=family)
                if r["dst_len"] == 0 or _harness_address(r.get("dst"))
                or _harness_address(r.get("gateway")) or names.get(r.get("oif")) in HARNESS_LINKS)
            snapshot["addresses"] = sorted(
                (a["family"], str(names.get(a["index"])),
                 str(a.get("IFA_LOCAL") or a.get("IFA_ADDRESS")), a["prefixlen"])
                for a in ipr.get_addr()
                if names.get(a["index"]) in HARNESS_LINKS
                or _harness_address(a.get("IFA_LOCAL") or a.get("IFA_ADDRESS")))
        snapshot["nft tables"] = [table for table in nft_ruleset()
                                  if table[1].startswith(SUITE_TABLES)]
    return snapshot


NFT_FAMILIES = {1: "inet", 2: "ip", 3: "arp", 5: "netdev", 7: "bridge", 10: "ip6"}
NFT_HOOKS = {
    "netdev": ("ingress", "egress"),
    "arp": ("input", "output"),
    "inet": ("prerouting", "input", "forward", "output", "postrouting", "ingress"),
}
NFT_INET_HOOKS = ("prerouting", "input", "forward", "output", "postrouting")
NFT_POLICIES = {0: "drop", 1: "accept"}

NftChain = tuple[str, str | None, int | None, str | None, int]
NftTable = tuple[str, str, int, tuple[NftChain, ...]]


def nft_ruleset() -> list[NftTable]:
    """Every nftables table of every family, as ``(family, name, flags, chains)``, sorted.

    Each chain is ``(name, hook, priority, policy, rule count)``; hook, priority and policy
    are None for a regular (non-base) chain. Comparable with ``==``. Needs root.
    """
    from pyroute2.nftables.main import NFTables

    with NFTables(nfgen_family=0) as nft:  # NFPROTO_UNSPEC: every family
        tables = nft.get_tables()
        chains = nft.get_chains()
        rules = nft.get_rules()
    counts: dict[tuple[int, str, str], int] = {}
    for rule in rules:
        key = (rule["nfgen_family"], rule.get_attr("NFTA_RULE_TABLE"),
               rule.get_attr("NFTA_RULE_CHAIN"))
        counts[key] = counts.get(key, 0) + 1
    by_table: dict[tuple[int, str], list[NftChain]] = {}
    for chain in chains:
        family, table = chain["nfgen_family"], chain.get_attr("NFTA_CHAIN_TABLE")
        name = chain.get_attr("NFTA_CHAIN_NAME")
        hook = chain.get_attr("NFTA_CHAIN_HOOK")
        hook_name: str | None = None
        priority: int | None = None
        if hook is not None:
            number = hook.get_attr("NFTA_HOOK_HOOKNUM")
            known = NFT_HOOKS.get(NFT_FAMILIES.get(family, ""), NFT_INET_HOOKS)
            hook_name = known[number] if number < len(known) else str(number)
            priority = hook.get_attr("NFTA_HOOK_PRIORITY")
        policy = chain.get_attr("NFTA_CHAIN_POLICY")
        by_table.setdefault((family, table), []).append(
            (name, hook_name, priority,
             None if policy is None else NFT_POLICIES.get(policy, str(policy)),
             counts.get((family, table, name), 0)))
    return sorted(
        (NFT_FAMILIES.get(t["nfgen_family"], str(t["nfgen_family"])),
         t.get_attr("NFTA_TABLE_NAME"), t.get_attr("NFTA_TABLE_FLAGS") or 0,
         tuple(sorted(by_table.get((t["nfgen_family"], t.get_attr("NFTA_TABLE_NAME")), []))))
        for t in tables)


def snapshot_diff(before: dict[str, object], after: dict[str, object]) -> dict[str, object]:
    """What changed, key by key: items only before (``-``) and only after (``+``)."""
    changes: dict[str, object] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list):
            changes[key] = {"-": [x for x in old if x not in new],
                            "+": [x for x in new if x not in old]}
        else:
            changes[key] = {"-": old, "+": new}
    return changes


@functools.cache
def _namespaces_refused() -> str | None:
    """Why this machine cannot make a run's namespaces (None: it can), tried for real."""
    from pytest_offline_index.errors import OfflineIndexError
    from pytest_offline_index.netns import Addressing, Sandbox

    links = Addressing(ipaddress.IPv4Network("10.213.0.0/29"),
                       ipaddress.IPv4Address("10.213.0.9")).links()
    try:
        Sandbox(links).start().close()
    except OfflineIndexError as exc:
        return str(exc)
    return None


def require_namespaces(what: str) -> None:
    """Skip where user and network namespaces cannot be made — but fail where they must
    exist (CI)."""
    import pytest

    if (why := _namespaces_refused()) is not None:
        if os.environ.get("OFFLINE_INDEX_REQUIRE_NETNS") == "1" or os.environ.get("CI"):
            pytest.fail(f"{why}: {what} must run here", pytrace=False)
        pytest.skip(why)
