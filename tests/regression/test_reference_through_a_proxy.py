"""The reference check on a host whose only way out is its proxy: pandas from the public
index, the relay tunnelling through a real tinyproxy that ``HTTPS_PROXY`` names, while an
output rule drops every other socket's TCP to the public index's addresses and the harness's
resolver knows no outside name (the proxy resolves them, as on such hosts). The emulated host
is the check's processes (run with a group of their own, which the rule matches): the
machine's other work reaching the public index meanwhile is not cut off."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.support.emulation import StubResolver, only_through, private_resolv_conf
from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.tinyproxy import UID, Tinyproxy

# the emulated host's firewall is the machine's own for the test's duration
pytestmark = pytest.mark.alone

PUBLIC_HOSTS = ("pypi.org", "files.pythonhosted.org")
HOST_GID = 65533  # the emulated host's processes: root, with this group alone
AS_THE_HOST = ["setpriv", f"--regid={HOST_GID}", "--clear-groups"]
CONNECT = ("import socket, sys\n"
           "s = socket.socket(); s.settimeout(3)\n"
           "sys.exit(s.connect_ex((sys.argv[1], 443)) and 1)\n")


def ipv4_addresses(host: str) -> set[str]:
    return {info[4][0] for info in socket.getaddrinfo(host, 443, socket.AF_INET,
                                                      socket.SOCK_STREAM)}


def test_pandas_passes_through_the_hosts_proxy(pytester: pytest.Pytester,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    before = machine_snapshot()
    destinations = [(address, 443) for host in PUBLIC_HOSTS for address in ipv4_addresses(host)]
    with Tinyproxy() as proxy, only_through(UID, destinations, group=HOST_GID), \
            StubResolver({}) as no_outside_names, \
            private_resolv_conf(no_outside_names.address) as wrap:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url())
        address = destinations[0][0]  # the rule bites the host alone
        assert subprocess.run([*AS_THE_HOST, sys.executable, "-c", CONNECT, address],
                              timeout=30).returncode == 1
        assert subprocess.run([sys.executable, "-c", CONNECT, address],
                              timeout=30).returncode == 0
        result = pytester.run(*AS_THE_HOST, *wrap.command(
            [sys.executable, "-m", "pytest", "--offline-index", "-p", "no:cacheprovider"]),
            timeout=1200)
        assert result.ret == 0, result.stdout.str()[-3000:]
        result.stdout.fnmatch_lines([f"*through proxy 127.0.0.1:{proxy.port}*", "*4 passed*"])
        assert {"pypi.org:443", "files.pythonhosted.org:443"} <= set(proxy.tunnels())
        assert "pypi.org" in no_outside_names.queries  # asked, and refused: the proxy knew
    assert snapshot_diff(before, machine_snapshot()) == {}
