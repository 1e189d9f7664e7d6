"""After the cut the server cannot reach the upstream at all; a cut that did not happen fails."""

from __future__ import annotations

import pytest
from pyroute2 import IPRoute

from pytest_offline_index.errors import CutNotEffectiveError, OfflineInstallError
from pytest_offline_index.probe import endpoints_for, probe
from tests.support.dists import Dist


def test_after_the_cut_the_server_reaches_nothing_upstream(upstream, make_scenario,
                                                           unique) -> None:
    warmed, later = unique("warmed"), unique("never-warmed")
    upstream.publish(Dist(warmed, "1.0"), Dist(later, "1.0"))
    scenario = make_scenario(upstream, warmed)
    scenario.warm()
    scenario.cut()
    topo = scenario.index.topology

    assert topo.is_cut
    assert topo.default_routes(topo.names.server_ns) == []
    assert not any(r.reachable for r in probe(topo.names.server_ns,
                                              endpoints_for([upstream.url])))
    # devpi itself is alive but can no longer fetch anything it did not cache:
    venv = scenario.index.fresh_venv()
    with pytest.raises(OfflineInstallError, match=later):
        venv.install(later)


def test_a_route_put_back_makes_the_cut_check_fail(upstream, make_scenario, unique) -> None:
    name = unique("restored")
    upstream.publish(Dist(name, "1.0"))
    scenario = make_scenario(upstream, name)
    scenario.warm()
    scenario.cut()
    scenario.index.topology.restore()
    with pytest.raises(CutNotEffectiveError, match="the cut did not take effect"):
        scenario.index.verify_cut()


def test_install_refuses_to_run_without_a_cut(upstream, make_scenario, unique) -> None:
    name = unique("uncut")
    upstream.publish(Dist(name, "1.0"))
    scenario = make_scenario(upstream, name)
    scenario.warm()
    with pytest.raises(CutNotEffectiveError, match="not cut"):
        scenario.install()


def test_a_path_out_beside_the_main_table_is_caught_by_the_probes(upstream, make_scenario,
                                                                 unique) -> None:
    # A leak the default-route check cannot see: a policy rule sends everything to table
    # 100, whose own default route still leads to the gateway after the main one is gone.
    name = unique("leaky")
    upstream.publish(Dist(name, "1.0"))
    scenario = make_scenario(upstream, name)
    scenario.warm()
    topo = scenario.index.topology
    with IPRoute(netns=topo.names.server_ns, flags=0) as srv:
        srv.route("add", dst="0.0.0.0/0", gateway=str(topo.addressing.uplink_gateway),
                  table=100)
        srv.rule("add", table=100, priority=100)
    host, port = scenario.index.relay.address
    with pytest.raises(CutNotEffectiveError) as excinfo:
        scenario.cut()
    assert topo.default_routes(topo.names.server_ns) == []  # the main table is cut...
    assert str(excinfo.value) == (  # ...and the probes name the way out that is left
        f"the cut did not take effect: {topo.names.server_ns} still reaches the relay at "
        f"{host}:{port}")
