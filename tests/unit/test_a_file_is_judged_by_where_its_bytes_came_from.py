"""An existing index's origin check judges each file by the request that delivered its
bytes, as the relay recorded it: a link followed by a 302 to another origin is judged where
the redirect ended, a refused request names where the bytes were sent from, and files an
allowed host served are counted as that host's, never as the index's own."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_offline_index.proof.origin import (
    Origin,
    Source,
    Witness,
    delivered,
    foreign_installs,
    from_pip_report,
    sent_elsewhere,
    served_by,
)
from pytest_offline_index.relay.records import RelayRequest

INDEX = "http://10.7.0.2:3141/simple/"
LINK = "http://10.7.0.2:3141/files/six-1.17.0-py2.py3-none-any.whl"
CDN = "http://10.7.0.2:8080/blobs/six-1.17.0-py2.py3-none-any.whl"


class Seen:
    """A relay's record, as an existing index's witness hands it over."""

    def __init__(self, *requests: RelayRequest) -> None:
        self.seen = list(requests)
        self.said: list[str] = []

    def __call__(self, since: float) -> list[tuple[str, int]]:
        return [(r.host, r.port) for r in self.seen if r.refused]

    def requests(self, since: float) -> list[RelayRequest]:
        return [r for r in self.seen if r.at >= since]

    def judged(self, said: str) -> None:
        self.said.append(said)


def http(url: str, status: int | None = 200, location: str | None = None,
         refused: bool = False) -> RelayRequest:
    host, _, rest = url.removeprefix("http://").partition("/")
    name, port = host.split(":")
    return RelayRequest("http", name, int(port), "/" + rest, 1.0, refused, status, location)


def tunnel(origin: str) -> RelayRequest:
    host, port = origin.split(":")
    return RelayRequest("https", host, int(port), None, 1.0)


SIX = {"six": Origin("six", "1.17.0", (Source(LINK),))}


def test_the_witness_is_what_the_origin_check_recognises() -> None:
    assert isinstance(Seen(), Witness)
    assert not isinstance(lambda since: [], Witness)  # a plain refusals callback


def test_a_redirect_is_followed_to_where_it_ended() -> None:
    hop = http(LINK, 302, CDN)
    assert delivered(LINK, [hop, http(CDN)]) == (CDN, [hop])
    assert delivered(LINK, []) == (LINK, [])  # https, or nothing seen: the link itself


def test_a_302_to_another_port_is_from_elsewhere_naming_where() -> None:
    seen = Seen(http(LINK, 302, CDN), http(CDN))
    assert foreign_installs({"six": "1.17.0"}, SIX, INDEX, None, ("10.7.0.2:3141",),
                            witness=seen) == [
        f"six 1.17.0: six-1.17.0-py2.py3-none-any.whl's bytes came from {CDN} (a 302 from "
        f"{LINK}), not from the index under test"]
    assert seen.said == []


def test_without_the_relay_s_record_the_link_is_all_there_is() -> None:
    # what pip's report alone says: the index's own link, whatever served the bytes
    assert foreign_installs({"six": "1.17.0"}, SIX, INDEX, None, ("10.7.0.2:3141",)) == []


def test_files_an_allowed_host_served_are_counted_as_its_own() -> None:
    seen = Seen(http(LINK, 302, CDN), http(CDN))
    assert foreign_installs({"six": "1.17.0"}, SIX, INDEX, None,
                            ("10.7.0.2:3141", "10.7.0.2:8080"), witness=seen) == []
    assert seen.said == ["0 files from the index, 1 from the allowed host 10.7.0.2:8080"]


def test_files_the_index_served_are_the_index_s(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"version": "1", "install": [{
        "download_info": {"url": LINK.replace("six-1.17.0", "six-1.17.0")},
        "metadata": {"name": "six", "version": "1.17.0"}}]}))
    seen = Seen(http(LINK))
    assert foreign_installs({"six": "1.17.0"}, from_pip_report(report), INDEX, None,
                            ("10.7.0.2:3141",), witness=seen) == []
    assert seen.said == ["1 file from the index"]


def test_tunnels_to_an_allowed_host_no_link_named_are_said() -> None:
    seen = Seen(tunnel("repo.example:443"), tunnel("cdn.example:443"))
    https = {"six": Origin("six", "1.17.0", (Source(
        "https://repo.example/files/six-1.17.0-py2.py3-none-any.whl"),))}
    assert foreign_installs({"six": "1.17.0"}, https, "https://repo.example/simple/", None,
                            ("repo.example:443", "cdn.example"), witness=seen) == []
    assert seen.said == ["1 file from the index, tunnels to cdn.example:443 too (https: "
                         "which files they carried, the relay cannot see)"]


def test_an_origin_is_scheme_host_and_port() -> None:
    hosts = ("10.7.0.2:3141", "cdn.example")
    assert served_by(LINK, INDEX, hosts) == "the index"
    assert served_by(CDN, INDEX, hosts) is None  # same host, another port
    assert served_by("https://10.7.0.2:3141/x.whl", INDEX, ()) is None  # another scheme
    assert served_by("https://cdn.example/x.whl", INDEX, hosts) == "cdn.example"
    assert served_by("http://cdn.example/x.whl", INDEX, hosts) == "cdn.example"
    assert served_by("https://cdn.example:8443/x.whl", INDEX, hosts) is None


def test_a_refused_redirect_names_the_file_and_where_its_bytes_were_sent_from() -> None:
    seen = Seen(http(LINK, 302, CDN), http(CDN, None, refused=True))
    assert sent_elsewhere(("10.7.0.2", 8080), "", seen, 0.0) == (
        f"the index sends the client to 10.7.0.2:8080 for six-1.17.0-py2.py3-none-any.whl: "
        f"a 302 from {LINK} to {CDN}, which the relay does not let through; if that host "
        f"serves the index's files, add it with --offline-index-allow-host 10.7.0.2:8080")


def test_a_refused_link_names_the_file_and_its_url() -> None:
    seen = Seen(http(CDN, None, refused=True))
    assert sent_elsewhere(("10.7.0.2", 8080), "", seen, 0.0).startswith(
        f"the index sends the client to 10.7.0.2:8080 for six-1.17.0-py2.py3-none-any.whl "
        f"({CDN}), which")


def test_a_refused_tunnel_is_named_from_the_installer_s_output() -> None:
    output = ("WARNING: Retrying ... ProxyError('Unable to connect to proxy', OSError('Tunnel "
              "connection failed: 403 Forbidden')): /blobs/x.whl\nERROR: Could not install "
              "requirement x from https://cdn.example/blobs/x-1.0-py3-none-any.whl#sha256=ab "
              "because of HTTP error 403\n")
    assert sent_elsewhere(("cdn.example", 443), output) == (
        "the index sends the client to cdn.example:443 for x-1.0-py3-none-any.whl "
        "(https://cdn.example/blobs/x-1.0-py3-none-any.whl), which the relay does not let "
        "through; if that host serves the index's files, add it with "
        "--offline-index-allow-host cdn.example")
