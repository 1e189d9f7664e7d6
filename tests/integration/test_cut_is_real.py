"""After the cut the server cannot reach the upstream at all; a cut that did not happen fails."""

from __future__ import annotations

import sys

import pytest

from pytest_offline_index.errors import CutNotEffectiveError, OfflineInstallError
from pytest_offline_index.execute.commands import run
from pytest_offline_index.netns import endpoints_for, probe
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
    assert topo.default_routes(topo.server) == []
    assert not any(r.reachable for r in probe(topo.server,
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
    leak = (f"from pyroute2 import IPRoute\n"
            f"with IPRoute() as srv:\n"
            f"    srv.route('add', dst='0.0.0.0/0', gateway='{topo.addressing.uplink_gateway}',"
            f" table=100)\n"
            f"    srv.rule('add', table=100, priority=100)\n")
    added = run(topo.server.command([sys.executable, "-c", leak]))
    assert added.ok, added.output
    host, port = scenario.index.handle().relay
    with pytest.raises(CutNotEffectiveError) as excinfo:
        scenario.cut()
    assert topo.default_routes(topo.server) == []  # the main table is cut...
    assert str(excinfo.value) == (  # ...and the probes name the way out that is left
        f"the cut did not take effect: the server host still reaches the relay at "
        f"{host}:{port}")
