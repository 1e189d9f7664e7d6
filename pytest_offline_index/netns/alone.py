"""A command with no network at all: a network namespace of its own, holding only a loopback
that is down. Where the command runs (the client host, in the run's user namespace) it may
make one: what it proves is then proven with nothing to reach, not even the client's link.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

# unshare(CLONE_NEWNET) then exec: by ctypes, as os.unshare came only in Python 3.12
ALONE = """\
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x40000000) != 0:
    sys.exit("no network namespace of its own: " + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[1], sys.argv[1:])
"""


def without_network(argv: Sequence[str]) -> list[str]:
    """``argv`` run in a network namespace of its own, with no way out at all."""
    return [sys.executable, "-I", "-c", ALONE, *argv]
