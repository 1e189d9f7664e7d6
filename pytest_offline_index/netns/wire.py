"""The holder's wire: one JSON message per datagram, descriptors alongside (SCM_RIGHTS).

Standard library only: the holder and the launcher import it as a plain module, started with
``python -I`` (the launcher with ``-S`` too), so it must not import the package.
"""

from __future__ import annotations

import ctypes
import json
import os
import socket
from collections.abc import Sequence
from typing import Any

CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MAX_MESSAGE = 1 << 16
MAX_FDS = 8
Message = dict[str, Any]


def send(sock: socket.socket, message: Message, fds: Sequence[int] = ()) -> None:
    socket.send_fds(sock, [json.dumps(message).encode()], list(fds))


def receive(sock: socket.socket) -> tuple[Message, list[int]]:
    """One message and its descriptors; EOFError when the peer has gone."""
    data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, MAX_FDS)
    if not data:
        for fd in fds:
            os.close(fd)
        raise EOFError("the holder closed the connection")
    message: Message = json.loads(data)
    return message, fds


class HolderError(OSError):
    """The holder refused a request, or could not be reached."""


def request(path: str, message: Message, timeout: float = 30.0) -> tuple[Message, list[int]]:
    """Ask the holder listening at ``path``; raises HolderError with its errno and reason."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
            send(sock, message)
            reply, fds = receive(sock)
        except (OSError, EOFError) as exc:
            raise HolderError(getattr(exc, "errno", 0) or 0,
                              f"the run's namespaces are gone ({exc})") from None
    if "error" in reply:
        for fd in fds:
            os.close(fd)
        raise HolderError(int(reply.get("errno") or 0), str(reply["error"]))
    return reply, fds


def _libc_call(name: str, *args: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def setns(fd: int, nstype: int) -> None:
    if hasattr(os, "setns"):  # Python >= 3.12
        os.setns(fd, nstype)
    else:
        _libc_call("setns", fd, nstype)


def unshare(flags: int) -> None:
    if hasattr(os, "unshare"):  # Python >= 3.12
        os.unshare(flags)
    else:
        _libc_call("unshare", flags)
