"""Subnets avoid routes the host already has; ip_forward ends as it started."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from pyroute2.nftables.main import NFTables

from pytest_offline_index.topology import host_ipv4_routes
from tests.support.dists import Dist

IP_FORWARD = Path("/proc/sys/net/ipv4/ip_forward")


def test_a_host_route_covering_the_pool_start_makes_the_run_pick_another(
        upstream, make_scenario, unique) -> None:
    # The upstream host's own /30 route sits at the start of this pool.
    pool = ipaddress.IPv4Network(f"{upstream.address}/24", strict=False)
    first = next(pool.subnets(new_prefix=28))
    assert any(first.overlaps(route) for route in host_ipv4_routes())
    name = unique("elsewhere")
    upstream.publish(Dist(name, "1.0"))
    scenario = make_scenario(upstream, name, subnet_pool=str(pool))
    scenario.warm()  # warming through the NAT proves the chosen block really works
    block = scenario.topology.addressing.block
    assert block.subnet_of(pool)
    assert block != first
    assert not any(block.overlaps(route) for route in host_ipv4_routes()
                   if not route.subnet_of(block))


def forward_chains(table: str) -> list[str]:
    with NFTables(nfgen_family=2) as nft:
        return [c.get_attr("NFTA_CHAIN_NAME") for c in nft.get_chains()
                if c.get_attr("NFTA_CHAIN_TABLE") == table
                and c.get_attr("NFTA_CHAIN_NAME") == "forward"]


@pytest.mark.parametrize("initial", ["0", "1"])
def test_ip_forward_ends_as_it_started(initial, upstream, make_scenario, unique) -> None:
    original = IP_FORWARD.read_text().strip()
    IP_FORWARD.write_text(initial)
    try:
        name = unique("forwarded")
        upstream.publish(Dist(name, "1.0"))
        scenario = make_scenario(upstream, name)
        scenario.warm()
        assert IP_FORWARD.read_text().strip() == "1"
        # Only when the harness turned forwarding on does it guard what may be forwarded.
        guard = forward_chains(scenario.topology.names.table)
        assert guard == (["forward"] if initial == "0" else [])
        scenario.cut()
        scenario.install()
        scenario.close()
        assert IP_FORWARD.read_text().strip() == initial
    finally:
        IP_FORWARD.write_text(original)
