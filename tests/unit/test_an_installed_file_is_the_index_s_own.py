"""The origin check's judgement, each branch: a distribution passes only if it was taken from
the index's own address *and* is a file the index holds (by sha256).

The reports are pip's ``--report`` format (version 1) and PEP 751's ``pylock.toml``, as the
installers write them; the integration tests run the installers for real.
"""

from __future__ import annotations

import json
from pathlib import Path

from pytest_offline_index.proof.origin import foreign_installs, from_pip_report, from_pylock

INDEX = "http://10.7.0.2:3141/offline/airgap/+simple/"
HELD_SHA = "a" * 64
OTHER_SHA = "b" * 64
HELD = {HELD_SHA: "six-1.17.0-py2.py3-none-any.whl"}


def pip_report(tmp_path: Path, url: str, sha256: str) -> Path:
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"version": "1", "install": [{
        "download_info": {"url": url, "archive_info": {"hash": f"sha256={sha256}",
                                                      "hashes": {"sha256": sha256}}},
        "metadata": {"name": "Six", "version": "1.17.0"}}]}))
    return report


def judged(tmp_path: Path, url: str, sha256: str) -> list[str]:
    origins = from_pip_report(pip_report(tmp_path, url, sha256))
    return foreign_installs({"six": "1.17.0"}, origins, INDEX, HELD)


ON_THE_INDEX = "http://10.7.0.2:3141/root/pypi/+f/d1e/x/six-1.17.0-py2.py3-none-any.whl"


def test_a_held_file_from_the_index_passes(tmp_path) -> None:
    assert judged(tmp_path, ON_THE_INDEX, HELD_SHA) == []


def test_a_file_from_the_index_s_address_that_it_does_not_hold_fails_naming_it(tmp_path,
                                                                              ) -> None:
    assert judged(tmp_path, ON_THE_INDEX, OTHER_SHA) == [
        f"six 1.17.0: six-1.17.0-py2.py3-none-any.whl is not a file the index holds "
        f"(sha256 {OTHER_SHA})"]


def test_a_held_file_from_elsewhere_fails_naming_where(tmp_path) -> None:
    url = "file:///home/me/wheels/six-1.17.0-py2.py3-none-any.whl"
    assert judged(tmp_path, url, HELD_SHA) == [
        f"six 1.17.0: from {url}, not from the index under test"]


def test_another_port_on_the_same_host_is_elsewhere(tmp_path) -> None:
    url = ON_THE_INDEX.replace(":3141", ":8080")
    assert judged(tmp_path, url, HELD_SHA)[0].startswith(f"six 1.17.0: from {url}")


def test_an_install_the_report_does_not_name_fails(tmp_path) -> None:
    origins = from_pip_report(pip_report(tmp_path, ON_THE_INDEX, HELD_SHA))
    assert foreign_installs({"six": "1.17.0", "extra": "2.0"}, origins, INDEX, HELD) == [
        "extra 2.0: installed, but the installer did not record it as taken from the index"]


def test_an_existing_index_s_files_host_counts_as_the_index(tmp_path) -> None:
    origins = from_pip_report(pip_report(
        tmp_path, "https://files.example.org/packages/six-1.17.0-py2.py3-none-any.whl",
        HELD_SHA))
    assert foreign_installs({"six": "1.17.0"}, origins, INDEX, None,
                            file_hosts=("files.example.org",)) == []


def test_a_resolution_s_files_are_judged_alike(tmp_path) -> None:
    lock = tmp_path / "pylock.toml"
    lock.write_text(f'''lock-version = "1.0"
created-by = "uv"

[[packages]]
name = "six"
version = "1.17.0"
wheels = [{{ url = "{ON_THE_INDEX}", hashes = {{ sha256 = "{OTHER_SHA}" }} }}]

[[packages]]
name = "localonly-pkg"
version = "1.0"
[[packages.wheels]]
path = "/home/me/wheels/localonly_pkg-1.0-py3-none-any.whl"
hashes = {{ sha256 = "{HELD_SHA}" }}
''')
    origins = from_pylock(lock)
    assert foreign_installs({"six": "1.17.0", "localonly-pkg": "1.0"}, origins, INDEX,
                            HELD) == [
        "localonly-pkg 1.0: from file:///home/me/wheels/localonly_pkg-1.0-py3-none-any.whl, "
        "not from the index under test",
        f"six 1.17.0: six-1.17.0-py2.py3-none-any.whl is not a file the index holds "
        f"(sha256 {OTHER_SHA})"]
