"""On a host whose only way out is its proxy, the relay reaches the upstream through it.

Emulated: a real tinyproxy on loopback, running as uid 65534, and an output rule (a table of
the test's own) that drops TCP to the upstream from every socket that user does not own. A
relay that went direct would time out; the proxy's log shows each tunnel it opened."""

from __future__ import annotations

import pytest

from pytest_offline_index.errors import UpstreamUnreachableError
from tests.support.dists import Dist
from tests.support.emulation import only_through
from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.tinyproxy import UID, Tinyproxy

# the emulated host's firewall is the machine's own for the test's duration
pytestmark = pytest.mark.alone

SECRET = ("oi-user", "s3cret-Pa55")


def upstream_only_through_the_proxy(upstream):  # type: ignore[no-untyped-def]
    return only_through(UID, [(upstream.address, upstream.port),
                              (upstream.other_address, upstream.port)])


def test_the_check_passes_through_the_proxy_the_environment_names(
        upstream, make_scenario, unique, monkeypatch) -> None:
    dist = Dist(unique("proxied"), "1.0")
    upstream.publish(dist)
    before = machine_snapshot()
    with Tinyproxy() as proxy, upstream_only_through_the_proxy(upstream):
        monkeypatch.setenv("HTTP_PROXY", proxy.url())
        monkeypatch.setenv("HTTPS_PROXY", proxy.url())
        monkeypatch.setenv("NO_PROXY", "example.invalid")
        scenario = make_scenario(upstream, dist.name)
        scenario.warm()
        scenario.cut()
        scenario.install()
        (result,) = scenario.check_imports()
        assert result.ok, result.detail
        scenario.close()
        assert f"{upstream.address}:{upstream.port}" in proxy.tunnels()
    assert snapshot_diff(before, machine_snapshot()) == {}


def test_without_the_proxy_the_emulated_host_cannot_reach_the_upstream(
        upstream, make_scenario, unique) -> None:
    """The emulation bites: the same run with the proxy turned off cannot start its warm."""
    dist = Dist(unique("unproxied"), "1.0")
    upstream.publish(dist)
    with Tinyproxy() as proxy, upstream_only_through_the_proxy(upstream):
        scenario = make_scenario(upstream, dist.name, upstream_proxy="none")
        with pytest.raises(UpstreamUnreachableError, match="timed out"):
            scenario.warm()
        scenario.close()
        assert proxy.tunnels() == []


def test_a_proxy_that_asks_for_credentials_is_named_and_its_credentials_are_not(
        upstream, make_scenario, unique, capsys) -> None:
    dist = Dist(unique("authed"), "1.0")
    upstream.publish(dist)
    with Tinyproxy(basic_auth=SECRET) as proxy, upstream_only_through_the_proxy(upstream):
        refused = make_scenario(upstream, dist.name, upstream_proxy=proxy.url())
        with pytest.raises(UpstreamUnreachableError) as excinfo:
            refused.warm()
        refused.close()
        assert f"proxy 127.0.0.1:{proxy.port} answered 407 Proxy Authentication Required" in (
            str(excinfo.value))

        lines: list[str] = []
        admitted = make_scenario(upstream, dist.name, upstream_proxy=proxy.url(SECRET),
                                 progress=lines.append)
        admitted.warm()
        admitted.cut()
        admitted.install()
        admitted.close()
    shown = "\n".join([*lines, str(excinfo.value), *capsys.readouterr()])
    assert f"through proxy 127.0.0.1:{proxy.port}" in shown
    assert SECRET[1] not in shown and SECRET[0] not in shown
