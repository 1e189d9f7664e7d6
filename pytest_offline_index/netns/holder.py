"""The holder: a fresh process that owns the run's namespaces, as any user, root included.

Run as ``python -I holder.py SPEC`` by :mod:`.sandbox` (never forked from the multi-threaded
harness: such a process cannot enter a user namespace). It unshares a user namespace (the
caller mapped to 0; root stays fully mapped) and a PID namespace, forks that namespace's init,
and the init makes the gateway, server and client network namespaces, each kept by an open
descriptor — no name in ``/run/netns``, nothing in the host's namespace. The init then answers
requests on a Unix socket (descriptors of the namespaces for the launcher, sockets made inside
a namespace, routes, the cut) until the harness's lifeline reaches EOF: then it kills what
runs in its PID namespace, removes the run's work dirs, and exits, and the kernel drops the
namespaces with their last descriptor.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import select
import shutil
import signal
import socket
import sys
import time
from typing import Any

try:
    from . import wire
except ImportError:  # run as a script: wire is a plain module beside it (-I drops the dir)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import wire  # type: ignore[import-not-found,no-redef]

ROLES = ("gw", "srv", "cli")
REAP_TIMEOUT = 10.0


def main(spec: dict[str, Any]) -> int:
    status = spec["status"]
    try:
        stage = "unshare"
        wire.unshare(wire.CLONE_NEWUSER | wire.CLONE_NEWPID)
        stage = "uid_map"
        if spec["uid"] == 0:  # only a process outside may map every id: the harness does
            _report(status, {"unshared": True}, close=False)
            if os.read(status, 16) != b"mapped\n":
                return 1
        else:
            _map_ids(spec["uid"], spec["gid"])
    except OSError as exc:
        _report(status, {"error": str(exc.strerror or exc), "errno": exc.errno or 0,
                         "stage": stage, "seccomp": _seccomp()})
        return 1
    pid = os.fork()
    if pid == 0:  # the PID namespace's init
        try:
            code = Init(spec).run()
        except BaseException as exc:
            _report(status, {"error": f"{type(exc).__name__}: {exc}", "stage": "init",
                             "errno": getattr(exc, "errno", 0) or 0, "seccomp": _seccomp()})
            code = 1
        os._exit(code)
    os.close(status)
    os.close(spec["lifeline"])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the harness ends us through the lifeline
    _, code = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(code) & 0xFF


def _map_ids(uid: int, gid: int) -> None:
    """uid 0 inside is the caller outside (and nobody else is mapped)."""
    _write("/proc/self/setgroups", "deny")  # required before an unprivileged gid map
    _write("/proc/self/gid_map", f"0 {gid} 1")
    _write("/proc/self/uid_map", f"0 {uid} 1")


def _write(path: str, text: str) -> None:
    with open(path, "w") as stream:
        stream.write(text)


def _seccomp() -> int:
    with contextlib.suppress(OSError, StopIteration, ValueError), \
            open("/proc/self/status") as stream:
        return int(next(ln.split()[1] for ln in stream if ln.startswith("Seccomp:")))
    return 0


def _report(fd: int, message: dict[str, Any], close: bool = True) -> None:
    with contextlib.suppress(OSError):
        os.write(fd, json.dumps(message).encode() + b"\n")
        if close:
            os.close(fd)


class Init:
    """PID 1 of the run: builds the network, serves requests, tears down on EOF."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.control: str = spec["control"]
        self.remove: list[str] = list(spec["remove"])
        self.ns: dict[str, int] = {}
        self.user = os.open("/proc/self/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        self.pid = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)

    def run(self) -> int:
        for role in ROLES:
            wire.unshare(wire.CLONE_NEWNET)
            self.ns[role] = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        self._build(self.spec["links"])
        server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        server.bind(self.control)
        server.listen(64)
        _report(self.spec["status"], {"ok": True})
        lifeline = self.spec["lifeline"]
        while True:
            ready, _, _ = select.select([lifeline, server], [], [], 1.0)
            if lifeline in ready and not os.read(lifeline, 64):
                break  # the harness is gone, or done: end everything
            if server in ready:
                conn, _ = server.accept()
                with conn:
                    self._serve(conn)
            _reap()
        server.close()
        self._teardown()
        return 0

    # -- the network -----------------------------------------------------------------------

    def _ipr(self, role: str) -> Any:
        from pyroute2 import IPRoute

        wire.setns(self.ns[role], wire.CLONE_NEWNET)
        return IPRoute()

    def _build(self, a: dict[str, str]) -> None:
        with self._ipr("gw") as gw:
            _up(gw, "lo", a["gateway"], 32)
            gw.link("add", ifname="uplink", kind="veth",
                    peer={"ifname": "uplink-srv", "net_ns_fd": self.ns["srv"]})
            _up(gw, "uplink", a["uplink_gateway"])
        with self._ipr("srv") as srv:
            _up(srv, "lo")
            srv.link("add", ifname="lan", kind="veth",
                     peer={"ifname": "lan-cli", "net_ns_fd": self.ns["cli"]})
            _up(srv, "uplink-srv", a["uplink_server"])
            _up(srv, "lan", a["lan_server"])
            srv.route("add", dst="0.0.0.0/0", gateway=a["uplink_gateway"])
        with self._ipr("cli") as cli:
            _up(cli, "lo")
            _up(cli, "lan-cli", a["lan_client"])

    def _default_routes(self, role: str) -> list[str]:
        found = []
        with self._ipr(role) as ipr:
            for family in (socket.AF_INET, socket.AF_INET6):
                for route in ipr.route("dump", family=family):
                    if route["dst_len"] == 0 and route.get("table") == 254:
                        found.append(f"{family.name} via {route.get('gateway')}")
        return found

    # -- requests --------------------------------------------------------------------------

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(5.0)
        try:
            message, fds = wire.receive(conn)
        except (OSError, EOFError, ValueError):
            return
        for fd in fds:
            os.close(fd)
        try:
            reply, out = self._handle(message)
        except Exception as exc:
            reply, out = {"error": f"{type(exc).__name__}: {exc}",
                          "errno": getattr(exc, "errno", 0) or 0}, []
        try:
            wire.send(conn, reply, out)
        except OSError:
            pass
        finally:
            for fd in out:
                if fd not in (self.user, self.pid, *self.ns.values()):
                    os.close(fd)

    def _handle(self, message: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
        op = message.get("op")
        role = message.get("ns", "srv")
        if role not in ROLES:
            raise OSError(errno.EINVAL, f"no namespace {role!r}")
        if op == "enter":  # for the launcher: user, then net, then pid
            return {}, [self.user, self.ns[role], self.pid]
        if op == "socket":
            return {}, [self._socket(role, message)]
        if op == "routes":
            return {"routes": self._default_routes(role)}, []
        if op in ("cut", "restore"):
            with self._ipr("srv") as srv:
                srv.route("del" if op == "cut" else "add", dst="0.0.0.0/0",
                          gateway=self.spec["links"]["uplink_gateway"])
            return {}, []
        if op == "keep":  # the harness keeps the work dirs (a log to read): do not remove
            self.remove = []
            return {}, []
        raise OSError(errno.EINVAL, f"unknown request {op!r}")

    def _socket(self, role: str, message: dict[str, Any]) -> int:
        wire.setns(self.ns[role], wire.CLONE_NEWNET)
        sock = socket.socket(int(message.get("family", socket.AF_INET)),
                             int(message.get("type", socket.SOCK_STREAM)))
        try:
            if (bind := message.get("bind")) is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((bind[0], int(bind[1])))
            if (backlog := message.get("listen")) is not None:
                sock.listen(int(backlog))
        except BaseException:
            sock.close()
            raise
        return sock.detach()

    # -- the end ---------------------------------------------------------------------------

    def _teardown(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)  # in a PID namespace: every process but this one
        deadline = time.monotonic() + REAP_TIMEOUT
        while time.monotonic() < deadline:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break
        for path in self.remove:
            shutil.rmtree(path, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(self.control)
            os.rmdir(os.path.dirname(self.control))


def _up(ipr: Any, ifname: str, address: str | None = None, prefixlen: int = 30) -> None:
    idx = ipr.link_lookup(ifname=ifname)[0]
    if address is not None:
        ipr.addr("add", index=idx, address=address, prefixlen=prefixlen)
    ipr.link("set", index=idx, state="up")


def _reap() -> None:
    """Orphans of the namespace are the init's children: leave no zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


if __name__ == "__main__":
    raise SystemExit(main(json.loads(sys.argv[1])))
