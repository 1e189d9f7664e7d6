"""The links split the run's subnet; the relay's address is off the server's links."""

from __future__ import annotations

import ipaddress

import pytest

from pytest_offline_index.errors import SettingsError
from pytest_offline_index.inputs.settings import Settings
from pytest_offline_index.netns import Addressing


def test_the_holder_is_told_every_address_by_name() -> None:
    a = Addressing(ipaddress.IPv4Network("10.213.0.16/29"), ipaddress.IPv4Address("10.213.0.9"))
    assert a.links() == {"gateway": "10.213.0.9", "uplink_gateway": "10.213.0.17",
                         "uplink_server": "10.213.0.18", "lan_server": "10.213.0.21",
                         "lan_client": "10.213.0.22"}


@pytest.mark.parametrize("subnet", ["10.213.0.0/29", "10.213.0.16/29", "192.168.7.0/28"])
def test_the_links_are_two_30s_inside_the_subnet_and_the_relay_is_off_both(subnet: str) -> None:
    network = ipaddress.IPv4Network(subnet)
    a = Addressing(network, ipaddress.IPv4Address("10.213.0.9"))
    uplink = ipaddress.IPv4Network(f"{a.uplink_gateway}/30", strict=False)
    lan = ipaddress.IPv4Network(f"{a.lan_server}/30", strict=False)
    assert uplink != lan and uplink.subnet_of(network) and lan.subnet_of(network)
    assert a.uplink_server in uplink and a.lan_client in lan
    assert len({a.uplink_gateway, a.uplink_server, a.lan_server, a.lan_client}) == 4
    for address in (a.uplink_gateway, a.uplink_server, a.lan_server, a.lan_client):
        assert address not in (uplink.network_address, uplink.broadcast_address,
                               lan.network_address, lan.broadcast_address)


def test_a_relay_address_inside_the_links_is_refused() -> None:
    with pytest.raises(SettingsError, match="lies inside the server's links"):
        Settings.resolve(cli={"gateway": "10.213.0.5"})
