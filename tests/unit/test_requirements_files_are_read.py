"""A requirements file: the projects it asks for, and whether its install needs hashes.

pip itself reads the file; the harness only needs the names it requests (``-r`` includes
followed, ``-c`` constraints not) and whether any line pins a ``--hash``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_offline_index.errors import SettingsError
from pytest_offline_index.inputs.requirements import logical_lines, pins_hashes, requirements_in

SHA_A = "sha256:" + "a" * 64
SHA_B = "sha256:" + "b" * 64


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_comments_and_blank_lines_are_dropped(tmp_path: Path) -> None:
    path = write(tmp_path / "r.txt", "# the service's pins", "", "six==1.17.0  # for py2 code",
                 "   ", "requests>=2.28")
    assert logical_lines(path) == ["six==1.17.0", "requests>=2.28"]


def test_backslash_continuations_make_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / "r.txt", "six==1.17.0 \\", f"    --hash={SHA_A} \\",
                 f"    --hash={SHA_B}", "attrs \\")
    lines = logical_lines(path)
    assert [line.split() for line in lines] == [
        ["six==1.17.0", f"--hash={SHA_A}", f"--hash={SHA_B}"], ["attrs"]]


def test_a_missing_file_is_a_settings_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"requirements file '.*nope\.txt': No such file"):
        logical_lines(tmp_path / "nope.txt")


def test_the_requirements_a_file_names_with_extras_and_markers(tmp_path: Path) -> None:
    path = write(tmp_path / "r.txt", "--index-url https://example.invalid/simple/",
                 "requests[socks]>=2.28", "tomli>=1.1; python_version < '3.11'",
                 f"six==1.17.0 --hash={SHA_A}", "-e .")
    found = requirements_in(path)
    assert [req.name for req in found] == ["requests", "tomli", "six"]
    assert found[0].extras == {"socks"}
    assert str(found[1].marker) == 'python_version < "3.11"'
    assert str(found[2].specifier) == "==1.17.0"


def test_includes_are_followed_and_constraints_are_not(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "base.txt", "attrs")
    write(tmp_path / "more.txt", "idna")
    write(tmp_path / "constraints.txt", "urllib3<3")
    path = write(tmp_path / "r.txt", "-r sub/base.txt", "-c constraints.txt",
                 "--requirement more.txt", "requests")
    assert [req.name for req in requirements_in(path)] == ["attrs", "idna", "requests"]


def test_an_invalid_requirement_is_a_settings_error_naming_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.txt", "six", "not a requirement!")
    with pytest.raises(SettingsError) as caught:
        requirements_in(path)
    assert "bad.txt" in str(caught.value)
    assert "'not a requirement!' is not a valid requirement" in str(caught.value)


def test_a_hash_on_any_line_means_hashes_are_required(tmp_path: Path) -> None:
    path = write(tmp_path / "r.txt", "attrs", "six==1.17.0 \\", f"    --hash={SHA_A}")
    assert pins_hashes(path)


def test_no_hash_or_a_hash_in_a_comment_means_none_are_required(tmp_path: Path) -> None:
    path = write(tmp_path / "r.txt", f"# six==1.17.0 --hash={SHA_A}", "attrs  # add --hash later")
    assert not pins_hashes(path)
