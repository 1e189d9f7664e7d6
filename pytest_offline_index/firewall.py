"""The run's own nftables table: NAT for the server's uplink, and a forward guard.

The table is created with the kernel's *owner* flag, so it lives exactly as long as the
netlink socket that made it: a run killed with SIGKILL cannot leave NAT rules behind.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections import OrderedDict
from typing import Any

from pyroute2.nftables.expressions import genex, masq, verdict
from pyroute2.nftables.main import NFTables

NFT_TABLE_F_OWNER = 0x2
NFPROTO_IPV4 = 2
NF_ACCEPT = 1
NF_DROP = 0
NFT_META_IIFNAME = 6
NFT_META_OIFNAME = 7
NFT_CT_STATE = 0
CT_ESTABLISHED_OR_RELATED = 0x2 | 0x4
IFNAMSIZ = 16
CMP_EQ, CMP_NEQ = 0, 1

Expr = list[dict[str, Any]]


def _data(value: bytes) -> dict[str, Any]:
    return {"attrs": [("NFTA_DATA_VALUE", value)]}


def _ifname(key: int, name: str, *, prefix: bool = False, op: int = CMP_EQ) -> Expr:
    """Match an interface name; with ``prefix`` only its first bytes (nft's ``name*``)."""
    raw = name.encode()
    value = raw if prefix else raw.ljust(IFNAMSIZ, b"\0")
    load = OrderedDict(dreg=1, key=key)
    cmp = OrderedDict(sreg=1, op=op, data=_data(value))
    return [genex("meta", load), genex("cmp", cmp)]


def _established() -> Expr:
    load = OrderedDict(dreg=1, key=NFT_CT_STATE)
    mask = OrderedDict(
        sreg=1, dreg=1, len=4,
        mask=_data(struct.pack("I", CT_ESTABLISHED_OR_RELATED)),
        xor=_data(b"\0" * 4),
    )
    cmp = OrderedDict(sreg=1, op=CMP_NEQ, data=_data(b"\0" * 4))
    return [genex("ct", load), genex("bitwise", mask), genex("cmp", cmp)]


def _saddr(address: ipaddress.IPv4Address) -> Expr:
    load = OrderedDict(dreg=1, base=1, offset=12, len=4)  # network header, ip saddr
    cmp = OrderedDict(sreg=1, op=CMP_EQ, data=_data(socket.inet_aton(str(address))))
    return [genex("payload", load), genex("cmp", cmp)]


class RunFirewall:
    """Owns one nftables table named after the run; closing it removes the table."""

    def __init__(self, table: str, uplink: str, uplink_prefix: str,
                 server_address: ipaddress.IPv4Address, guard_forwarding: bool) -> None:
        self.table = table
        self.uplink = uplink
        self.uplink_prefix = uplink_prefix
        self.server_address = server_address
        self.guard_forwarding = guard_forwarding
        self._nft: NFTables | None = None

    def open(self) -> RunFirewall:
        nft = NFTables(nfgen_family=NFPROTO_IPV4)
        self._nft = nft
        nft.table("add", kwarg=OrderedDict(name=self.table, flags=NFT_TABLE_F_OWNER))
        nft.chain("add", table=self.table, name="nat", hook="postrouting",
                  type="nat", priority=100)
        # Only the run's server is masqueraded, and only on its way out of the uplink.
        nft.rule("add", table=self.table, chain="nat", expressions=(
            _saddr(self.server_address),
            _ifname(NFT_META_OIFNAME, self.uplink, op=CMP_NEQ),
            masq(),
        ))
        if self.guard_forwarding:
            # ip_forward was off before the harness: forward for harness uplinks only.
            nft.chain("add", table=self.table, name="forward", hook="forward",
                      type="filter", priority=0)
            rules = (
                (_ifname(NFT_META_IIFNAME, self.uplink_prefix, prefix=True),),
                (_ifname(NFT_META_OIFNAME, self.uplink_prefix, prefix=True), _established()),
                (),
            )
            for match in rules:
                code = NF_ACCEPT if match else NF_DROP
                nft.rule("add", table=self.table, chain="forward",
                         expressions=(*match, verdict(code)))
        return self

    def close(self) -> None:
        if self._nft is not None:
            nft, self._nft = self._nft, None
            try:
                nft.table("del", name=self.table)
            finally:
                nft.close()  # the owner flag removes the table even if del failed

    def __enter__(self) -> RunFirewall:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def table_exists(name: str) -> bool:
    with NFTables(nfgen_family=NFPROTO_IPV4) as nft:
        return any(t.get_attr("NFTA_TABLE_NAME") == name for t in nft.get_tables())
