"""The client host is air-gapped from the start: no default route, no way to the upstream."""

from __future__ import annotations

from pytest_offline_index.netns import endpoints_for, probe, tunnel
from tests.support.dists import Dist


def test_client_has_no_default_route_before_or_after_the_cut(upstream, make_scenario,
                                                             unique) -> None:
    name = unique("solo")
    upstream.publish(Dist(name, "1.0"))
    scenario = make_scenario(upstream, name)
    scenario.warm()
    topo = scenario.index.topology
    endpoints = endpoints_for([upstream.url])

    relay = scenario.index.handle().relay
    srv, cli = topo.server, topo.client

    assert topo.default_routes(cli) == []
    # Before the cut the server's one way out is the relay; the client has none at all.
    assert tunnel(srv, relay, upstream.address, upstream.port)[0]
    assert not tunnel(cli, relay, upstream.address, upstream.port)[0]
    for ns in (srv, cli):
        assert [r.reachable for r in probe(ns, endpoints)] == [False]

    scenario.cut()
    assert topo.default_routes(cli) == []
    assert not tunnel(srv, relay, upstream.address, upstream.port)[0]
    assert [r.reachable for r in probe(cli, endpoints)] == [False]
