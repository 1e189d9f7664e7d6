"""Warming: each file is printed as it downloads, and a failed warm says why in one line.

``diagnose_warm_failure`` takes devpi's status for a project's mirror page as a callable
(``mirror_status``); the tests pass plain functions returning what devpi would answer.
"""

from __future__ import annotations

import pytest

from pytest_offline_index.errors import UpstreamUnreachableError, WarmError
from pytest_offline_index.index.warm import DOWNLOAD_LINE, diagnose_warm_failure
from tests.unit.pip_captures import CURRENT, OLDER, PIP_VERSIONS, captured

UPSTREAM = "https://pypi.org/simple/"


def downloads(output: str) -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for line in output.splitlines()
            if (m := DOWNLOAD_LINE.match(line))]


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
@pytest.mark.parametrize(("case", "expected"), [
    ("download-six", [("six-1.17.0-py2.py3-none-any.whl", "11 kB")]),
    ("download-goodpkg", [("goodpkg-1.0-py3-none-any.whl", "1.1 kB")]),
    ("download-brokenbuild", [("brokenbuild-1.0.tar.gz", "414 bytes")]),
    ("download-conflict", [("pinsgood-1.0-py3-none-any.whl", "1.1 kB"),
                           ("goodpkg-1.1-py3-none-any.whl", "1.1 kB")]),
    ("download-nosuchproject", []),
])
def test_each_downloaded_file_is_named_with_its_size(
        pip_version: str, case: str, expected: list[tuple[str, str]]) -> None:
    assert downloads(captured(pip_version, case)) == expected


def test_pip_26_prints_the_file_name_and_older_pip_the_url() -> None:
    assert "  Downloading goodpkg-1.0-py3-none-any.whl (1.1 kB)" in captured(
        CURRENT, "download-goodpkg").splitlines()
    assert any(line.startswith("  Downloading http://127.0.0.1:") for line in captured(
        OLDER, "download-goodpkg").splitlines())


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_the_relays_own_reason_wins(pip_version: str) -> None:
    error = diagnose_warm_failure(
        captured(pip_version, "download-nosuchproject"), ["nosuchproject"], UPSTREAM,
        lambda project: 404, ["pypi.org: name did not resolve"])
    assert isinstance(error, UpstreamUnreachableError)
    assert str(error) == ("upstream unreachable during warm of nosuchproject: "
                          "pypi.org: name did not resolve")


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_project_devpi_answers_404_for_is_no_such_project(pip_version: str) -> None:
    error = diagnose_warm_failure(captured(pip_version, "download-nosuchproject"),
                                  ["nosuchproject"], UPSTREAM, lambda project: 404)
    assert isinstance(error, WarmError)
    assert str(error) == f"nosuchproject: no such project on the upstream index {UPSTREAM}"


def test_no_such_project_on_an_upstream_that_is_no_simple_index_says_so() -> None:
    site = "https://mirror.example/"  # a site's root, not its index
    error = diagnose_warm_failure(captured(PIP_VERSIONS[0], "download-nosuchproject"),
                                  ["nosuchproject"], site, lambda project: 404)
    assert str(error) == (
        f"nosuchproject: no such project on the upstream index {site}; if {site} is not a "
        f"simple index (PEP 503: a page per project at URL/<project>/), give the index's "
        f"URL, as {UPSTREAM} for PyPI")


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_project_devpi_answers_502_for_is_an_unreachable_upstream(pip_version: str) -> None:
    error = diagnose_warm_failure(captured(pip_version, "download-nosuchproject"),
                                  ["nosuchproject"], UPSTREAM, lambda project: 502)
    assert isinstance(error, UpstreamUnreachableError)
    assert str(error) == ("upstream unreachable during warm: devpi answered 502 for "
                          f"'nosuchproject' from {UPSTREAM}")


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_version_that_does_not_exist_is_no_matching_distribution(pip_version: str) -> None:
    # devpi knows "six" (200) and nothing else: the project, not the spec, is asked about
    error = diagnose_warm_failure(captured(pip_version, "download-six-99"), ["six==99"],
                                  UPSTREAM, lambda project: 200 if project == "six" else 404)
    assert isinstance(error, WarmError)
    assert not isinstance(error, UpstreamUnreachableError)
    assert str(error) == (f"six==99: no matching distribution on {UPSTREAM} for this Python; "
                          f"the newest of its 29 releases: 1.17.0, 1.16.0, 1.15.0, 1.14.0, "
                          f"1.13.0")


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_file_devpi_answers_504_for_is_an_unreachable_upstream(pip_version: str) -> None:
    error = diagnose_warm_failure(captured(pip_version, "download-slowupstream"),
                                  ["slowupstream"], UPSTREAM, lambda project: None)
    assert isinstance(error, UpstreamUnreachableError)
    assert str(error).startswith("upstream unreachable during warm: HTTP 504 for http://")
    assert "slowupstream-1.0-py3-none-any.whl" in str(error)


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_file_devpi_answers_502_for_is_an_unreachable_upstream(pip_version: str) -> None:
    error = diagnose_warm_failure(captured(pip_version, "download-upstreamdown"),
                                  ["upstreamdown"], UPSTREAM, lambda project: None)
    assert isinstance(error, UpstreamUnreachableError)


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_file_devpi_answers_502_for_is_named_with_its_url(pip_version: str) -> None:
    error = diagnose_warm_failure(captured(pip_version, "download-upstreamdown"),
                                  ["upstreamdown"], UPSTREAM, lambda project: None)
    assert str(error) == ("upstream unreachable during warm: HTTP 502 for "
                          "/+f/5e2/02bad0c0ffee/upstreamdown-2.0-py3-none-any.whl")


def test_a_failed_build_under_pip_26_is_named_not_hinted() -> None:
    error = diagnose_warm_failure(captured(CURRENT, "download-brokenbuild"), ["brokenbuild"],
                                  UPSTREAM, lambda project: None)
    assert isinstance(error, WarmError)
    assert str(error) == ("warm failed for brokenbuild: error: metadata-generation-failed: "
                          "Encountered error while generating package metadata. (brokenbuild)")


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_hash_mismatch_names_the_file_its_hash_and_the_pinned_one(pip_version: str) -> None:
    error = diagnose_warm_failure(captured(pip_version, "download-bad-hash"),
                                  ["-r", "bad-hash.txt"], UPSTREAM, lambda project: None)
    assert str(error) == (
        "warm failed for -r bad-hash.txt: goodpkg==1.0: the index's file "
        "goodpkg-1.0-py3-none-any.whl has sha256:"
        "db8fbac0b718e59ab4403ec59522ba584a4b328f2c01361dbe99ac5151b1f358, the requirements "
        "pin sha256:0000000000000000000000000000000000000000000000000000000000000000")
