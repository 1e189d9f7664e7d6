"""On hosts unlike this one the reference path passes, and the host is left exactly as found.

Each emulation is made and removed by the test itself: a loopback stub resolver named in a
private mount namespace's ``/etc/resolv.conf`` (systemd-resolved, Docker's 127.0.0.11), an
nft table whose forward hook drops by default with ``ip_forward=1`` (Docker), and one whose
input hook drops everything but ``lo`` and established traffic. The host's links, addresses,
routes (v4 and v6) a run could make or touch, the suite's nft tables and ``ip_forward`` are
compared before, during (after the warm, after the cut) and after the run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from pytest_offline_index.errors import UpstreamUnreachableError
from tests.support.dists import Dist
from tests.support.emulation import StubResolver, forward_drop, input_drop, private_resolv_conf
from tests.support.machine import machine_snapshot

# the emulated host's firewall is the machine's own for the test's duration
pytestmark = pytest.mark.alone

HOST_STATE = ("links", "addresses", "routes", "nft tables", "ip_forward", "named namespaces")
REPO = Path(__file__).resolve().parents[2]


def host_state() -> dict[str, object]:
    snapshot = machine_snapshot()
    return {key: snapshot[key] for key in HOST_STATE}


FIREWALLS: dict[str, Callable[[], AbstractContextManager[object]]] = {
    "forward hook drops, ip_forward=1": forward_drop,
    "input hook drops all but lo and established": input_drop,
}


@pytest.mark.parametrize("firewall", FIREWALLS)
def test_the_reference_path_passes_behind_a_dropping_firewall(
        firewall, upstream, make_scenario, unique) -> None:
    name = unique("firewalled")
    upstream.publish(Dist(name, "1.0"))
    with FIREWALLS[firewall]():
        before = host_state()
        scenario = make_scenario(upstream, name)
        scenario.warm()
        after_warm = host_state()
        scenario.cut()
        after_cut = host_state()
        scenario.install()
        scenario.check_imports()
        scenario.close()
        after = host_state()
    assert after_warm == before
    assert after_cut == before
    assert after == before
    warm = scenario.report.steps[f"{scenario.targets[0].label}::warm"]
    assert warm.upstream is not None and warm.upstream.bytes > 0


# Runs inside the check's own pytest: records the host's state as the install step begins.
MID_RUN_CONFTEST = f"""
import json, sys
sys.path.insert(0, {str(REPO)!r})
from tests.support.machine import machine_snapshot

def pytest_runtest_setup(item):
    if item.nodeid.endswith("::install"):
        snapshot = machine_snapshot()
        keep = {{k: snapshot[k] for k in {HOST_STATE!r}}}
        with open("mid-run.json", "w") as out:
            json.dump(keep, out, default=list)
"""


@pytest.fixture
def stub_resolver(upstream) -> Iterator[StubResolver]:
    with StubResolver({"upstream.test": upstream.address}) as stub:
        yield stub


def test_the_check_passes_with_a_loopback_stub_resolver(pytester, upstream, unique,
                                                        stub_resolver) -> None:
    name = unique("resolved")
    upstream.publish(Dist(name, "1.0"))
    pytester.makeconftest(MID_RUN_CONFTEST)
    url = upstream.url.replace(upstream.address, "upstream.test")
    argv = ["-m", "pytest", "-p", "no:cacheprovider", "--offline-index",
            "--offline-index-upstream", url,
            "--offline-index-package", name]
    before = host_state()
    with private_resolv_conf(stub_resolver.address) as wrap:
        result = pytester.run(*wrap.command([sys.executable, *argv]),
                              timeout=600)
    after = host_state()
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*4 passed*"])
    assert "upstream.test" in stub_resolver.queries  # the relay asked the host's resolver
    mid_run = json.loads((pytester.path / "mid-run.json").read_text())
    assert json.loads(json.dumps(before, default=list)) == mid_run
    assert after == before


def test_a_host_outside_the_allowlist_is_refused_and_named(upstream, make_scenario,
                                                          unique) -> None:
    name = unique("elsewhere")
    upstream.publish_elsewhere(Dist(name, "1.0"))
    scenario = make_scenario(upstream, name)
    with pytest.raises(UpstreamUnreachableError) as excinfo:
        scenario.warm()
    other = f"{upstream.other_address}:{upstream.port}"  # a host's other port is elsewhere
    assert f"the relay refused {other}: not an allowed host" in str(excinfo.value)
    assert f"--offline-index-allow-host {other}" in str(excinfo.value)

    allowed = make_scenario(upstream, name, allow_hosts=[other])
    allowed.warm()
    allowed.cut()
    allowed.install()
