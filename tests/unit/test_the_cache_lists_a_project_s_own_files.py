"""``cached_files(project)`` lists what devpi's store holds for the mirror, read from the
server dir (devpi's JSON page of pandas ran past 60 s on a loaded machine): the project's
own files by the name each file's name gives, never a project whose name starts the same,
never a file devpi is still storing, never another index's upload; a file whose upstream
link gave no hash is held under ``+e`` and counts as well."""

from __future__ import annotations

from pathlib import Path

from pytest_offline_index.devpi.server import DevpiServer

STORED = {
    "root/pypi": ["pandas-2.2.3.tar.gz", "pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.whl",
                  "pandas_stubs-2.2.3.241126-py3-none-any.whl", "pandas-stubs-2.2.3.241126.tar.gz",
                  "Foo.Bar-1.0.tar.bz2", "python-3parclient-4.2.0.tar.bz2",
                  "pandas-2.2.2.tar.gz-" + "8d2f" * 16 + "-tmp"],
    "offline/airgap": ["pandas-9.9.tar.gz"],
}


def server_holding(tmp_path: Path) -> DevpiServer:
    server = DevpiServer(tmp_path / "run", "https://example.invalid/simple/")
    for n, (index, names) in enumerate(STORED.items()):
        for m, name in enumerate(names):
            where = server.serverdir / "+files" / index / "+f" / f"{n}{m}a" / f"{m}{n}bcdef"
            where.mkdir(parents=True)
            (where / name).write_bytes(name.encode())
    unhashed = server.serverdir / "+files" / "root" / "pypi" / "+e" / (
        "https_example.invalid_packages_six-1.17.0")  # devpi's dir for a link without a hash
    unhashed.mkdir(parents=True)
    (unhashed / "six-1.17.0-py2.py3-none-any.whl").write_bytes(b"six")
    return server


def test_a_project_s_files_are_its_own(tmp_path) -> None:
    server = server_holding(tmp_path)
    assert server.cached_files("pandas") == [
        "pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.whl", "pandas-2.2.3.tar.gz"]
    assert server.cached_files("Pandas_Stubs") == [
        "pandas-stubs-2.2.3.241126.tar.gz", "pandas_stubs-2.2.3.241126-py3-none-any.whl"]
    assert server.cached_files("foo-bar") == ["Foo.Bar-1.0.tar.bz2"]
    assert server.cached_files("python-3parclient") == ["python-3parclient-4.2.0.tar.bz2"]
    assert server.cached_files("six") == ["six-1.17.0-py2.py3-none-any.whl"]


def test_all_files_are_the_mirror_s_alone(tmp_path) -> None:
    assert server_holding(tmp_path).cached_files() == sorted(
        [name for name in STORED["root/pypi"] if not name.endswith("-tmp")]
        + ["six-1.17.0-py2.py3-none-any.whl"])


def test_an_empty_store_holds_nothing(tmp_path) -> None:
    assert DevpiServer(tmp_path / "run", "https://example.invalid/simple/").cached_files(
        "pandas") == []
