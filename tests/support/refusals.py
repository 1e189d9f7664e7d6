"""Hosts that refuse user namespaces, emulated for one command, so the one-line error each
gives can be shown for real.

* a container's **seccomp profile** (Docker's default refuses ``unshare`` without
  CAP_SYS_ADMIN): :func:`refuse_unshare` installs, in the child only, a BPF filter that
  answers ``unshare`` with EPERM; ``/proc/self/status`` then says ``Seccomp: 2``, as in a
  container;
* **``user.max_user_namespaces`` at 0**: :func:`no_user_namespaces` runs the command inside
  a user namespace of its own whose limit is set to 0, so a nested ``unshare`` fails with
  ENOSPC (the limit is per user namespace: the machine's own is untouched).

Both live and die with the command: nothing is left to remove.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct
from collections.abc import Sequence

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_RET_K = 0x06
# the audit architecture and the unshare syscall's number, by machine
ARCHES = {"x86_64": (0xC000003E, 272), "aarch64": (0xC00000B7, 97)}


def refuse_unshare() -> None:
    """A ``preexec_fn``: from here on, ``unshare`` fails with EPERM in this process and all
    it starts (a seccomp filter cannot be lifted)."""
    arch, unshare = ARCHES[platform.machine()]
    program = [
        (BPF_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (BPF_JEQ_K, 0, 3, arch),  # another architecture: allow
        (BPF_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        (BPF_JEQ_K, 0, 1, unshare),
        (BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | errno.EPERM),
        (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
    ]
    code = b"".join(struct.pack("HBBI", *insn) for insn in program)
    filters = ctypes.create_string_buffer(code, len(code))

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = Prog(len(program), ctypes.addressof(filters))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or libc.prctl(
            PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "could not install the seccomp filter")


def no_user_namespaces(argv: Sequence[str]) -> list[str]:
    """``argv`` run in a user namespace of its own whose ``max_user_namespaces`` is 0."""
    script = 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"'
    return ["unshare", "--user", "--map-root-user", "sh", "-c", script, "sh", *argv]
