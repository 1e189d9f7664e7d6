"""Run a command inside one of the run's namespaces: ``python -I -S launcher.py CONTROL ROLE --
COMMAND...``.

pytest-xprocess and ``subprocess`` cannot enter a namespace themselves (xprocess installs its
own ``preexec_fn``), so the harness prefixes commands with this launcher. It asks the holder
at ``CONTROL`` for the namespaces' descriptors, enters user, then net, then pid, and forks
(a PID namespace applies to children only). The parent stays outside: it forwards SIGTERM,
SIGINT and SIGHUP to the child (``nsenter -p`` does not) and exits with the child's status.
Standard library only, no site: it starts in a few milliseconds.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Sequence

try:
    from . import wire
except ImportError:  # run as a script: wire is a plain module beside it (-I drops the dir)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import wire  # type: ignore[import-not-found,no-redef]

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
PR_SET_PDEATHSIG = 1
ENTERED = (wire.CLONE_NEWUSER, wire.CLONE_NEWNET, wire.CLONE_NEWPID)  # in this order


def main(argv: Sequence[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: launcher.py CONTROL ROLE -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    control, role, command = argv[0], argv[1], list(argv[3:])
    try:
        _, fds = wire.request(control, {"op": "enter", "ns": role})
        for fd, kind in zip(fds, ENTERED, strict=True):
            wire.setns(fd, kind)
            os.close(fd)
    except OSError as exc:
        print(f"launcher: cannot enter the run's {role} namespace: {exc.strerror or exc}",
              file=sys.stderr)
        return 125
    child = os.fork()
    if child == 0:
        try:
            # a second line only: it fires when the parent *thread* exits
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            os.execvp(command[0], command)
        except OSError as exc:
            print(f"launcher: {command[0]}: {exc.strerror or exc}", file=sys.stderr)
        os._exit(127)
    for signum in FORWARDED:
        signal.signal(signum, lambda sig, _frame: _forward(child, sig))
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            return 1
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _forward(child: int, signum: int) -> None:
    try:  # noqa: SIM105  (contextlib: an import the launcher need not pay for)
        os.kill(child, signum)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
