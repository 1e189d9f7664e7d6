"""devpi renames a file it served into its store when its transaction commits, which on a
loaded machine can come after pip has finished: the warm's proof waits for a file devpi is
still storing; one devpi never stored is foreign."""

from __future__ import annotations

import threading
from pathlib import Path

from pytest_offline_index.devpi.server import DevpiServer
from pytest_offline_index.index.warm import not_held
from pytest_offline_index.util.files import sha256_of


def fetched(tmp_path: Path) -> tuple[DevpiServer, Path, str]:
    server = DevpiServer(tmp_path / "run", "https://example.invalid/simple/")
    wheel = tmp_path / "app-1.0-py3-none-any.whl"
    wheel.write_bytes(b"the bytes pip got")
    return server, wheel, sha256_of(wheel)


def test_a_file_still_being_stored_is_held_once_devpi_commits_it(tmp_path) -> None:
    server, wheel, digest = fetched(tmp_path)
    store = server.serverdir / "+files" / "root" / "pypi" / "+f" / digest[:3]
    store.mkdir(parents=True)
    storing = store / f"{wheel.name}-{digest}-tmp"
    storing.write_bytes(wheel.read_bytes())
    committed = threading.Timer(0.5, storing.rename, (store / wheel.name,))
    committed.start()
    try:
        assert not_held(server, [wheel], [digest]) == []
    finally:
        committed.join()


def test_a_file_devpi_never_stored_is_foreign_at_once(tmp_path) -> None:
    server, wheel, digest = fetched(tmp_path)
    (server.serverdir / "+files").mkdir(parents=True)
    assert not_held(server, [wheel], [digest]) == [
        f"{wheel.name}: not fetched through the index under test (it holds no file with "
        f"this sha256)"]
