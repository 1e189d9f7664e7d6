"""SIGINT and SIGTERM at the moments where handling them at once would do harm.

Python runs a signal's handler in the main thread between two bytecodes, whichever thread the
kernel gave the signal to. A signal mask on the main thread therefore does not keep a
KeyboardInterrupt out of ``subprocess.Popen`` after its fork, where it loses the child's pid:
the child outlives the run and writes into a work dir that is being removed. So while a child
is being spawned the handlers only record a signal, and deliver it again once the caller
holds the pid.

And a run must hear them at all: :func:`heed_interrupts` undoes a mask that blocks them,
inherited from whatever started the run.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from types import FrameType
from typing import Any

DEFERRED = (signal.SIGINT, signal.SIGTERM)
SIGTERM_MESSAGE = f"signal {signal.SIGTERM.value}"  # the KeyboardInterrupt a run raises on it


class Deferral:
    """Record SIGINT/SIGTERM until :meth:`release` (or the ``with`` block's end), then
    deliver each one to the handler that was in place."""

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._caught: list[int] = []

    def __enter__(self) -> Deferral:
        if threading.current_thread() is threading.main_thread():  # elsewhere: no handlers
            for signum in DEFERRED:
                handler = signal.getsignal(signum)
                if callable(handler):  # SIG_DFL ends the process; PDEATHSIG ends its children
                    self._previous[signum] = handler
                    signal.signal(signum, self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _record(self, signum: int, frame: FrameType | None) -> None:
        self._caught.append(signum)

    def release(self) -> None:
        """Put the handlers back; a signal recorded meanwhile is handled now, by them."""
        previous, self._previous = self._previous, {}
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        caught, self._caught = self._caught, []
        for signum in dict.fromkeys(caught):
            signal.raise_signal(signum)


def heed_interrupts() -> None:
    """Unblock SIGINT and SIGTERM in this thread, and so in the threads and children it
    starts from now on; one that was held pending is handled at once.

    A signal mask survives fork and exec, and Python does not clear it at startup: a run
    started by a process that had SIGINT blocked (a runner or supervisor that spawns with
    its mask set) inherits it, the kernel then keeps every Ctrl-C pending for good, and the
    run goes on, to a pass if nothing fails. An *ignored* SIGINT (a shell's background job)
    is a parent's deliberate choice and stays so."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, DEFERRED)


def interrupted_by(exc: BaseException) -> str | None:
    """What a KeyboardInterrupt stands for, as a record says it ("by Ctrl-C (SIGINT)", or
    "by SIGTERM" for the one the run raises on SIGTERM); None for any other exception."""
    if not isinstance(exc, KeyboardInterrupt):
        return None
    return "by SIGTERM" if exc.args == (SIGTERM_MESSAGE,) else "by Ctrl-C (SIGINT)"


class HeldSigint:
    """SIGINT recorded, not acted on, from :meth:`hold` to :meth:`release`: a Ctrl-C that
    comes while the run tears down must neither cut the teardown short nor be lost
    (``caught``: the run ends "interrupted" once it is done). It also turns away the
    interrupt_main() an xdist worker gets when its controller is gone. Main thread only
    (elsewhere there is nothing to hold); an ignored SIGINT stays ignored."""

    def __init__(self) -> None:
        self.caught = False
        self.said = False  # the run has said it was interrupted
        self._previous: Any = None

    def hold(self) -> None:
        if self._previous is not None or signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
            return
        with contextlib.suppress(ValueError):  # not the main thread: nothing to hold
            self._previous = signal.signal(signal.SIGINT, self._record)

    def release(self) -> None:
        previous, self._previous = self._previous, None
        if previous is not None:
            signal.signal(signal.SIGINT, previous)

    def _record(self, signum: int, frame: FrameType | None) -> None:
        self.caught = True
