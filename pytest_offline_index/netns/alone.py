"""A command with no network at all: a network namespace of its own, holding only its
loopback (down, or up when the command serves itself, as a devpi-server imported from a
bundle does). Where the command runs (the client host, in the run's user namespace) it may
make one: what it proves is then proven with nothing to reach, not even the client's link.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

# unshare(CLONE_NEWNET) by ctypes (os.unshare came in Python 3.12), the loopback brought up
# if asked (SIOCSIFFLAGS: IFF_UP | IFF_RUNNING), then exec
ALONE = """\
import ctypes, fcntl, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x40000000) != 0:
    sys.exit("no network namespace of its own: " + os.strerror(ctypes.get_errno()))
if sys.argv[1] == "lo":
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", 0x1 | 0x40))
os.execvp(sys.argv[2], sys.argv[2:])
"""


def without_network(argv: Sequence[str], loopback: bool = False) -> list[str]:
    """``argv`` run in a network namespace of its own: no way out at all, and with
    ``loopback`` a loopback of its own to serve itself on."""
    return [sys.executable, "-I", "-c", ALONE, "lo" if loopback else "-", *argv]
