"""Emulations of hosts unlike this one, so integration tests can prove the harness works there.

Three things common on other hosts (Ubuntu, CI runners with Docker) and absent here:

* a loopback **stub resolver** in ``/etc/resolv.conf`` (systemd-resolved's 127.0.0.53):
  :class:`StubResolver` answers A queries from a fixed mapping, and
  :func:`private_resolv_conf` runs a command in a private mount namespace whose
  ``/etc/resolv.conf`` names it;
* a **forward hook that drops by default** with ``ip_forward=1`` (what Docker does):
  :func:`forward_drop`;
* an **input hook that drops by default**, accepting only ``lo`` and established traffic:
  :func:`input_drop`;
* a host whose **only way out is a proxy**: an output hook that drops TCP to the given
  destinations from every socket but the proxy's user's, :func:`only_through`.

Each is created and removed by the test itself, under a name of its own, and leaves nothing
behind even if the test process is killed: the resolver is a thread of the test process, the
private ``resolv.conf`` exists only inside the command's own mount namespace (its backing
file is unlinked before the command starts), the nftables tables carry the kernel's owner
flag (they die with the netlink socket that made them), and a watchdog process puts
``ip_forward`` back if the test dies before it can.

Run as a script, this file is the launcher :func:`private_resolv_conf` uses; it then
imports nothing beyond the standard library.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import ipaddress
import os
import random
import secrets
import selectors
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

if TYPE_CHECKING:
    from pyroute2.nftables.main import NFTables

# --------------------------------------------------------------------------------------------
# A loopback DNS stub resolver
# --------------------------------------------------------------------------------------------

STUB_ADDRESS = "127.0.0.53"
DNS_PORT = 53
BIND_ATTEMPTS = 64
MAX_TCP_CLIENTS = 32

QTYPE_A, QTYPE_AAAA, QTYPE_ANY = 1, 28, 255
QCLASS_IN = 1
RCODE_NOERROR, RCODE_FORMERR, RCODE_NXDOMAIN, RCODE_NOTIMP = 0, 1, 3, 4
FLAG_QR, FLAG_AA, FLAG_RD, FLAG_RA = 0x8000, 0x0400, 0x0100, 0x0080
HEADER = struct.Struct("!6H")


def _normalize(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _read_name(packet: bytes, offset: int) -> tuple[str, int]:
    """The uncompressed name at ``offset`` and the offset just past it."""
    labels: list[str] = []
    length = 0
    while True:
        if offset >= len(packet):
            raise ValueError("name runs past the packet")
        size = packet[offset]
        offset += 1
        if size == 0:
            return ".".join(labels), offset
        if size & 0xC0:
            raise ValueError("compressed or extended label in a question")
        label = packet[offset:offset + size]
        if len(label) != size:
            raise ValueError("label runs past the packet")
        length += size + 1
        if length > 255:
            raise ValueError("name longer than 255 bytes")
        labels.append(label.decode("ascii", "replace"))
        offset += size


class StubResolver:
    """A DNS server on a loopback address, port 53, that answers from a fixed mapping only.

    A queries for a mapped name get its IPv4 address; other types for a mapped name get
    NOERROR with no answers; any other name gets NXDOMAIN. It never forwards anywhere.
    It binds UDP and TCP on 127.0.0.53 if that is free, otherwise on a free random
    127.x.y.z, in the namespace of the test process (the root one).
    """

    def __init__(self, names: Mapping[str, str], *, ttl: int = 60,
                 preferred: str = STUB_ADDRESS) -> None:
        self.names = {_normalize(name): str(ipaddress.IPv4Address(address))
                      for name, address in names.items()}
        self.ttl = ttl
        self.preferred = preferred
        self.queries: list[str] = []  # every name asked, normalized, in order
        self.questions: list[tuple[str, int]] = []  # (name, qtype) for each query
        self.errors: list[BaseException] = []  # what went wrong serving, for assertions
        self._address: str | None = None
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def address(self) -> str:
        if self._address is None:
            raise RuntimeError("the stub resolver is not started")
        return self._address

    @property
    def port(self) -> int:
        return DNS_PORT

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> StubResolver:
        if self._thread is not None:
            return self
        self._udp, self._tcp, self._address = self._bind()
        self._wake = socket.socketpair()
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, name=f"stub-dns-{self._address}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            assert self._wake is not None
            with contextlib.suppress(OSError):
                self._wake[1].send(b"x")
            thread.join(timeout=10)
        for sock in (self._udp, self._tcp, *(self._wake or ())):
            if sock is not None:
                sock.close()
        self._udp = self._tcp = self._wake = None

    def __enter__(self) -> StubResolver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _bind(self) -> tuple[socket.socket, socket.socket, str]:
        rng = random.Random()
        candidates = [self.preferred] + [
            f"127.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(2, 255)}"
            for _ in range(BIND_ATTEMPTS)]
        last: OSError | None = None
        for address in candidates:
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                udp.bind((address, DNS_PORT))  # no SO_REUSEADDR: "free" must mean free
                tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                tcp.bind((address, DNS_PORT))
                tcp.listen(16)
            except OSError as exc:
                udp.close()
                tcp.close()
                if exc.errno != errno.EADDRINUSE:
                    raise
                last = exc
                continue
            udp.setblocking(False)
            tcp.setblocking(False)
            return udp, tcp, address
        raise OSError(errno.EADDRINUSE,
                      f"no free loopback address for port {DNS_PORT} (something may listen"
                      f" on 0.0.0.0:{DNS_PORT}): {last}")

    # -- serving -----------------------------------------------------------------------------

    def _serve(self) -> None:
        assert self._udp is not None and self._tcp is not None and self._wake is not None
        clients: dict[socket.socket, bytearray] = {}
        with selectors.DefaultSelector() as selector:
            selector.register(self._udp, selectors.EVENT_READ, "udp")
            selector.register(self._tcp, selectors.EVENT_READ, "listen")
            selector.register(self._wake[0], selectors.EVENT_READ, "wake")
            try:
                while not self._stopping.is_set():
                    for key, _ in selector.select(timeout=1.0):
                        try:
                            self._ready(selector, key, clients)
                        except Exception as exc:  # keep serving; the test can assert on it
                            self.errors.append(exc)
            finally:
                for client in clients:
                    client.close()

    def _ready(self, selector: selectors.BaseSelector, key: selectors.SelectorKey,
               clients: dict[socket.socket, bytearray]) -> None:
        sock = cast(socket.socket, key.fileobj)
        if key.data == "udp":
            with contextlib.suppress(BlockingIOError):
                packet, peer = sock.recvfrom(4096)
                reply = self.answer(packet)
                if reply is not None:
                    sock.sendto(reply, peer)
        elif key.data == "listen":
            with contextlib.suppress(BlockingIOError):
                client, _ = sock.accept()
                if len(clients) >= MAX_TCP_CLIENTS:
                    client.close()
                    return
                client.setblocking(False)
                clients[client] = bytearray()
                selector.register(client, selectors.EVENT_READ, "client")
        elif key.data == "client":
            self._tcp_ready(selector, sock, clients)

    def _tcp_ready(self, selector: selectors.BaseSelector, client: socket.socket,
                   clients: dict[socket.socket, bytearray]) -> None:
        try:
            data = client.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        buffer = clients[client]
        buffer += data
        try:
            while data and len(buffer) >= 2:
                (size,) = struct.unpack_from("!H", buffer)
                if len(buffer) < 2 + size:
                    break
                message = bytes(buffer[2:2 + size])
                del buffer[:2 + size]
                reply = self.answer(message)
                if reply is not None:
                    client.setblocking(True)
                    client.settimeout(2.0)
                    client.sendall(struct.pack("!H", len(reply)) + reply)
                    client.setblocking(False)
        except OSError:
            data = b""
        if not data:
            selector.unregister(client)
            del clients[client]
            client.close()

    def answer(self, query: bytes) -> bytes | None:
        """The reply to one DNS query message, or None to stay silent (not a query)."""
        if len(query) < HEADER.size:
            return None
        ident, flags, qdcount, _, _, _ = HEADER.unpack_from(query)
        if flags & FLAG_QR:
            return None
        opcode = (flags >> 11) & 0xF
        base = FLAG_QR | FLAG_AA | FLAG_RA | (opcode << 11) | (flags & FLAG_RD)
        if opcode != 0:
            return HEADER.pack(ident, base | RCODE_NOTIMP, 0, 0, 0, 0)
        if qdcount != 1:
            return HEADER.pack(ident, base | RCODE_FORMERR, 0, 0, 0, 0)
        try:
            name, end = _read_name(query, HEADER.size)
            qtype, qclass = struct.unpack_from("!HH", query, end)
        except (ValueError, struct.error):
            return HEADER.pack(ident, base | RCODE_FORMERR, 0, 0, 0, 0)
        question = query[HEADER.size:end + 4]
        name = _normalize(name)
        self.queries.append(name)
        self.questions.append((name, qtype))
        address = self.names.get(name)
        if address is None:
            return HEADER.pack(ident, base | RCODE_NXDOMAIN, 1, 0, 0, 0) + question
        answers = b""
        if qtype in (QTYPE_A, QTYPE_ANY) and qclass == QCLASS_IN:
            # The owner name points back at the question (offset 12).
            answers = struct.pack("!HHHIH", 0xC000 | HEADER.size, QTYPE_A, QCLASS_IN,
                                  self.ttl, 4) + socket.inet_aton(address)
        return HEADER.pack(ident, base | RCODE_NOERROR, 1, 1 if answers else 0, 0, 0) + (
            question + answers)


# --------------------------------------------------------------------------------------------
# A private /etc/resolv.conf, in a mount namespace of the command's own
# --------------------------------------------------------------------------------------------

RESOLV_CONF = "/etc/resolv.conf"
CLONE_NEWNS = 0x00020000
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000


def _resolv_conf_state(path: str = RESOLV_CONF) -> tuple[object, ...]:
    """What the root namespace sees at ``path``: link target, file identity and content."""
    link = os.readlink(path) if os.path.islink(path) else None
    real = os.path.realpath(path)
    try:
        info = os.stat(real)
        content = Path(real).read_bytes()
    except OSError:
        return (link, real, None, None)
    return (link, real, (info.st_dev, info.st_ino, info.st_mode), content)


def _mount_target(path: str = RESOLV_CONF) -> str:
    """The file a bind mount must cover so that opening ``path`` reads the mounted one.

    ``mount`` follows symlinks, so a ``resolv.conf`` that is a symlink (systemd's
    ``../run/systemd/resolve/stub-resolv.conf``) is covered at what it names; one that is
    itself a bind mount is simply covered again.
    """
    real = os.path.realpath(path)
    if not os.path.isfile(real):
        raise RuntimeError(
            f"{path} resolves to {real}, which is not an existing regular file: a private"
            " resolv.conf cannot be bind-mounted over it on this host")
    return real


@dataclass(frozen=True)
class PrivateResolvConf:
    """Turns a command into one that runs with a private ``/etc/resolv.conf``."""

    nameserver: str
    content: str
    target: str  # the file the bind mount covers (resolv.conf, or what its symlink names)

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` behind the launcher: it execs ``argv`` (same pid) once mounts are set."""
        if not argv:
            raise ValueError("an empty command")
        return [sys.executable, "-I", os.path.abspath(__file__), self.target, self.content,
                "--", *argv]

    __call__ = command


@contextlib.contextmanager
def private_resolv_conf(nameserver: str,
                        options: Sequence[str] = ()) -> Iterator[PrivateResolvConf]:
    """Yield a :class:`PrivateResolvConf` whose commands see ``nameserver <nameserver>``.

    Each command runs in a new mount namespace (propagation private, so nothing leaks back)
    where a temporary file holding ``nameserver <address>`` (and ``options ...`` lines) is
    bind-mounted over ``/etc/resolv.conf``; the file is unlinked before the command starts,
    so only the mount keeps it, and it goes with the namespace. The root namespace's
    ``/etc/resolv.conf`` never changes; leaving the context checks that it did not.
    Needs root (CAP_SYS_ADMIN) at command time.
    """
    address = str(ipaddress.ip_address(nameserver))
    lines = [f"nameserver {address}", *(f"options {option}" for option in options)]
    before = _resolv_conf_state()
    yield PrivateResolvConf(nameserver=address, content="\n".join(lines) + "\n",
                            target=_mount_target())
    after = _resolv_conf_state()
    if after != before:
        raise AssertionError(f"{RESOLV_CONF} of the root mount namespace changed:"
                             f" {before!r} -> {after!r}")


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _launch(target: str, content: str, argv: list[str]) -> NoReturn:
    """Unshare the mount namespace, cover ``target`` with ``content``, exec ``argv``."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.unshare.argtypes = [ctypes.c_int]
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                           ctypes.c_ulong, ctypes.c_void_p]
    fd, path = tempfile.mkstemp(prefix="oitest-resolv-", suffix=".conf")
    try:
        os.write(fd, content.encode())
        os.fchmod(fd, 0o644)
        os.close(fd)
        _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
        _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None),
               "mount --make-rprivate /")
        _check(libc.mount(path.encode(), target.encode(), None, MS_BIND, None),
               f"mount --bind {path} {target}")
    finally:
        os.unlink(path)  # the bind mount keeps the inode for as long as the namespace lives
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        print(f"emulation launcher: {argv[0]}: {exc}", file=sys.stderr)
        os._exit(127)


# --------------------------------------------------------------------------------------------
# nftables firewalls with a drop policy (pyroute2's nftables API; there is no `nft` command)
# --------------------------------------------------------------------------------------------

NFPROTO_IPV4 = 2
NFT_TABLE_F_OWNER = 0x2
NF_DROP, NF_ACCEPT = 0, 1
NFT_META_IIFNAME = 6
NFT_META_SKUID, NFT_META_SKGID, NFT_META_L4PROTO = 10, 11, 16
NFT_PAYLOAD_NETWORK_HEADER, NFT_PAYLOAD_TRANSPORT_HEADER = 1, 2
IPPROTO_TCP = 6
NFT_CT_STATE = 0
CT_ESTABLISHED_OR_RELATED = 0x2 | 0x4
IFNAMSIZ = 16
CMP_EQ, CMP_NEQ = 0, 1

Expr = list[dict[str, Any]]


def _data(value: bytes) -> dict[str, Any]:
    return {"attrs": [("NFTA_DATA_VALUE", value)]}


def _iifname(name: str) -> Expr:
    from pyroute2.nftables.expressions import genex

    load = OrderedDict(dreg=1, key=NFT_META_IIFNAME)
    cmp = OrderedDict(sreg=1, op=CMP_EQ, data=_data(name.encode().ljust(IFNAMSIZ, b"\0")))
    return [genex("meta", load), genex("cmp", cmp)]


def _established() -> Expr:
    from pyroute2.nftables.expressions import genex

    load = OrderedDict(dreg=1, key=NFT_CT_STATE)
    mask = OrderedDict(
        sreg=1, dreg=1, len=4,
        mask=_data(struct.pack("I", CT_ESTABLISHED_OR_RELATED)),  # host order, as ct keeps it
        xor=_data(b"\0" * 4),
    )
    cmp = OrderedDict(sreg=1, op=CMP_NEQ, data=_data(b"\0" * 4))
    return [genex("ct", load), genex("bitwise", mask), genex("cmp", cmp)]


def _daddr(address: str) -> Expr:
    from pyroute2.nftables.expressions import genex

    load = OrderedDict(dreg=1, base=NFT_PAYLOAD_NETWORK_HEADER, offset=16, len=4)
    cmp = OrderedDict(sreg=1, op=CMP_EQ, data=_data(ipaddress.IPv4Address(address).packed))
    return [genex("payload", load), genex("cmp", cmp)]


def _tcp_dport(port: int) -> Expr:
    from pyroute2.nftables.expressions import genex

    proto = OrderedDict(dreg=1, key=NFT_META_L4PROTO)
    is_tcp = OrderedDict(sreg=1, op=CMP_EQ, data=_data(bytes([IPPROTO_TCP])))
    load = OrderedDict(dreg=1, base=NFT_PAYLOAD_TRANSPORT_HEADER, offset=2, len=2)
    cmp = OrderedDict(sreg=1, op=CMP_EQ, data=_data(struct.pack("!H", port)))
    return [genex("meta", proto), genex("cmp", is_tcp), genex("payload", load),
            genex("cmp", cmp)]


def _not_owned_by(uid: int) -> Expr:
    from pyroute2.nftables.expressions import genex

    load = OrderedDict(dreg=1, key=NFT_META_SKUID)
    cmp = OrderedDict(sreg=1, op=CMP_NEQ, data=_data(struct.pack("I", uid)))  # host order
    return [genex("meta", load), genex("cmp", cmp)]


def _owned_by_group(gid: int) -> Expr:
    from pyroute2.nftables.expressions import genex

    load = OrderedDict(dreg=1, key=NFT_META_SKGID)
    cmp = OrderedDict(sreg=1, op=CMP_EQ, data=_data(struct.pack("I", gid)))  # host order
    return [genex("meta", load), genex("cmp", cmp)]


@dataclass(frozen=True)
class DropFirewall:
    """One emulated firewall: an ``ip`` table holding one base chain with policy drop."""

    table: str
    chain: str
    hook: str
    owned: bool  # the kernel's owner flag: the table dies with the socket that made it
    family: str = "ip"


@contextlib.contextmanager
def _drop_table(prefix: str, hook: str,
                accept: Sequence[Expr] = ()) -> Iterator[DropFirewall]:
    with _table(prefix, hook, NF_DROP, [(match, NF_ACCEPT) for match in accept]) as fw:
        yield fw


@contextlib.contextmanager
def _table(prefix: str, hook: str, policy: int,
           rules: Sequence[tuple[Expr, int]]) -> Iterator[DropFirewall]:
    """An ``ip`` table of the test's own, with one base chain on ``hook``: ``policy``, and
    ``rules`` as (match, verdict)."""
    from pyroute2.netlink.exceptions import NetlinkError
    from pyroute2.nftables.expressions import verdict
    from pyroute2.nftables.main import NFTables

    from .machine import SUITE_TABLES

    name = f"{SUITE_TABLES}{prefix}{secrets.token_hex(4)}"
    nft: NFTables = NFTables(nfgen_family=NFPROTO_IPV4)
    try:
        try:
            # flags must go inside kwarg=: a plain flags= keyword is the netlink header's.
            nft.table("add", kwarg=OrderedDict(name=name, flags=NFT_TABLE_F_OWNER))
            owned = True
        except NetlinkError as exc:  # kernels before 5.12 know no owner flag
            if exc.code not in (errno.EOPNOTSUPP, errno.EINVAL):
                raise
            nft.table("add", name=name)
            owned = False
        try:
            nft.chain("add", table=name, name=hook, hook=hook, type="filter", priority=0,
                      policy=policy)
            for match, decision in rules:
                nft.rule("add", table=name, chain=hook,
                         expressions=(match, verdict(decision)))
            yield DropFirewall(table=name, chain=hook, hook=hook, owned=owned)
        finally:
            with contextlib.suppress(NetlinkError):
                nft.table("del", name=name)
    finally:
        nft.close()  # with the owner flag, this alone removes the table


@contextlib.contextmanager
def _ip_forward_on() -> Iterator[None]:
    """Set ``ip_forward`` to 1; put back the exact original value, even if we are killed."""
    from .machine import IP_FORWARD, ip_forward_held

    with ip_forward_held() as lock:
        original = Path(IP_FORWARD).read_text().strip()
        if original == "1":
            yield
            return
        # A watchdog in its own session waits on a pipe only we hold: end of file with no
        # word from us means we died, and it restores the value. It shares our lock of the
        # value (the same open file): another run waits until it has put it back, too.
        watchdog = subprocess.Popen(
            [sys.executable, "-I", "-c",
             "import sys\n"
             "if not sys.stdin.buffer.read():\n"
             "    open(sys.argv[1], 'w').write(sys.argv[2])\n",
             IP_FORWARD, original],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, pass_fds=() if lock is None else (lock,))
        try:
            Path(IP_FORWARD).write_text("1")
            yield
        finally:
            try:
                Path(IP_FORWARD).write_text(original)
            finally:
                assert watchdog.stdin is not None
                with contextlib.suppress(OSError):
                    watchdog.stdin.write(b"done")
                with contextlib.suppress(OSError):
                    watchdog.stdin.close()
                watchdog.wait(timeout=30)


@contextlib.contextmanager
def forward_drop() -> Iterator[DropFirewall]:
    """What Docker does to a host: a forward hook dropping by default, and ``ip_forward=1``.

    Table ``oitest_<run>_fwd_<hex>`` (family ip), base chain ``forward`` (filter, hook forward,
    priority 0, policy drop) with no rules.
    """
    # The drop chain is in place before forwarding goes on, and stays until it is off.
    with _drop_table("fwd_", "forward") as firewall, _ip_forward_on():
        yield firewall


@contextlib.contextmanager
def input_drop() -> Iterator[DropFirewall]:
    """A host firewall: the input hook drops all but ``lo`` and established/related traffic.

    Table ``oitest_<run>_in_<hex>`` (family ip, so IPv4 only), base chain ``input`` (filter, hook
    input, priority 0, policy drop) with two rules: accept ``iifname "lo"``, accept
    ``ct state established,related``.
    """
    with _drop_table("in_", "input", accept=(_iifname("lo"), _established())) as fw:
        yield fw


@contextlib.contextmanager
def only_through(uid: int, destinations: Sequence[tuple[str, int]],
                 group: int | None = None) -> Iterator[DropFirewall]:
    """A host whose only way out is its proxy, running as ``uid``: the output hook drops TCP
    to each ``(IPv4 address, port)`` from every socket another user owns — or, with
    ``group``, only from the sockets of processes running with that group (the emulated
    host's, which the test starts so): the machine's other work, reaching the same public
    addresses meanwhile, is not touched.

    Table ``oitest_<run>_out_<hex>`` (family ip), base chain ``output`` (filter, hook output,
    priority 0, policy accept) with one drop rule per destination.
    """
    mine = _owned_by_group(group) if group is not None else []
    rules = [([*_daddr(address), *_tcp_dport(port), *_not_owned_by(uid), *mine], NF_DROP)
             for address, port in destinations]
    with _table("out_", "output", NF_ACCEPT, rules) as firewall:
        yield firewall


if __name__ == "__main__":
    # The launcher: emulation.py TARGET CONTENT -- ARGV...
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit("usage: emulation.py TARGET CONTENT -- COMMAND [ARG...]")
    _launch(sys.argv[1], sys.argv[2], sys.argv[4:])
