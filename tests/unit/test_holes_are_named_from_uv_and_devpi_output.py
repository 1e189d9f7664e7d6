"""A failed uv or devpi-client install names what the cache lacks, read from real output."""

from __future__ import annotations

import pytest

from pytest_offline_index.proof.holes import Hole, holes_in, pip_error
from tests.unit.installer_captures import UV_VERSIONS, devpi_captured, uv_captured


def tag(uv_version: str) -> str:
    return "uv" + uv_version.replace(".", "")  # the captured projects' names carry it


@pytest.mark.parametrize("uv_version", UV_VERSIONS)
def test_a_project_uv_did_not_find_in_the_registry_is_a_hole(uv_version: str) -> None:
    holes = holes_in(uv_captured(uv_version, "install-nosuchproject"))
    assert holes == [Hole(f"cold-{tag(uv_version)}")]
    assert str(holes[0]) == f"cold-{tag(uv_version)} (no release of it is in the cache)"


@pytest.mark.parametrize("uv_version", UV_VERSIONS)
def test_a_dependency_uv_did_not_find_is_the_only_hole(uv_version: str) -> None:
    # the app itself was fetched: only the dependency it names is missing
    assert holes_in(uv_captured(uv_version, "install-newdep")) == [
        Hole(f"newdep-{tag(uv_version)}")]


@pytest.mark.parametrize("uv_version", UV_VERSIONS)
def test_a_file_uv_failed_to_fetch_is_named_with_its_version(uv_version: str) -> None:
    # uv 0.5 quotes the URL in backticks: no backtick belongs to the file name
    module = f"app_{tag(uv_version)}"
    assert holes_in(uv_captured(uv_version, "install-gonefile")) == [
        Hole(f"app-{tag(uv_version)}", "1.1", f"{module}-1.1-py3-none-any.whl")]


def test_a_wrapped_not_found_line_is_still_a_hole() -> None:
    output = ("  \N{MULTIPLICATION SIGN} No solution found when resolving dependencies:\n"
              "  ╰─▶ Because some-long-project-name was not found in the package\n"
              "      registry and you require some-long-project-name, we can conclude\n")
    assert holes_in(output) == [Hole("some-long-project-name")]


@pytest.mark.parametrize("uv_version", UV_VERSIONS)
def test_uvs_resolver_failure_is_one_line_with_its_reason(uv_version: str) -> None:
    line = pip_error(uv_captured(uv_version, "install-nosuchproject"))
    assert "\n" not in line
    assert line.endswith(f"No solution found when resolving dependencies: Because "
                         f"cold-{tag(uv_version)} was not found in the package registry and "
                         f"you require cold-{tag(uv_version)}, we can conclude that your "
                         f"requirements are unsatisfiable.")


def test_uvs_innermost_cause_is_the_reason() -> None:
    output = ("error: Request failed after 3 retries\n"
              "  Caused by: Failed to fetch: `http://10.213.0.5:3141/offline/airgap/+simple/x/`\n"
              "  Caused by: client error (Connect)\n"
              "  Caused by: tcp connect error: Connection refused (os error 111)\n")
    assert pip_error(output) == ("error: Request failed after 3 retries: tcp connect error: "
                                 "Connection refused (os error 111)")


def test_devpi_install_names_a_project_the_cache_never_got() -> None:
    assert holes_in(devpi_captured("install-nosuchproject")) == [Hole("cold-devpicap")]


def test_devpi_install_names_the_file_the_cache_lists_but_cannot_serve() -> None:
    # devpi-client's own lines (the pip command it runs, the index it uses) name no hole
    assert holes_in(devpi_captured("install-gonefile")) == [
        Hole("app-devpicap", "1.1", "app_devpicap-1.1-py3-none-any.whl")]
