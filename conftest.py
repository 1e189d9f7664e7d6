"""Suite-wide guard: the machine must look exactly the same after the suite as before it.

It snapshots the root namespace's routes, links, the named network namespaces, nftables
tables, ``ip_forward`` and devpi/harness processes, and fails the suite if any differ.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

pytest_plugins = ["pytester"]


def machine_snapshot() -> dict[str, object]:
    from pyroute2 import IPRoute, netns

    snapshot: dict[str, object] = {
        "ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text().strip(),
        "namespaces": sorted(netns.listnetns()),
        "harness processes": sorted(
            p.pid for p in psutil.process_iter(["cmdline"])
            if any("devpi_server" in part or "pytest_offline_index.nsexec" in part
                   for part in (p.info["cmdline"] or []))
            and p.pid != os.getpid()),
    }
    if os.geteuid() == 0:
        with IPRoute() as ipr:
            snapshot["links"] = sorted(link.get("ifname") for link in ipr.link("dump"))
            snapshot["routes"] = sorted(
                (r["family"], str(r.get("dst")), r["dst_len"], str(r.get("gateway")),
                 r.get("table"))
                for family in (socket.AF_INET, socket.AF_INET6)
                for r in ipr.route("dump", family=family))
        from pyroute2.nftables.main import NFTables

        with NFTables(nfgen_family=2) as nft:
            snapshot["nft tables"] = sorted(
                t.get_attr("NFTA_TABLE_NAME") for t in nft.get_tables())
    return snapshot


@pytest.fixture(scope="session", autouse=True)
def machine_left_as_found() -> Iterator[None]:
    before = machine_snapshot()
    yield
    after = machine_snapshot()
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    if changed:
        pytest.fail(f"the suite left the machine changed: {changed}", pytrace=False)
