"""The links split the run's subnet; the relay's address is off the server's links."""

from __future__ import annotations

import ipaddress

from pytest_offline_index.netns import Addressing
from pytest_offline_index.settings import Settings


def test_the_holder_is_told_every_address_by_name() -> None:
    a = Addressing(ipaddress.IPv4Network("10.213.0.16/29"), ipaddress.IPv4Address("10.213.0.9"))
    assert a.links() == {"gateway": "10.213.0.9", "uplink_gateway": "10.213.0.17",
                         "uplink_server": "10.213.0.18", "lan_server": "10.213.0.21",
                         "lan_client": "10.213.0.22"}


def test_the_links_split_the_subnet_and_the_relay_is_outside_both() -> None:
    a = Addressing(ipaddress.IPv4Network("10.213.0.16/29"), ipaddress.IPv4Address("10.213.0.9"))
    assert (str(a.uplink_gateway), str(a.uplink_server)) == ("10.213.0.17", "10.213.0.18")
    assert (str(a.lan_server), str(a.lan_client)) == ("10.213.0.21", "10.213.0.22")
    for link in ("10.213.0.16/30", "10.213.0.20/30"):
        assert a.gateway not in ipaddress.IPv4Network(link)


def test_the_default_relay_address_is_reached_only_through_the_default_route() -> None:
    settings = Settings()
    assert settings.gateway not in settings.subnet
