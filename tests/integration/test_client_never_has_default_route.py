"""The client host is air-gapped from the start: no default route, no way to the upstream."""

from __future__ import annotations

from pytest_offline_index.probe import endpoints_for, probe
from tests.support.dists import Dist


def test_client_has_no_default_route_before_or_after_the_cut(upstream, make_scenario,
                                                             unique) -> None:
    name = unique("solo")
    upstream.publish(Dist(name, "1.0"))
    scenario = make_scenario(upstream, name)
    scenario.warm()
    topo = scenario.topology
    endpoints = endpoints_for([upstream.url])

    assert topo.default_routes(topo.names.client_ns) == []
    # Before the cut the server reaches the upstream and the client does not:
    assert [r.reachable for r in probe(topo.names.server_ns, endpoints)] == [True]
    assert [r.reachable for r in probe(topo.names.client_ns, endpoints)] == [False]

    scenario.cut()
    assert topo.default_routes(topo.names.client_ns) == []
    assert [r.reachable for r in probe(topo.names.client_ns, endpoints)] == [False]
