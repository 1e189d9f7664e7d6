"""devpi streams a file from the upstream to pip through memory, then stores it in a write
transaction of its own (written as "<name>-<digest>-tmp", renamed when it commits), which on
a loaded machine comes after pip has finished: the warm's proof waits for a file devpi's log
says it read from the upstream; one devpi never read is foreign at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from pytest_offline_index.devpi.server import DevpiServer
from pytest_offline_index.index.warm import COMMIT_WAIT, not_held
from pytest_offline_index.util.files import sha256_of


def fetched(tmp_path: Path, read: str) -> tuple[DevpiServer, Path, str, Path]:
    """A server whose log says it read the file named ``read`` from the upstream, the wheel
    pip got, its sha256, and the store dir devpi keeps it in."""
    server = DevpiServer(tmp_path / "run", "https://example.invalid/simple/")
    wheel = tmp_path / "app-1.0-py3-none-any.whl"
    wheel.write_bytes(b"the bytes pip got")
    digest = sha256_of(wheel)
    store = server.serverdir / "+files" / "root" / "pypi" / "+f" / digest[:3] / digest[3:16]
    store.mkdir(parents=True)
    server.log_path = tmp_path / "xprocess.log"  # as devpi-server 6 writes it
    server.log_path.write_text(
        f"2026-12-07 03:36:27,848 INFO  [req6] [Rtx4] reading remote: URL('http://127.0.0.1:"
        f"33787/files/{read}'), target root/pypi/+f/{digest[:3]}/{digest[3:16]}/{read}\n")
    return server, wheel, digest, store


def held_once(server: DevpiServer, wheel: Path, digest: str,
              store_it: Callable[[], object]) -> None:
    """``not_held`` finds nothing foreign when devpi stores the file half a second later."""
    stored = threading.Timer(0.5, store_it)
    stored.start()
    try:
        assert not_held(server, [wheel], [digest]) == []
    finally:
        stored.join()


def test_a_file_still_being_stored_is_held_once_devpi_commits_it(tmp_path) -> None:
    server, wheel, digest, store = fetched(tmp_path, read="app-1.0-py3-none-any.whl")
    storing = store / f"{wheel.name}-{digest}-tmp"
    storing.write_bytes(wheel.read_bytes())
    held_once(server, wheel, digest, lambda: storing.rename(store / wheel.name))


def test_a_file_devpi_read_is_held_once_its_transaction_stores_it(tmp_path) -> None:
    """Between the stream's end and the write transaction, nothing of it is on disk."""
    server, wheel, digest, store = fetched(tmp_path, read="app-1.0-py3-none-any.whl")
    held_once(server, wheel, digest, lambda: (store / wheel.name).write_bytes(
        wheel.read_bytes()))


def test_a_file_devpi_never_read_is_foreign_at_once(tmp_path) -> None:
    server, wheel, digest, _ = fetched(tmp_path, read="another-1.0-py3-none-any.whl")
    started = time.monotonic()
    assert not_held(server, [wheel], [digest]) == [
        f"{wheel.name}: not fetched through the index under test (it holds no file with "
        f"this sha256)"]
    assert time.monotonic() - started < COMMIT_WAIT / 2  # no wait for what devpi never read
