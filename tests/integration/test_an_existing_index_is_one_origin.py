"""An existing index is one origin — scheme, host and port — and a file counts as the
index's only where the index served its bytes. The existing index is a static server on
127.0.0.1; a second one on another port of the same host stands in for a CDN the index does
not control (the relay once compared host names only, and pip's report names the index's
own link even when a 302 sent the client elsewhere)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_offline_index.errors import OfflineInstallError
from tests.support.dists import Dist
from tests.support.upstream import LocalUpstream


@pytest.fixture
def cdn(tmp_path: Path) -> Iterator[LocalUpstream]:
    """Another server on the same host, another port: what the index's links or redirects
    send the client to."""
    with LocalUpstream(tmp_path / "cdn") as host:
        yield host


def on_the_cdn(index: LocalUpstream, cdn: LocalUpstream, dist: Dist,
               how: str) -> str:
    """Publish ``dist`` on ``index`` with its bytes on ``cdn``: the page links there
    ("link"), or the index answers its own link with a 302 there ("redirect"); the URL
    the bytes come from."""
    base = f"http://{cdn.address}:{cdn.port}/files/"
    path = (index.publish_elsewhere(dist, base=base) if how == "link"
            else index.publish(dist))[0]
    cdn.publish_file(path)
    if how == "redirect":
        index.redirect_files(base)
    return base + dist.filename


@pytest.mark.parametrize("how", ["link", "redirect"])
def test_another_port_of_the_index_s_host_is_elsewhere(fresh_upstream, cdn, make_scenario,
                                                       unique, how: str) -> None:
    """(a) links to, (b) a 302 to, another port of the same host: the install fails in one
    line naming the file and where its bytes were sent from."""
    index = fresh_upstream
    dist = Dist(unique(f"cdn-{how}"), "1.0")
    real = on_the_cdn(index, cdn, dist, how)
    scenario = make_scenario(index, dist.name, index_url=index.url)
    scenario.isolation()
    with pytest.raises(OfflineInstallError) as caught:
        scenario.install()
    said = str(caught.value)
    assert "\n" not in said
    assert (f"the index sends the client to {cdn.address}:{cdn.port} for {dist.filename}"
            in said)
    assert real in said  # where the bytes were sent from
    if how == "redirect":
        assert f"a 302 from {index.url.replace('/simple/', '/files/')}{dist.filename}" in said
    assert f"--offline-index-allow-host {cdn.address}:{cdn.port}" in said
    assert scenario.record("install").status == "failed"


@pytest.mark.parametrize(("how", "installer"), [("link", "pip"), ("redirect", "pip"),
                                               ("redirect", "uv")])
def test_files_an_allowed_host_served_are_reported_as_that_host_s(
        fresh_upstream, cdn, make_scenario, unique, how: str, installer: str) -> None:
    """(c) the CDN allowed by host:port: the install passes, and its detail counts the files
    where their bytes came from, never the CDN's as the index's own (uv too: its resolution
    names the index's links, the relay where the bytes came from)."""
    index = fresh_upstream
    app = Dist(unique(f"allowed-{how}"), "1.0", requires=[unique(f"own-dep-{how}")])
    dep = Dist(unique(f"own-dep-{how}"), "1.0")
    on_the_cdn(index, cdn, app, how)
    (dep_path,) = index.publish(dep)
    if how == "redirect":  # the dependency too: the index serves nothing itself
        cdn.publish_file(dep_path)
    scenario = make_scenario(index, app.name, index_url=index.url, installer=installer,
                             allow_hosts=[f"{cdn.address}:{cdn.port}"])
    scenario.run_all()
    install = scenario.record("install").detail
    if how == "link":
        assert (f"1 file from the index, 1 from the allowed host {cdn.address}:{cdn.port}"
                in install), install
    else:
        assert (f"0 files from the index, 2 from the allowed host {cdn.address}:{cdn.port}"
                in install), install
    assert scenario.record("import").status == "passed"


def test_yanked_only_candidates_are_named_as_yanked(upstream, make_scenario, unique) -> None:
    """(d) the index has only a yanked release: the failure says so, and says "the index"."""
    dist = Dist(unique("yanked-only"), "1.0")
    upstream.publish_yanked(dist)
    scenario = make_scenario(upstream, dist.name, index_url=upstream.url)
    scenario.isolation()
    with pytest.raises(OfflineInstallError) as caught:
        scenario.install()
    said = str(caught.value)
    assert (f"missing from the index: {dist.name} (only yanked releases in the index: 1.0"
            in said), said
    assert "the cache" not in said
