"""A failed install names the exact files and projects the cache lacks, read from pip's output.

The captures come from a static index whose file links have devpi's ``/+f/<3 hex>/<hex>/``
shape: a file it lists but answers 404, 502 or 504 for, a project it has no page for.
"""

from __future__ import annotations

import pytest

from pytest_offline_index.proof.holes import (
    Hole,
    holes_in,
    parse_filename,
    project_of,
    unmatched_requirement,
)
from tests.unit.pip_captures import PIP_VERSIONS, captured

GONEFILE = Hole("gonefile", "1.0", "gonefile-1.0.tar.gz")


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_listed_file_the_index_answers_404_for_is_named_with_its_version(
        pip_version: str) -> None:
    holes = holes_in(captured(pip_version, "install-gonefile"))
    assert holes == [GONEFILE]
    assert str(holes[0]) == "gonefile 1.0 (gonefile-1.0.tar.gz)"


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_missing_file_one_dependency_down_is_the_only_hole(pip_version: str) -> None:
    # pip < 26 prints the URL of every file it downloads: those files are not holes
    assert holes_in(captured(pip_version, "install-needsgone")) == [GONEFILE]


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
@pytest.mark.parametrize("case", ["install-upstreamdown", "download-upstreamdown"])
def test_a_file_the_index_answers_502_for_is_a_hole(pip_version: str, case: str) -> None:
    assert holes_in(captured(pip_version, case)) == [
        Hole("upstreamdown", "2.0", "upstreamdown-2.0-py3-none-any.whl")]


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_file_the_index_answers_504_for_is_a_hole(pip_version: str) -> None:
    assert holes_in(captured(pip_version, "download-slowupstream")) == [
        Hole("slowupstream", "1.0", "slowupstream-1.0-py3-none-any.whl")]


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
@pytest.mark.parametrize("case", ["download-six", "download-goodpkg", "download-conflict",
                                  "download-brokenbuild", "install-failwheel"])
def test_files_that_downloaded_are_not_holes(pip_version: str, case: str) -> None:
    assert holes_in(captured(pip_version, case)) == []


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_project_the_index_has_no_page_for_is_a_hole_without_a_file(
        pip_version: str) -> None:
    output = captured(pip_version, "download-nosuchproject")
    assert unmatched_requirement(output) == "nosuchproject"
    assert holes_in(output) == [Hole("nosuchproject")]
    assert str(holes_in(output)[0]) == "nosuchproject (no release of it is in the cache)"


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_an_unmatched_version_names_the_requirement_and_its_project(pip_version: str) -> None:
    output = captured(pip_version, "download-six-99")
    assert unmatched_requirement(output) == "six==99"
    assert holes_in(output) == [Hole("six")]


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_file_that_failed_is_not_an_unmatched_requirement(pip_version: str) -> None:
    assert unmatched_requirement(captured(pip_version, "install-gonefile")) is None


@pytest.mark.parametrize(("spec", "project"), [
    ("six==99", "six"),
    ("pandas>=2", "pandas"),
    ("requests[socks]>=2.28", "requests"),
    ("zope.interface~=6.0", "zope.interface"),
    ("tomli; python_version < '3.11'", "tomli"),
    ("attrs!=23.1.0", "attrs"),
    ("numpy<3", "numpy"),
    ("six", "six"),
])
def test_the_project_is_the_start_of_a_requirement_spec(spec: str, project: str) -> None:
    assert project_of(spec) == project


@pytest.mark.parametrize(("filename", "parsed"), [
    ("six-1.17.0-py2.py3-none-any.whl", ("six", "1.17.0")),
    ("numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
     ("numpy", "2.1.0")),
    ("gonefile-1.0.tar.gz", ("gonefile", "1.0")),
    ("zope.interface-6.0.zip", ("zope-interface", "6.0")),
    ("Django-5.0.post1.tar.gz", ("django", "5.0.post1")),
])
def test_a_distribution_filename_gives_its_project_and_version(
        filename: str, parsed: tuple[str, str]) -> None:
    assert parse_filename(filename) == parsed


@pytest.mark.parametrize("filename", ["README.txt", "broken.whl", "no-version.tar.gz"])
def test_a_name_that_is_no_distribution_is_kept_without_a_version(filename: str) -> None:
    assert parse_filename(filename) == (filename, None)


def test_a_file_any_index_lists_and_cannot_serve_is_named() -> None:
    output = ("ERROR: Could not install requirement binary from http://127.0.0.1:42515/files/"
              "binary-1.0-cp312-cp312-linux_x86_64.whl#sha256=ea05 because of HTTP error 404 "
              "Client Error: File not found for url: http://127.0.0.1:42515/files/binary-1.0-"
              "cp312-cp312-linux_x86_64.whl")
    assert holes_in(output) == [Hole("binary", "1.0", "binary-1.0-cp312-cp312-linux_x86_64.whl")]
    as_a_dependency = output.replace("#sha256=ea05 because", "#sha256=ea05 (from app==1.0) because")
    assert holes_in(as_a_dependency) == holes_in(output)
