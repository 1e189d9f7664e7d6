"""``--offline-index-port``: devpi serves the index on that port, and the install uses it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.dists import Dist
from tests.support.upstream import LocalUpstream

PORT = 3999  # not the default 3141

SUITE = '''
from urllib.parse import urlsplit

PROBE = """
import socket
for port in ({port}, 3141):
    try:
        socket.create_connection(("{{host}}", port), timeout=5).close()
        print("open")
    except ConnectionRefusedError:
        print("refused")
"""


def test_the_index_is_served_on_the_port(offline_index, fresh_venv):
    url = urlsplit(offline_index.simple_url)
    assert url.port == {port}
    offline_index.restore()
    offline_index.warm(["{name}"])
    offline_index.cut()
    fresh_venv.install("{name}")
    fresh_venv.check_imports("{module}")
    # From the air-gapped client: devpi answers on the port, nothing on the default one.
    done = fresh_venv.run(PROBE.format(host=url.hostname))
    assert done.output.split() == ["open", "refused"], done.output
'''


def test_a_run_serves_and_installs_on_the_port_given(
        pytester: pytest.Pytester, upstream: LocalUpstream, unique: Any) -> None:
    name = unique("ported")
    upstream.publish(Dist(name, "1.0"))
    pytester.makeini(f"[pytest]\n{upstream.ini}")
    pytester.makepyfile(SUITE.format(port=PORT, name=name, module=Dist(name, "1.0").module))

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider",
                                           "--offline-index-port", str(PORT))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"offline-index: devpi-server up (pid *), index http://*:{PORT}/offline/airgap/+simple/"])
