"""An upstream that is down while warming is its own error, not a failed check."""

from __future__ import annotations

import pytest

from pytest_offline_index.errors import UpstreamUnreachableError, WarmError
from tests.support.dists import Dist
from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.upstream import LocalUpstream


def test_upstream_down_during_warm_is_named_as_such(fresh_upstream, make_scenario) -> None:
    fresh_upstream.publish(Dist("downpkg", "1.0"))
    before = machine_snapshot()
    scenario = make_scenario(fresh_upstream, "downpkg")
    scenario.index.start()  # up while the run starts; gone once it warms
    with fresh_upstream.down(), pytest.raises(UpstreamUnreachableError) as excinfo:
        scenario.warm()
    address = f"{fresh_upstream.address}:{fresh_upstream.port}"
    # Named from the relay's own view, not as "devpi answered 502":
    assert str(excinfo.value) == (
        f"upstream unreachable during warm of downpkg: {fresh_upstream.address} at "
        f"{address} refused the connection")
    assert scenario.record("warm").status == "failed"
    assert [r.status for r in scenario.report.steps.values()][1:] == ["not run"] * 3
    scenario.close()
    assert snapshot_diff(before, machine_snapshot()) == {}


def test_a_project_the_upstream_lacks_is_not_called_unreachable(upstream, make_scenario,
                                                                unique) -> None:
    scenario = make_scenario(upstream, unique("never-published"))
    with pytest.raises(WarmError, match="no such project on the upstream index"):
        scenario.warm()


def test_a_certificate_devpi_refuses_is_named_as_a_tls_failure(tmp_path, make_scenario) -> None:
    # Through a CONNECT tunnel the relay sees only bytes: the cause comes from devpi's log.
    with LocalUpstream(tmp_path / "tls-upstream", tls=True) as untrusted:
        untrusted.publish(Dist("tlspkg", "1.0"))
        scenario = make_scenario(untrusted, "tlspkg")
        with pytest.raises(UpstreamUnreachableError) as excinfo:
            scenario.warm()
        scenario.close()
    message = str(excinfo.value)
    assert message.startswith(
        f"upstream unreachable during warm of tlspkg: TLS failure talking to "
        f"{untrusted.address}: ")
    assert "CERTIFICATE_VERIFY_FAILED" in message
    # who issued what it saw, looked at the relay's way there, and what it was checked with
    assert (f"(the certificate it showed was issued by CN={untrusted.address}, "
            f"O=offline-index test CA; verified with ") in message
    assert "name another CA bundle with --offline-index-upstream-cert" in message


def test_the_upstream_cert_option_makes_devpi_trust_the_upstream(tmp_path, make_scenario,
                                                                  ) -> None:
    """A TLS-inspecting proxy's CA, emulated by the upstream's own self-signed certificate:
    named with --offline-index-upstream-cert, devpi verifies against it and the check
    passes end to end."""
    with LocalUpstream(tmp_path / "tls-upstream", tls=True) as inspected:
        inspected.publish(Dist("tlspkg", "1.0"))
        ca = tmp_path / "ca.pem"
        pem = inspected.pem.read_text()
        ca.write_text(pem[:pem.index("-----BEGIN PRIVATE KEY-----")])
        scenario = make_scenario(inspected, "tlspkg", upstream_cert=str(ca))
        scenario.warm()
        scenario.cut()
        scenario.install()
        (result,) = scenario.check_imports()
        assert result.ok, result.detail
        scenario.close()
