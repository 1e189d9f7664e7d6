"""Run a command inside a named network namespace: ``setns`` then ``exec``.

pytest-xprocess and ``subprocess`` cannot enter a namespace themselves (xprocess always
installs its own ``preexec_fn``), so the harness prefixes commands with this launcher.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Sequence

NETNS_RUN_DIR = "/run/netns"
CLONE_NEWNET = 0x40000000


def netns_path(name: str) -> str:
    return os.path.join(NETNS_RUN_DIR, name)


def ns_command(namespace: str, argv: Sequence[str]) -> list[str]:
    """The argv that runs ``argv`` inside ``namespace``.

    The launcher runs as a plain script (stdlib only, no site): fast, and it never imports
    the package, whose imports are heavy.
    """
    return [sys.executable, "-I", "-S", __file__, namespace, "--", *argv]


def enter(namespace: str) -> None:
    """Move the calling process (and thus what it execs) into ``namespace``."""
    fd = os.open(netns_path(namespace), os.O_RDONLY | os.O_CLOEXEC)
    try:
        if hasattr(os, "setns"):  # Python >= 3.12
            os.setns(fd, CLONE_NEWNET)
        else:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.setns(fd, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err), namespace)
    finally:
        os.close(fd)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[1] != "--":
        print("usage: python -m pytest_offline_index.nsexec NAMESPACE -- COMMAND [ARG...]",
              file=sys.stderr)
        return 2
    namespace, command = args[0], args[2:]
    try:
        enter(namespace)
        os.execvp(command[0], command)
    except OSError as exc:
        print(f"nsexec: {namespace}: {command[0]}: {exc.strerror or exc}", file=sys.stderr)
        return 127
    return 0  # not reached: exec replaced us


if __name__ == "__main__":
    raise SystemExit(main())
