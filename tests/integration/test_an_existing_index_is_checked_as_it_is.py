"""An index a team already runs is checked as it is: no devpi of the run's own, no warm, no
cut. The tests' static upstream, on the host's loopback, plays the existing index: only the
relay (in the harness, on the host) can reach it; the client has no route anywhere."""

from __future__ import annotations

import contextlib
import json
import socket
import sysconfig
import threading
from pathlib import Path

import pytest

from pytest_offline_index.devpi.server import DevpiServer
from pytest_offline_index.errors import OfflineInstallError
from pytest_offline_index.index.existing import ExistingIndex
from pytest_offline_index.inputs.targets import find_python
from tests.support.dists import Dist
from tests.support.machine import machine_snapshot, snapshot_diff

TOKEN = "tok-5ecret-4711"
PLATFORM = sysconfig.get_platform().replace("-", "_").replace(".", "_")


@pytest.fixture
def team_devpi(tmp_path, upstream):  # type: ignore[no-untyped-def]
    """A devpi-server the test starts on the host's loopback, mirroring the static upstream:
    a team's own devpi, as the existing index."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = DevpiServer(tmp_path / "team-devpi", upstream.url, namespace=None, port=port,
                         client_host="127.0.0.1", listen="127.0.0.1")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("kind,installer", [("static", "pip"), ("static", "uv"),
                                            ("devpi", "pip"), ("devpi", "devpi")])
def test_an_existing_index_passes_isolated_install_and_import(
        request, upstream, make_scenario, unique, kind: str, installer: str) -> None:
    app = Dist(unique("existing-app"), "1.0", requires=[unique("existing-dep")])
    dep = Dist(unique("existing-dep"), "2.0")
    upstream.publish(app, dep)
    url = upstream.url if kind == "static" else request.getfixturevalue("team_devpi").simple_url
    before = machine_snapshot()
    scenario = make_scenario(upstream, app.name, index_url=url, installer=installer)
    assert isinstance(scenario.index, ExistingIndex)  # no devpi of the run's own
    scenario.run_all()
    assert {k: str(r.status) for k, r in scenario.report.steps.items()} == {
        "isolation": "passed", "py3.11::install": "passed", "py3.11::import": "passed"}
    isolation = scenario.record("isolation").detail
    assert "a tunnel to a host off the list refused" in isolation and "403" in isolation
    install = scenario.record("install").detail
    assert f"from {url}" in install and "through the relay" in install
    assert scenario.report.installed["py3.11"] == {app.name: "1.0", dep.name: "2.0"}
    scenario.close()
    assert snapshot_diff(before, machine_snapshot()) == {}


def test_what_the_existing_index_lacks_is_named(upstream, make_scenario, unique) -> None:
    app = Dist(unique("lacking-app"), "1.0", requires=[unique("never-there")])
    upstream.publish(app)
    scenario = make_scenario(upstream, app.name, index_url=upstream.url)
    scenario.isolation()
    with pytest.raises(OfflineInstallError) as caught:
        scenario.install()
    assert unique("never-there") in str(caught.value)
    assert [h.project for h in scenario.report.holes["py3.11"]] == [unique("never-there")]


def test_a_page_that_sends_the_client_to_another_host_is_named_until_it_is_allowed(
        upstream, make_scenario, unique) -> None:
    dist = Dist(unique("elsewhere"), "1.0")
    upstream.publish_elsewhere(dist)
    scenario = make_scenario(upstream, dist.name, index_url=upstream.url)
    scenario.isolation()
    with pytest.raises(OfflineInstallError) as caught:
        scenario.install()
    assert (f"the index sends the client to {upstream.other_address}:{upstream.port} for "
            f"{dist.filename}") in str(caught.value)
    assert (f"--offline-index-allow-host {upstream.other_address}:{upstream.port}"
            in str(caught.value))
    scenario.close()

    allowed = make_scenario(upstream, dist.name, index_url=upstream.url,
                            allow_hosts=[f"{upstream.other_address}:{upstream.port}"])
    allowed.run_all()  # the files host is part of the index now: it passes
    assert allowed.record("import").status == "passed"


class CommandLineWatcher:
    """Reads every process's command line, every few milliseconds, while a run goes on:
    what any user of the machine could see with ``ps``."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.seen: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                with contextlib.suppress(OSError):
                    if self.secret in (argv := cmdline.read_bytes()):
                        self.seen.append(argv.replace(b"\0", b" ").decode(errors="replace"))

    def __enter__(self) -> CommandLineWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.mark.parametrize("how", ["url", "netrc"])
def test_credentials_are_used_and_never_appear(pytester, upstream, unique, how: str) -> None:
    """An index that answers 401 without them: with credentials in the URL (of the ini
    file), or in a netrc file the user names, the check passes, and the token is nowhere in
    the run's output, report or junit, nor on any process's command line meanwhile."""
    dist = Dist(unique("secret-app"), "1.0")
    upstream.publish(dist)
    netrc = pytester.path / "index.netrc"
    netrc.write_text(f"machine {upstream.address} login oi-reader password {TOKEN}\n")
    url = upstream.url.replace("://", f"://oi-reader:{TOKEN}@") if how == "url" else upstream.url
    pytester.makeini(f"[pytest]\noffline_index_url = {url}\n")
    args = ["--offline-index", "-p", "no:cacheprovider", "-v",
            "--offline-index-package", dist.name, "--offline-index-report", "report.json",
            "--junitxml", "junit.xml", *(["--offline-index-netrc", str(netrc)]
                                         if how == "netrc" else [])]
    with upstream.requiring("oi-reader", TOKEN):
        if how == "url":  # without credentials the index answers 401: the install fails
            bare = pytester.runpytest_subprocess(
                "--offline-index", "-p", "no:cacheprovider", "--offline-index-url",
                upstream.url, "--offline-index-package", dist.name)
            bare.assert_outcomes(passed=1, failed=1, skipped=1)
        with CommandLineWatcher(TOKEN) as watcher:
            result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=3)
    assert watcher.seen == []
    report = json.loads((pytester.path / "report.json").read_text())
    shown = upstream.url.replace("://", "://***@") if how == "url" else upstream.url
    assert report["checks"][0]["index"] == shown
    everything = "\n".join([*result.outlines, *result.errlines,
                            (pytester.path / "report.json").read_text(),
                            (pytester.path / "junit.xml").read_text()])
    assert "offline-index::isolation PASSED" in everything
    assert TOKEN not in everything


def test_a_marker_check_of_an_existing_index_runs_beside_the_option(pytester, upstream,
                                                                     unique) -> None:
    """With the option naming an existing index, a marked test checks that index too, and
    no devpi of the run's own is started for it."""
    dist = Dist(unique("marked-existing"), "1.0")
    upstream.publish(dist)
    pytester.makepyfile(test_marked=f'''
import pytest


@pytest.mark.offline_index(packages=["{dist.name}"])
def test_the_team_index_serves_it():
    pass
''')
    result = pytester.runpytest_subprocess("--offline-index", "-p", "no:cacheprovider",
                                           "--offline-index-url", upstream.url,
                                           "--offline-index-package", dist.name)
    result.assert_outcomes(passed=4)
    assert "devpi-server up" not in result.stdout.str()


def test_a_matrix_hole_in_an_existing_index_is_named_to_the_file(
        fresh_upstream, make_scenario, unique) -> None:
    """The index lists a cp312 wheel it cannot serve (a remote repository's uncached file):
    3.11 passes, 3.12's install names that file. (A private upstream: the shared one must
    keep every file it lists.)"""
    upstream = fresh_upstream
    py311, py312 = find_python("3.11"), find_python("3.12")
    name = unique("binary")
    wheels = [Dist(name, "1.0", tag=f"cp{v}-cp{v}-{PLATFORM}") for v in ("311", "312")]
    upstream.publish(*wheels)
    (upstream.files_dir / wheels[1].filename).unlink()  # listed, not served
    scenario = make_scenario(upstream, name, index_url=upstream.url, targets=[py311, py312])
    with pytest.raises(OfflineInstallError) as excinfo:
        scenario.run_all()
    assert scenario.record("import", py311).status == "passed"
    assert scenario.record("install", py312).status == "failed"
    assert str(excinfo.value).startswith("py3.12: ")
    assert f"missing from the index: {name} 1.0 ({wheels[1].filename})" in str(excinfo.value)
