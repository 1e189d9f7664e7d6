"""Waiting on and finding processes a test started (by pid and parentage, never by name)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import psutil

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 60.0, interval: float = 0.05) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


def descendant_running(pid: int, *words: str, without: tuple[str, ...] = ()
                       ) -> psutil.Process | None:
    """A live descendant of ``pid`` whose command line holds every one of ``words`` and
    none of ``without``."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    for child in children:
        try:
            cmdline = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if all(w in cmdline for w in words) and not any(w in cmdline for w in without):
            return child
    return None


def step_pip(pid: int, step: str) -> psutil.Process | None:
    """The pip doing ``step``'s work under ``pid``: for the warm, the resolution ahead of it
    (``pip install --dry-run``) or its download; for the install, the install itself."""
    if step == "warm":
        return (descendant_running(pid, "pip", "download")
                or descendant_running(pid, "pip", "install", "--dry-run"))
    return descendant_running(pid, "pip", "install", without=("--dry-run",))
