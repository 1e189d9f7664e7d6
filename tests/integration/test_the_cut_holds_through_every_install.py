"""Any request the relay carries during an install fails that install — for a fixture's
fresh venv and for an xdist worker that did not start the index, not only for the check.

The request is the test's own: a CONNECT sent to the relay from a socket made in the gateway
namespace while pip runs (after the cut, nothing inside the run can reach the relay)."""

from __future__ import annotations

import socket

import pytest

from pytest_offline_index.errors import CutNotEffectiveError
from pytest_offline_index.index.offline import OfflineIndex
from tests.support.dists import Dist


def knock(index: OfflineIndex, host: str, port: int) -> None:
    """One request carried through the relay to the upstream, as a leak would make."""
    topo = index.topology
    assert topo is not None
    with topo.gateway.connect(index.handle().relay, socket.AF_INET, 5) as sock:
        sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\n\r\n".encode())
        sock.recv(100)  # "200": the relay opened the tunnel, and counted it


def test_a_request_through_the_relay_fails_a_fresh_venv_install(upstream, make_scenario,
                                                                unique) -> None:
    name = unique("leaky")
    upstream.publish(Dist(name, "1.0"))
    index = make_scenario(upstream, name).index
    index.start()
    index.warm([name])
    index.cut()
    clean = index.fresh_venv()
    clean.install(name)  # nothing crossed: it passes
    knocked: list[str] = []

    def leak(line: str) -> None:
        if not knocked:
            knocked.append(line)
            knock(index, upstream.address, upstream.port)

    venv = index.fresh_venv()
    with pytest.raises(CutNotEffectiveError, match=r"1 connection crossed the relay"):
        venv.install(name, on_line=leak)
    assert knocked


SUITE = '''
import fcntl, socket
from pathlib import Path

import pytest

from pytest_offline_index.errors import CutNotEffectiveError


def test_each_worker_gets_the_promise(offline_index, fresh_venv):
    with open("serial.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker at a time: a clean window each
        offline_index.restore()
        offline_index.warm(["{name}"])
        offline_index.cut()

        def leak(line, done=[]):
            if not done:
                done.append(line)
                with offline_index.topology.gateway.connect(
                        offline_index.handle().relay, socket.AF_INET, 5) as sock:
                    sock.sendall(b"CONNECT {address} HTTP/1.1\\r\\n\\r\\n")
                    sock.recv(100)

        with pytest.raises(CutNotEffectiveError, match="crossed the relay"):
            fresh_venv.install("{name}", on_line=leak)
    Path("attached").mkdir(exist_ok=True)
    Path("attached", str((offline_index._stack is None))).touch()
'''


def test_an_xdist_worker_that_did_not_start_the_index_gets_the_promise(pytester, upstream,
                                                                      unique) -> None:
    name = unique("leakyx")
    upstream.publish(Dist(name, "1.0"))
    pytester.makeini(f"[pytest]\n{upstream.ini}")
    pytester.makepyfile(SUITE.replace("{name}", name).replace(
        "{address}", f"{upstream.address}:{upstream.port}"))
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "each", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert sorted(p.name for p in (pytester.path / "attached").iterdir()) == ["False", "True"]
