"""A snapshot of what a run may touch on the machine, to prove it was all put back."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psutil

from pytest_offline_index.runstate import STATE_DIR


def machine_snapshot() -> dict[str, object]:
    from pyroute2 import IPRoute, netns

    snapshot: dict[str, object] = {
        "ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text().strip(),
        "namespaces": sorted(netns.listnetns()),
        "run registry": sorted(p.name for p in STATE_DIR.glob("*")) if STATE_DIR.is_dir()
        else [],
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


def require_namespaces(what: str) -> None:
    """Skip without root and namespaces — but fail where they must exist (CI)."""
    import pytest

    from pytest_offline_index.errors import PrivilegeError
    from pytest_offline_index.topology import check_privileges

    try:
        check_privileges()
    except PrivilegeError as exc:
        if os.environ.get("OFFLINE_INDEX_REQUIRE_NETNS") == "1" or os.environ.get("CI"):
            pytest.fail(f"{exc}: {what} must run here", pytrace=False)
        pytest.skip(str(exc))
