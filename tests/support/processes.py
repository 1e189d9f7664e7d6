"""Waiting on and finding processes a test started (by pid and parentage, never by name)."""

from __future__ import annotations

import os
import signal
import subprocess
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


def wait_in(child: subprocess.Popen[bytes], predicate: Callable[[], T], what: str,
            timeout: float = 300.0, interval: float = 0.05) -> T:
    """``predicate``'s first true value while ``child`` runs. A child that ends first fails
    the wait at once, with what it printed (it never reached ``what``); a loaded machine
    only makes it wait longer (a step's start is not timed here)."""
    def reached() -> T | None:
        if value := predicate():
            return value
        if child.poll() is not None:
            raise RuntimeError(f"the run ended (exit {child.returncode})")
        return None

    try:
        return wait_for(reached, timeout, interval)
    except (AssertionError, RuntimeError) as failed:  # timed out, or the run ended
        raise AssertionError(f"{failed} (waiting for {what}); the run printed:\n"
                             f"{_printed(child)}") from None


def _printed(child: subprocess.Popen[bytes]) -> str:
    """What ``child`` has printed to its pipe so far, without waiting for more."""
    if child.stdout is None:
        return "(not captured)"
    os.set_blocking(child.stdout.fileno(), False)
    try:
        data = child.stdout.read() or b""
    finally:
        os.set_blocking(child.stdout.fileno(), True)
    return data.decode(errors="replace")[-4000:]


def descendant_running(pid: int, *words: str) -> psutil.Process | None:
    """A live descendant of ``pid`` whose command line holds every one of ``words``."""
    for child, argv in commands_under(pid):
        cmdline = " ".join(argv)
        if all(word in cmdline for word in words):
            return child
    return None


def commands_under(pid: int) -> list[tuple[psutil.Process, list[str]]]:
    """Each live descendant of ``pid`` with its command line, leaving out a fork that has
    not exec'd (yet, or ever): it shows its parent's command line (pip starting its build
    backend looked like a second pip on a loaded machine)."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            argv = child.cmdline()
            parent = child.parent()
            if parent is not None and parent.cmdline() == argv:
                continue
        except psutil.Error:
            continue
        found.append((child, argv))
    return found


def step_pip(pid: int, step: str) -> psutil.Process | None:
    """The pip doing ``step``'s work under ``pid``: the warm's download or the install
    (``-m pip install``: not ensurepip's own pip, which installs the far side's seed into
    a venv made ahead, while the warm runs)."""
    return descendant_running(pid, "-m pip download" if step == "warm" else "-m pip install")


def as_a_shell_starts_it(sigint_blocked: bool = False) -> Callable[[], None]:
    """A ``preexec_fn``: SIGINT as a shell gives a job it runs in the foreground (handled by
    default, not blocked), whatever this suite inherited from what started it; or blocked,
    as a launcher that leaks its signal mask across exec leaves it."""
    def preexec() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_BLOCK if sigint_blocked else signal.SIG_UNBLOCK,
                               {signal.SIGINT})
    return preexec
