"""The harness's side of the holder: start it, hold its lifeline, ask it for things.

A :class:`Sandbox` starts :mod:`.holder` as a fresh process and keeps the write end of a pipe
only this process has (the lifeline): when this process ends — even by SIGKILL — the holder's
init sees EOF and the kernel removes everything. A :class:`Place` names one of the run's
namespaces by the holder's control socket and a role; any process of the run's user can use
it (xdist workers attach by it): to run a command there (:meth:`Place.command`), or to get a
socket made there (:meth:`Place.socket`) — a socket keeps its namespace, so this process
connects, listens and serves with it like any other, and no thread of it enters a namespace.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from socket import AF_INET, SOCK_STREAM
from socket import socket as Socket

from ..errors import PrivilegeError, TopologyError
from ..util.interrupts import Deferral
from . import wire

HERE = Path(__file__).resolve().parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
APPARMOR_RESTRICTION = "/proc/sys/kernel/apparmor_restrict_unprivileged_userns"
DEBIAN_SWITCH = "/proc/sys/kernel/unprivileged_userns_clone"
GATEWAY, SERVER, CLIENT = "gw", "srv", "cli"


@dataclass(frozen=True)
class Place:
    """One namespace of a run: the holder's control socket and the namespace's role."""

    control: str
    role: str

    def command(self, argv: Sequence[str]) -> list[str]:
        """The argv that runs ``argv`` inside this namespace (see :mod:`.launcher`)."""
        return [sys.executable, "-I", "-S", str(HERE / "launcher.py"), self.control, self.role,
                "--", *argv]

    def socket(self, family: int = AF_INET, kind: int = SOCK_STREAM,
               bind: tuple[str, int] | None = None, listen: int | None = None) -> Socket:
        """A socket made inside this namespace (bound and listening if asked)."""
        message: wire.Message = {"op": "socket", "ns": self.role, "family": int(family),
                                 "type": int(kind)}
        if bind is not None:
            message["bind"] = list(bind)
        if listen is not None:
            message["listen"] = listen
        _, fds = self.ask(message)
        return socket.socket(fileno=fds[0])

    def connect(self, address: tuple[str, int], family: int = AF_INET,
                timeout: float | None = None) -> Socket:
        """A TCP connection from inside this namespace."""
        sock = self.socket(family)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
        except BaseException:
            sock.close()
            raise
        return sock

    def ask(self, message: wire.Message) -> tuple[wire.Message, list[int]]:
        try:
            return wire.request(self.control, {**message, "ns": self.role})
        except wire.HolderError as exc:
            raise TopologyError(f"{self.role} namespace: {exc.strerror or exc}") from None


class Sandbox:
    """The holder of one run's namespaces; ``close()`` (or this process's end) removes all."""

    def __init__(self, links: dict[str, str], remove: Sequence[Path] = ()) -> None:
        self.links = links
        self.remove = [str(p) for p in remove]
        self.dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._lifeline: int | None = None

    @property
    def control(self) -> str:
        if self.dir is None:
            raise TopologyError("the run's namespaces are not up")
        return str(self.dir / "control")

    def place(self, role: str) -> Place:
        return Place(self.control, role)

    def start(self) -> Sandbox:
        """Start the holder and wait until the namespaces are built; a refusal is one line.
        Interrupted meanwhile (Ctrl-C), it closes what it made before it raises: its caller
        never held it, and a holder that was waiting to be mapped exits without removing
        anything."""
        self.dir = Path(tempfile.mkdtemp(prefix="offline-index-ns-", dir=_short_tmp()))
        try:
            return self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> Sandbox:
        assert self.dir is not None
        read_end, self._lifeline = os.pipe()
        status_read, status_write = (s.detach() for s in socket.socketpair())
        os.set_inheritable(read_end, True)
        os.set_inheritable(status_write, True)
        os.set_inheritable(self._lifeline, False)  # only this process may hold it
        spec = {"control": self.control, "lifeline": read_end, "status": status_write,
                "uid": os.getuid(), "gid": os.getgid(), "links": self.links,
                "remove": [*self.remove, str(self.dir)]}
        log = (self.dir / "holder.log").open("wb")
        try:
            try:
                with Deferral():  # a Ctrl-C inside Popen would lose the holder's pid
                    self.process = subprocess.Popen(
                        [sys.executable, "-I", str(HERE / "holder.py"), json.dumps(spec)],
                        pass_fds=(read_end, status_write), stdin=subprocess.DEVNULL,
                        stdout=log, stderr=log, start_new_session=True)
            finally:
                log.close()
                os.close(read_end)
                os.close(status_write)
            status = _read_status(status_read, START_TIMEOUT)
            if status.get("unshared"):  # root: map every id, from out here
                status = self._map_all(status_read)
        finally:
            os.close(status_read)
        if not status.get("ok"):
            raise classify(status, self._log_tail())  # closed by start()
        return self

    def _map_all(self, status: int) -> dict[str, object]:
        """Root stays root over every id inside: only a process outside (with CAP_SETUID
        here) may write such a map for the holder."""
        assert self.process is not None
        try:
            for name in ("uid_map", "gid_map"):
                Path(f"/proc/{self.process.pid}/{name}").write_text("0 0 4294967295")
        except OSError as exc:
            return {"error": exc.strerror or str(exc), "errno": exc.errno, "stage": "uid_map"}
        os.write(status, b"mapped\n")
        return _read_status(status, START_TIMEOUT)

    def keep(self) -> None:
        """Keep the work dirs when the holder ends (their logs are the clue)."""
        with contextlib.suppress(TopologyError):
            self.place(SERVER).ask({"op": "keep"})

    def close(self) -> None:
        """End the holder (it kills what runs inside and removes the work dirs) and wait."""
        if self._lifeline is not None:
            os.close(self._lifeline)
            self._lifeline = None
        if self.process is not None:
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()  # by the pid we started; its init dies with it
                self.process.wait()
            self.process = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError, TypeError):
            lines = (Path(self.control).parent / "holder.log").read_text().splitlines()
            return lines[-1] if lines else ""
        return ""

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _short_tmp() -> str:
    """A Unix socket's path must fit in 108 bytes: the temp dir, unless it is too long."""
    base = tempfile.gettempdir()
    return base if len(base) < 60 else "/tmp"


def _read_status(fd: int, timeout: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return {"error": f"the holder did not answer in {timeout:.0f}s", "stage": "start"}
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    try:
        status: dict[str, object] = json.loads(data or b"{}")
    except ValueError:
        status = {}
    return status or {"error": "the holder exited without a word", "stage": "start"}


def classify(status: dict[str, object], detail: str = "") -> Exception:
    """One line naming why the namespaces could not be made, and the fix."""
    stage, code = str(status.get("stage", "")), int(str(status.get("errno") or 0))
    why = str(status.get("error", "unknown error"))
    if stage == "unshare" and code == errno.ENOSPC:
        return PrivilegeError(
            "user namespaces are not available: user.max_user_namespaces is 0 or used up "
            "(ENOSPC); raise it: sudo sysctl -w user.max_user_namespaces=15000")
    if stage == "unshare" and code == errno.EPERM and int(str(status.get("seccomp") or 0)):
        return PrivilegeError(
            "user namespaces are refused by a seccomp profile (EPERM at unshare; a container's "
            "default profile does this): run the container with --security-opt "
            "seccomp=unconfined, or privileged")
    if stage == "unshare" and code == errno.EPERM and _reads(DEBIAN_SWITCH) == "0":
        return PrivilegeError(
            "user namespaces are turned off for unprivileged users "
            "(kernel.unprivileged_userns_clone=0): sudo sysctl -w "
            "kernel.unprivileged_userns_clone=1")
    if stage == "unshare" and code == errno.EINVAL:
        return PrivilegeError("this kernel has no user namespaces (EINVAL at unshare; WSL1?)")
    if code == errno.EPERM and stage in ("uid_map", "init") and os.path.exists(
            APPARMOR_RESTRICTION):
        return PrivilegeError(
            "user namespaces are restricted by AppArmor (Ubuntu >= 23.10: "
            "kernel.apparmor_restrict_unprivileged_userns): sudo sysctl -w "
            "kernel.apparmor_restrict_unprivileged_userns=0")
    if stage == "unshare" and code == errno.EPERM:
        return PrivilegeError(f"user namespaces are refused here (EPERM at unshare): {why}")
    tail = f" ({detail})" if detail and detail not in why else ""
    return TopologyError(f"could not build the run's network ({stage}): {why}{tail}")


def _reads(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None
