"""Names carry the run id and fit the kernel; subnets avoid host routes and other runs."""

from __future__ import annotations

import ipaddress

import pytest

from pytest_offline_index.errors import TopologyError
from pytest_offline_index.topology import UPLINK_PREFIX, Addressing, Names, choose_block

POOL = ipaddress.IPv4Network("10.213.0.0/16")


def test_every_name_carries_the_run_id_and_interfaces_fit_15_bytes() -> None:
    names = Names("a1b2c3")
    for name in (names.server_ns, names.client_ns, names.uplink_root, names.uplink_server,
                 names.lan_server, names.lan_client, names.table):
        assert "a1b2c3" in name
    for ifname in (names.uplink_root, names.uplink_server, names.lan_server, names.lan_client):
        assert len(ifname.encode()) <= 15
    assert names.uplink_root.startswith(UPLINK_PREFIX)
    assert not names.lan_server.startswith(UPLINK_PREFIX)


def test_addresses_split_the_block_into_uplink_lan_and_spare() -> None:
    a = Addressing(ipaddress.IPv4Network("10.213.0.16/28"))
    assert (str(a.uplink_root), str(a.uplink_server)) == ("10.213.0.17", "10.213.0.18")
    assert (str(a.lan_server), str(a.lan_client)) == ("10.213.0.21", "10.213.0.22")
    assert str(a.spare) == "10.213.0.24/30"


def test_first_free_block_is_chosen() -> None:
    assert str(choose_block(POOL, [])) == "10.213.0.0/28"


def test_a_host_route_covering_the_start_of_the_pool_is_skipped() -> None:
    taken = [ipaddress.IPv4Network("10.213.0.0/27")]
    assert str(choose_block(POOL, taken)) == "10.213.0.32/28"


def test_a_route_wider_than_the_pool_leaves_no_block() -> None:
    with pytest.raises(TopologyError, match="no free /28"):
        choose_block(POOL, [ipaddress.IPv4Network("10.0.0.0/8")])


def test_the_resolver_address_is_never_inside_a_run_block() -> None:
    block = choose_block(POOL, [], avoid=[ipaddress.IPv4Address("10.213.0.3")])
    assert str(block) == "10.213.0.16/28"
