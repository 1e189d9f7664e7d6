"""Installed == warmed, on plain data: what an install added against the warm's files."""

from __future__ import annotations

from pathlib import Path

from pytest_offline_index.proof.as_warmed import (
    Difference,
    added,
    differences,
    distributions_in,
    warmed_versions,
)

WARMED = ["My_App-2.0-py3-none-any.whl", "newdep-1.0.tar.gz",
          "numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.whl", "not-a-distribution.txt"]


def test_warmed_versions_come_from_wheel_and_sdist_names_normalised() -> None:
    assert warmed_versions(WARMED) == {"my-app": ("2.0",), "newdep": ("1.0",),
                                       "numpy": ("2.1.0",)}


def test_what_the_install_added_is_all_that_counts() -> None:
    seeded = {"pip": "26.0", "setuptools": "80.0"}
    after = {"pip": "26.0", "setuptools": "81.0", "my-app": "1.0"}
    # pip left alone is the seed's; setuptools changed, so the install brought it
    assert added(seeded, after) == {"setuptools": "81.0", "my-app": "1.0"}
    assert added(seeded, {**seeded, "my-app": "2.0"}) == {"my-app": "2.0"}


def test_an_older_release_installed_is_one_line_naming_both_versions() -> None:
    installed = added({"pip": "26.0"}, {"pip": "26.0", "my-app": "1.0"})
    found = differences(warmed_versions(WARMED), installed)
    assert found == [Difference("my-app", ("2.0",), "1.0")]
    assert "; ".join(map(str, found)) == "my-app: warmed 2.0, installed 1.0"


def test_installed_as_warmed_is_no_difference() -> None:
    installed = {"my-app": "2.0", "newdep": "1.0.0", "numpy": "2.1.0"}  # 1.0.0 == 1.0
    assert differences(warmed_versions(WARMED), installed) == []
    assert differences(warmed_versions(WARMED), {}) == []


def test_a_project_never_warmed_is_a_difference() -> None:
    found = differences(warmed_versions(WARMED), {"my-app": "2.0", "stowaway": "0.1"})
    assert [str(d) for d in found] == ["stowaway: warmed none, installed 0.1"]


def test_any_warmed_version_of_a_project_matches() -> None:
    # the warm may fetch two versions of one project (a runtime and a build requirement)
    warmed = warmed_versions(["setuptools-70.0-py3-none-any.whl",
                              "setuptools-80.0-py3-none-any.whl"])
    assert differences(warmed, {"setuptools": "80.0"}) == []
    assert [str(d) for d in differences(warmed, {"setuptools": "75.0"})] == [
        "setuptools: warmed 70.0, 80.0, installed 75.0"]


def test_distributions_are_read_from_the_venvs_site_packages(tmp_path: Path) -> None:
    site = tmp_path / "venv" / "lib" / "python3.12" / "site-packages"
    for name, version in (("My_App", "1.0"), ("pip", "26.0")):
        info = site / f"{name.lower()}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (tmp_path / "venv" / "lib64").symlink_to("lib")  # one directory, read once
    assert distributions_in(tmp_path / "venv") == {"my-app": "1.0", "pip": "26.0"}
    assert distributions_in(tmp_path / "absent") == {}
