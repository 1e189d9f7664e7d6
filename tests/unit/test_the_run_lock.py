"""Under xdist a test marked ``alone`` runs with no other test of the run beside it, and one
waiting to be alone is not starved by tests that keep arriving."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

from tests.support.alone import RunLock

WAIT = 10.0  # every wait is bounded; none is reached when the lock works


def holding(take: Callable[[], AbstractContextManager[None]], got: threading.Event,
            release: threading.Event) -> threading.Thread:
    def hold() -> None:
        with take():
            got.set()
            release.wait(WAIT)
    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    return thread


def test_shared_holders_run_side_by_side(tmp_path) -> None:
    lock = RunLock(tmp_path)
    got = [threading.Event(), threading.Event()]
    release = threading.Event()
    threads = [holding(lock.shared, event, release) for event in got]
    assert all(event.wait(WAIT) for event in got)
    release.set()
    for thread in threads:
        thread.join(WAIT)


def test_alone_waits_for_the_shared_and_holds_off_new_ones(tmp_path) -> None:
    lock = RunLock(tmp_path)
    first, alone, later = threading.Event(), threading.Event(), threading.Event()
    release_first, release_alone, release_later = (threading.Event() for _ in range(3))
    threads = [holding(lock.shared, first, release_first)]
    assert first.wait(WAIT)
    threads.append(holding(lock.alone, alone, release_alone))
    assert not alone.wait(0.5)  # a test still runs beside it
    threads.append(holding(lock.shared, later, release_later))
    assert not later.wait(0.5)  # a newcomer waits behind the one waiting to be alone
    release_first.set()
    assert alone.wait(WAIT)
    assert not later.wait(0.5)  # nothing beside the alone test
    release_alone.set()
    assert later.wait(WAIT)
    release_later.set()
    for thread in threads:
        thread.join(WAIT)
