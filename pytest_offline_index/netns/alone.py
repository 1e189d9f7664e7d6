"""A command with no network at all: a network namespace of its own, holding only its
loopback (down, or up when the command serves itself, as a devpi-server imported from a
bundle does). Where the command runs (the client host, in the run's user namespace) it may
make one: what it proves is then proven with nothing to reach, not even the client's link.
Elsewhere (the far side's check of a bundle, as an ordinary user) it first makes a user
namespace of its own that maps the user to itself, so the command runs as that user still.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import PrivilegeError
from .sandbox import classify

# unshare(CLONE_NEWNET) by ctypes (os.unshare came in Python 3.12); refused (no
# CAP_SYS_ADMIN here), a user namespace first, the user mapped to itself; the loopback
# brought up if asked (SIOCSIFFLAGS: IFF_UP | IFF_RUNNING), then exec. A refusal is one
# JSON line (stage, errno, seccomp mode) for classify to name.
ALONE = """\
import ctypes, fcntl, json, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def refused(stage, code):
    seccomp = 0
    try:
        with open("/proc/self/status") as s:
            seccomp = int(next(l.split()[1] for l in s if l.startswith("Seccomp:")))
    except (OSError, StopIteration, ValueError):
        pass
    print(json.dumps({"alone": stage, "errno": code, "seccomp": seccomp,
                      "error": os.strerror(code)}), file=sys.stderr)
    sys.exit("no network namespace of its own: " + stage + ": " + os.strerror(code))
if libc.unshare(0x40000000) != 0:
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(0x10000000) != 0:
        refused("unshare", ctypes.get_errno())
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    except OSError as exc:
        refused("uid_map", exc.errno or 0)
    if libc.unshare(0x40000000) != 0:
        refused("init", ctypes.get_errno())
if sys.argv[1] == "lo":
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, 0x8914, struct.pack("16sH22x", b"lo", 0x1 | 0x40))
os.execvp(sys.argv[2], sys.argv[2:])
"""


def without_network(argv: Sequence[str], loopback: bool = False) -> list[str]:
    """``argv`` run in a network namespace of its own: no way out at all, and with
    ``loopback`` a loopback of its own to serve itself on."""
    return [sys.executable, "-I", "-c", ALONE, "lo" if loopback else "-", *argv]


def network_refusal() -> PrivilegeError | None:
    """Why this process cannot run a command without network (one line naming the fix),
    or None when it can: asked once, up front, by a check that needs it."""
    try:
        done = subprocess.run(without_network([sys.executable, "-I", "-c", ""], True),
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return PrivilegeError(f"could not make a network namespace: {exc}")
    if done.returncode == 0:
        return None
    for line in reversed(done.stderr.splitlines()):
        if line.startswith('{"alone"'):
            status = json.loads(line)
            status["stage"] = status.pop("alone")
            error = classify(status)
            return error if isinstance(error, PrivilegeError) else PrivilegeError(str(error))
    tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return PrivilegeError(f"could not make a network namespace: {tail}")


@dataclass(frozen=True)
class Alone:
    """Where a command runs with no network at all (see :func:`without_network`): a
    runner's place on the far side of a gap, which has no namespaces of a run."""

    loopback: bool = False

    def command(self, argv: Sequence[str]) -> list[str]:
        return without_network(argv, self.loopback)
