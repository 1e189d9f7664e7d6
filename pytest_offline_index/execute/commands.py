"""Run a subprocess (optionally inside a namespace), stream its lines, never leave it behind.

:class:`Runner` is how the run starts every pip, uv and devpi-client: one place for the
hermetic environment, the run's TMPDIR, the step timeout and the stop event.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..outcomes import StepNotRun
from ..util.interrupts import Deferral
from .hermetic import hermetic_env, with_tmpdir

LineCallback = Callable[[str], None]


class Where(Protocol):
    """Where a command runs: a namespace of the run (:class:`Place`), or one of its own
    with no network (``netns.alone.Alone``)."""

    def command(self, argv: Sequence[str]) -> list[str]: ...
ENDED, TIMED_OUT, STOPPED = "ended", "timed out", "stopped"
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    output: str
    timed_out: bool = False
    stopped: bool = False  # ended because ``stop`` was set: the run is ending, not failing
    timeout: float | None = None  # what it was bounded by, in seconds

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.stopped

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.output.splitlines()[-lines:])

    def why(self, from_output: Callable[[str], str] | None = None) -> str:
        """Why it failed, in one line: the timeout it ran into (its output then is only
        as far as it got), else its exit status if it said nothing, else ``from_output``
        of its output, else its last line."""
        if self.timed_out:
            return "timed out" + (f" after {self.timeout:.10g}s" if self.timeout else "")
        if not self.output.strip():
            return f"exit status {self.returncode}"
        return from_output(self.output) if from_output else self.tail(1)


@dataclass(frozen=True)
class Runner:
    """Runs the commands of one run: in ``namespace`` (the client host) unless asked to run
    here, with the hermetic environment (or the one given) and ``TMPDIR`` in the run's
    ``tmpdir``, bounded by ``timeout``. Once ``stop`` is set (from any thread, as the run
    ends) what runs is ended and nothing new starts: the step is "not run", not a failure
    of the packages.
    """

    namespace: Where | None = None
    timeout: float = 900.0
    tmpdir: Path | None = None
    stop: threading.Event | None = None

    def __call__(self, argv: Sequence[str], env: Mapping[str, str] | None = None,
                 on_line: LineCallback | None = None, *, here: bool = False,
                 timeout: float | None = None) -> Completed:
        done = run(argv, namespace=None if here else self.namespace,
                   env=with_tmpdir(hermetic_env() if env is None else env, self.tmpdir),
                   timeout=self.timeout if timeout is None else timeout, on_line=on_line,
                   stop=self.stop)
        if done.stopped:
            raise StepNotRun("stopped: the run ended before this step did")
        return done


def run(argv: Sequence[str], *, namespace: Where | None = None,
        env: Mapping[str, str] | None = None, timeout: float = 900.0,
        on_line: LineCallback | None = None, cwd: str | None = None,
        stop: threading.Event | None = None) -> Completed:
    """Run ``argv`` to completion; stdout and stderr are merged and returned.

    The child gets its own process group, so on timeout, on ``stop`` (set from another
    thread, which a KeyboardInterrupt never reaches: the result is then ``stopped``) or on
    KeyboardInterrupt the whole group (pip and anything it spawned) is killed before we
    return or re-raise. Nothing is started once ``stop`` is set.
    """
    full = namespace.command(argv) if namespace else list(argv)
    if stop is not None and stop.is_set():
        return Completed(tuple(full), -1, "", stopped=True)
    lines: list[str] = []
    proc: subprocess.Popen[str] | None = None

    def pump() -> None:
        assert proc is not None and proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if on_line:
                with contextlib.suppress(Exception):
                    on_line(line.rstrip("\n"))

    ended = ENDED
    try:
        with Deferral():  # an interrupt inside Popen would lose the pid: it waits until here
            proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=dict(env) if env else None,
                                    cwd=cwd, text=True, errors="replace",
                                    start_new_session=True,
                                    # a launcher must outlive its child: the child is in the
                                    # run's PID namespace, which ends it with the run, and
                                    # an orphan of a launcher is adopted (and reaped, late)
                                    # by the host's init, which holds the namespace's end up
                                    preexec_fn=None if namespace else die_with_parent)
        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        ended = _wait(proc, timeout, stop)
        if ended != ENDED:
            _kill_group(proc)
    except BaseException:
        if proc is not None:
            _kill_group(proc)
        raise
    reader.join(timeout=5)
    return Completed(tuple(full), proc.returncode, "".join(lines),
                     timed_out=ended == TIMED_OUT, stopped=ended == STOPPED, timeout=timeout)


def _wait(proc: subprocess.Popen[str], timeout: float, stop: threading.Event | None) -> str:
    """How the wait for ``proc`` ended: ENDED, TIMED_OUT, or STOPPED (``stop`` was set).

    Waits on a pidfd, which is readable the moment ``proc`` ends: ``Popen.wait(timeout)``
    polls with sleeps of up to 50 ms, ~25 ms lost on average at the end of every command
    the run starts (Linux before 5.3, or a Python without ``os.pidfd_open``: that way)."""
    deadline = time.monotonic() + timeout
    try:
        pidfd: int | None = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        while True:
            remaining = deadline - time.monotonic()
            wait = max(0.0, remaining if stop is None else min(remaining, 0.1))
            if pidfd is not None:
                select.select([pidfd], [], [], wait)
                if proc.poll() is not None:
                    return ENDED
            else:
                try:
                    proc.wait(timeout=wait)
                    return ENDED
                except subprocess.TimeoutExpired:
                    pass
            if stop is not None and stop.is_set():
                return STOPPED
            if remaining <= 0:
                return TIMED_OUT
    finally:
        if pidfd is not None:
            os.close(pidfd)


def die_with_parent() -> None:
    """In the child: get SIGKILL when the harness dies, even by SIGKILL (no orphaned pip)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.wait(timeout=10)
