"""A requirements file that names another source is refused before the run, by file and line.

Options inside requirements, constraints and included files are read by pip, uv and
devpi-client alike: a ``--find-links`` there would let a local wheel pass as the index's.
Options that only change how files are chosen keep working.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_offline_index.errors import SettingsError
from pytest_offline_index.inputs.requirements import check_sources
from pytest_offline_index.inputs.settings import Settings

SHA = "sha256:" + "a" * 64


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("line, option", [
    ("--find-links ./wheels", "--find-links"),
    ("-f ./wheels", "-f"),
    ("-f./wheels", "-f"),
    ("--find-links=./wheels", "--find-links"),
    ("-i https://example.invalid/simple/", "-i"),
    ("--index-url https://example.invalid/simple/", "--index-url"),
    ("--extra-index-url https://vendor.invalid/simple/", "--extra-index-url"),
    ("--no-index", "--no-index"),
    ("--trusted-host vendor.invalid", "--trusted-host"),
])
def test_an_option_naming_another_source_is_refused_with_file_line_and_option(
        tmp_path: Path, line: str, option: str) -> None:
    path = write(tmp_path / "requirements.txt", "six", "# a comment", line)
    with pytest.raises(SettingsError) as caught:
        check_sources(path)
    assert str(caught.value).startswith(
        f"{path}:3: {option} names a source other than the index under test")
    assert "--offline-index-upstream" in str(caught.value)  # how to check a second index


@pytest.mark.parametrize("line, option", [("-e .", "-e"), ("--editable ./src", "--editable")])
def test_an_editable_project_is_refused_saying_no_index_serves_it(
        tmp_path: Path, line: str, option: str) -> None:
    path = write(tmp_path / "requirements.txt", "six", line)
    with pytest.raises(SettingsError) as caught:
        check_sources(path)
    assert str(caught.value) == (
        f"{path}:2: {option} installs a project from a path or a VCS, which no index serves; "
        f"the check proves what the index serves: drop the line and name the project's "
        f"released version, or publish its wheel to the index")


@pytest.mark.parametrize("line", [
    "six @ https://files.example.invalid/six-1.17.0-py2.py3-none-any.whl",
    "six @ file:///tmp/six-1.17.0-py2.py3-none-any.whl",
    "app @ git+https://example.invalid/app.git",
])
def test_a_direct_reference_is_refused(tmp_path: Path, line: str) -> None:
    path = write(tmp_path / "r.txt", line)
    with pytest.raises(SettingsError, match=rf"^{path}:1: \S+ @ \S+ is a direct reference"):
        check_sources(path)


@pytest.mark.parametrize("line", ["./vendor/app-1.0-py3-none-any.whl", "/srv/pkgs/app.tar.gz",
                                  "git+https://example.invalid/app.git", "app-1.0.zip"])
def test_a_local_path_archive_or_url_is_refused(tmp_path: Path, line: str) -> None:
    path = write(tmp_path / "r.txt", line)
    with pytest.raises(SettingsError, match=rf"^{path}:1: .* is a local path or URL"):
        check_sources(path)


def test_included_and_constraint_files_are_checked_too(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    deep = write(tmp_path / "sub" / "deep.txt", "attrs", "--extra-index-url https://x.invalid/")
    write(tmp_path / "constraints.txt", "-r sub/deep.txt")
    path = write(tmp_path / "r.txt", "six", "-c constraints.txt")
    with pytest.raises(SettingsError, match=rf"^{deep}:2: --extra-index-url names a source"):
        check_sources(path)


def test_includes_that_loop_are_read_once(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "six", "-r b.txt")
    write(tmp_path / "b.txt", "attrs", "-r a.txt")
    check_sources(tmp_path / "a.txt")


def test_the_line_number_is_the_first_line_of_a_continued_line(tmp_path: Path) -> None:
    path = write(tmp_path / "r.txt", "six \\", f"    --hash={SHA}", "--find-links \\", "  ./w")
    with pytest.raises(SettingsError, match=rf"^{path}:3: --find-links"):
        check_sources(path)


def test_options_that_only_choose_among_the_index_files_keep_working(tmp_path: Path) -> None:
    write(tmp_path / "c.txt", "urllib3<3")
    write(tmp_path / "more.txt", "idna")
    path = write(tmp_path / "r.txt", "--pre", "--only-binary :all:", "--prefer-binary",
                 "--require-hashes", "--no-binary=six", "-c c.txt", "--requirement=more.txt",
                 f"six==1.17.0 --hash={SHA}", "requests[socks]>=2; python_version > '3.9'")
    check_sources(path)


def test_an_option_the_check_does_not_know_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "r.txt", "--find-l ./wheels")  # optparse would take the prefix
    with pytest.raises(SettingsError, match=rf"^{path}:1: --find-l is not an option the check"):
        check_sources(path)


def test_the_settings_refuse_it_before_anything_starts(tmp_path: Path) -> None:
    path = write(tmp_path / "requirements.txt", "--find-links ./wheels", "localonly-pkg==1.0")
    with pytest.raises(SettingsError, match=rf"^{path}:1: --find-links names a source"):
        Settings.resolve(cli={"requirements": str(path)})
