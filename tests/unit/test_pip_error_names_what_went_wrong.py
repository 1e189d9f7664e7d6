"""A failure that names no hole is reported by pip's one line that says what went wrong.

pip 26 ends its errors with ``hint:`` lines ("hint: See above for details."); the line
reported must be pip's error itself, never a hint, a note or a pointer to elsewhere.
"""

from __future__ import annotations

import pytest

from pytest_offline_index.proof.holes import pip_error
from tests.unit.pip_captures import CURRENT, DATA, OLDER, PIP_VERSIONS, captured

FAILURES = sorted(p.name for p in DATA.glob("pip-*.txt")
                  if not p.read_text(encoding="utf-8").partition("\n")[0].endswith("-> exit 0"))


@pytest.mark.parametrize("filename", FAILURES)
def test_no_captured_failure_is_reported_by_a_hint_or_a_note(filename: str) -> None:
    output = (DATA / filename).read_text(encoding="utf-8").partition("\n")[2]
    assert not pip_error(output).startswith(("hint:", "note:"))


def test_a_failed_sdist_build_under_pip_26_names_the_error_and_the_project() -> None:
    output = captured(CURRENT, "download-brokenbuild")
    assert output.rstrip().endswith("hint: See above for details.")  # pip 26's last line
    assert pip_error(output) == ("error: metadata-generation-failed: Encountered error while "
                                 "generating package metadata. (brokenbuild)")


def test_a_failed_sdist_build_under_older_pip_names_the_error() -> None:
    assert pip_error(captured(OLDER, "download-brokenbuild")) == (
        "error: metadata-generation-failed: Encountered error while generating package "
        "metadata.")


@pytest.mark.parametrize(("pip_version", "expected"), [
    (CURRENT, "error: failed-wheel-build-for-install: Failed to build installable wheels for "
              "some pyproject.toml based projects (failwheel)"),
    (OLDER, "ERROR: ERROR: Failed to build installable wheels for some pyproject.toml based "
            "projects (failwheel)"),
], ids=[CURRENT, OLDER])
def test_a_failed_wheel_build_is_pips_last_error(pip_version: str, expected: str) -> None:
    assert pip_error(captured(pip_version, "install-failwheel")) == expected


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_a_conflict_is_named_not_the_link_to_pips_documentation(pip_version: str) -> None:
    assert pip_error(captured(pip_version, "download-conflict")) == (
        "ERROR: Cannot install goodpkg==1.1 and pinsgood==1.0 because these package versions "
        "have conflicting dependencies.")


@pytest.mark.parametrize("pip_version", PIP_VERSIONS)
def test_an_exception_in_pip_is_named_by_the_exception_not_by_its_header(
        pip_version: str) -> None:
    error = pip_error(captured(pip_version, "download-upstreamdown"))
    assert error.startswith("pip._vendor.requests.exceptions.RetryError: ")
    assert error.endswith("(Caused by ResponseError('too many 502 error responses'))")


BAD_HASH = ("ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you "
            "have updated the package versions, please update the hashes. Otherwise, examine "
            "the package contents carefully; someone may have tampered with them.")


@pytest.mark.parametrize(("pip_version", "case", "expected"), [
    pytest.param(version, case, expected, id=f"{version}-{case}")
    for version in PIP_VERSIONS
    for case, expected in [("download-six-99", "ERROR: No matching distribution found for six==99"),
                           ("download-bad-hash", BAD_HASH)]
])
def test_pips_last_error_line_is_the_error(pip_version: str, case: str, expected: str) -> None:
    assert pip_error(captured(pip_version, case)) == expected


def test_output_with_no_error_line_is_reported_by_its_last_line() -> None:
    assert pip_error(captured(CURRENT, "download-six")) == "Successfully downloaded six"
    assert pip_error("") == "no output"
