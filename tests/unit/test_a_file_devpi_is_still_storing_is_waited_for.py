"""devpi streams a file from the upstream to pip through memory, then stores it in a write
transaction of its own, which on a loaded machine comes after pip has finished: the warm's
proof waits for a file devpi's log says it read from the upstream, or one it is writing
(its "-tmp" name); one devpi never read is foreign at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from pytest_offline_index.devpi.server import DevpiServer
from pytest_offline_index.index.warm import COMMIT_WAIT, not_held
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


def test_a_file_devpi_read_is_held_once_its_transaction_stores_it(tmp_path) -> None:
    """Between the stream's end and the write transaction, nothing of it is on disk."""
    server, wheel, digest = fetched(tmp_path)
    store = server.serverdir / "+files" / "root" / "pypi" / "+f" / digest[:3] / digest[3:16]
    store.mkdir(parents=True)
    server.log_path = tmp_path / "xprocess.log"  # as devpi-server 6 writes it
    server.log_path.write_text(
        f"2026-12-07 03:36:27,848 INFO  [req6] [Rtx4] reading remote: URL('http://127.0.0.1:"
        f"33787/files/{wheel.name}'), target root/pypi/+f/{digest[:3]}/{digest[3:16]}/"
        f"{wheel.name}\n")
    stored = threading.Timer(0.5, (store / wheel.name).write_bytes, (wheel.read_bytes(),))
    stored.start()
    try:
        assert not_held(server, [wheel], [digest]) == []
    finally:
        stored.join()


def test_a_file_devpi_never_read_is_foreign_at_once(tmp_path) -> None:
    server, wheel, digest = fetched(tmp_path)
    (server.serverdir / "+files").mkdir(parents=True)
    server.log_path = tmp_path / "xprocess.log"
    server.log_path.write_text("reading remote: URL('http://h/x.whl'), target root/pypi/+f/"
                               "abc/def/another-1.0-py3-none-any.whl\n")
    started = time.monotonic()
    assert not_held(server, [wheel], [digest]) == [
        f"{wheel.name}: not fetched through the index under test (it holds no file with "
        f"this sha256)"]
    assert time.monotonic() - started < COMMIT_WAIT / 2  # no wait for what devpi never read
