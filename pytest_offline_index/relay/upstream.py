"""The relay's way to an upstream host: a TCP connection made and resolved here, in the
host's namespace, or a ``CONNECT`` tunnel through the host's own proxy. Each failure is
handed to ``fail``, which names it (and records it) for the warm's one line."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from .host_proxy import UpstreamProxy
from .records import ConnectFailed

HEADER_LIMIT = 64 * 1024
Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]
# fail(kind, host, port, detail, record=True): the failure to raise (record: it is final)
Fail = Callable[..., ConnectFailed]


async def tunnel(proxy: UpstreamProxy, host: str, port: int, timeout: float, fail: Fail,
                 ) -> Stream:
    """``CONNECT host:port`` through ``proxy``; its refusal is named, its credentials
    are not."""
    reader, writer = await direct(proxy.host, proxy.port, timeout, fail, name=str(proxy))
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if proxy.authorization:
        lines.append(f"Proxy-Authorization: {proxy.authorization}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    try:
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            asyncio.TimeoutError):
        writer.close()
        raise fail("proxy", host, port, f"{proxy} gave no answer to CONNECT "
                                              f"{target}") from None
    status = head.split(b"\r\n", 1)[0].decode("latin-1", "replace").split(" ", 1)
    if len(status) < 2 or not status[1].startswith("2"):
        writer.close()
        answer = status[1].strip() if len(status) > 1 else repr(status[0])
        raise fail("proxy", host, port, f"{proxy} answered {answer} to CONNECT "
                                              f"{target}")
    return reader, writer

async def direct(host: str, port: int, timeout: float, fail: Fail, name: str | None = None,
                 ) -> Stream:
    """A TCP connection to ``host`` (``name`` in messages), resolved and made here."""
    name = name or host
    loop = asyncio.get_running_loop()
    try:  # resolved here, in the host's namespace, with the host's resolver
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise fail("dns", host, port,
                         f"the relay could not resolve {name} ({exc.strerror})") from None
    last: ConnectFailed | None = None
    for family, _, _, _, sockaddr in infos:
        where = f"[{sockaddr[0]}]:{port}" if family == socket.AF_INET6 else (
            f"{sockaddr[0]}:{port}")
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            last = fail("connect", host, port, f"{name} {where}: {exc.strerror}",
                              record=False)
            continue
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, sockaddr), timeout)
        except asyncio.TimeoutError:
            sock.close()
            last = fail("timeout", host, port,
                              f"connecting to {name} at {where} timed out after "
                              f"{timeout:.0f}s", record=False)
            continue
        except ConnectionRefusedError:
            sock.close()
            last = fail("refused", host, port,
                              f"{name} at {where} refused the connection", record=False)
            continue
        except OSError as exc:
            sock.close()
            last = fail("connect", host, port,
                              f"connecting to {name} at {where} failed: "
                              f"{exc.strerror or exc}", record=False)
            continue
        return await asyncio.open_connection(sock=sock, limit=HEADER_LIMIT)
    if last is None:
        raise fail("dns", host, port, f"the relay found no address for {name}")
    e = last.event
    raise fail(e.kind, e.host, e.port, e.detail)  # every address failed: record it
