"""The host's way out, for the relay's upstream connections: a forward proxy.

Where the harness's environment names one (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``,
lower-case too, with ``NO_PROXY``), the relay reaches the upstream through it, as the host's
own tools do; ``--offline-index-upstream-proxy`` names one explicitly, or ``none``. The relay
always asks the proxy for a tunnel (``CONNECT host:port``), so TLS stays end to end between
devpi and the upstream. Credentials in the proxy's URL become ``Proxy-Authorization`` and are
never shown: a proxy prints as ``proxy HOST:PORT``.
"""

from __future__ import annotations

import base64
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from ..errors import SettingsError
from ..util.redaction import redacted, unreadable_userinfo

OFF = "none"  # the option's value that turns the host's proxy off


class ProxyURLError(ValueError):
    """A proxy URL the relay cannot use; the message names it without its credentials."""


@dataclass(frozen=True)
class UpstreamProxy:
    host: str
    port: int
    authorization: str | None = field(default=None, repr=False)  # never shown

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"proxy {host}:{self.port}"

    @classmethod
    def from_url(cls, url: str) -> UpstreamProxy:
        """``http://[user:password@]host[:port]`` (a bare ``host:port`` means http)."""
        url = url if "://" in url else f"http://{url}"
        if why := unreadable_userinfo(url):
            raise ProxyURLError(f"proxy {redacted(url)}: {why}")
        parts = urlsplit(url)
        if parts.scheme != "http":
            raise ProxyURLError(f"proxy {parts.scheme}://{parts.hostname or ''}: only an "
                                f"http:// proxy can carry the relay's tunnels (TLS to the "
                                f"proxy itself is not supported)")
        if not parts.hostname:
            raise ProxyURLError("a proxy URL names no host")
        try:
            port = parts.port or 80
        except ValueError:
            raise ProxyURLError(f"proxy {parts.hostname}: its port is not a number") from None
        authorization = None
        if parts.username is not None:
            secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            authorization = "Basic " + base64.b64encode(secret.encode()).decode()
        return cls(parts.hostname, port, authorization)


@dataclass(frozen=True)
class Proxies:
    """Which proxy, if any, the relay uses for an upstream host of each scheme."""

    by_scheme: Mapping[str, UpstreamProxy] = field(default_factory=dict)
    no_proxy: tuple[str, ...] = ()

    def for_host(self, scheme: str, host: str) -> UpstreamProxy | None:
        proxy = self.by_scheme.get(scheme)
        if proxy is None or bypassed(host, self.no_proxy):
            return None
        return proxy

    def __str__(self) -> str:
        return ", ".join(f"{scheme} through {proxy}"
                         for scheme, proxy in sorted(self.by_scheme.items()))


def bypassed(host: str, no_proxy: tuple[str, ...]) -> bool:
    """Whether ``NO_PROXY`` exempts ``host``: ``*``, the host itself, a domain it is in
    (``example.com`` or ``.example.com``), or a network an address host lies in."""
    host = host.lower().strip("[]").rstrip(".")
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = (
            ipaddress.ip_address(host))
    except ValueError:
        address = None
    for entry in no_proxy:
        if entry == "*":
            return True
        name = entry.lstrip(".").strip("[]")
        if address is not None:
            try:
                if address in ipaddress.ip_network(name, strict=False):
                    return True
            except ValueError:
                pass
        elif host == name or host.endswith(f".{name}"):
            return True
    return False


def proxies_for(option: str | None, env: Mapping[str, str] | None = None) -> Proxies:
    """The relay's proxies: the option's (``none``: no proxy), else the environment's."""
    if option == OFF:
        return Proxies()
    if option:
        proxy = UpstreamProxy.from_url(option)
        return Proxies({"https": proxy, "http": proxy})
    env = os.environ if env is None else env

    def variable(name: str) -> str:
        return env.get(name.lower()) or env.get(name.upper()) or ""

    fallback = variable("all_proxy")
    by_scheme = {scheme: UpstreamProxy.from_url(url)
                 for scheme in ("https", "http")
                 if (url := variable(f"{scheme}_proxy") or fallback)}
    no_proxy = tuple(e.strip().lower().rpartition(":")[0] if _has_port(e.strip()) else
                     e.strip().lower() for e in variable("no_proxy").split(",") if e.strip())
    return Proxies(by_scheme, no_proxy)


def relay_proxies(option: str | None) -> Proxies:
    """:func:`proxies_for` the harness's own environment; a variable it cannot use is a
    setting of the user's, refused in one line (the option was checked already)."""
    try:
        return proxies_for(option)
    except ProxyURLError as exc:
        raise SettingsError(f"the host's proxy variable: {exc}; fix it, or choose one with "
                            f"--offline-index-upstream-proxy (or 'none')") from None


def _has_port(entry: str) -> bool:
    """``host:port`` in NO_PROXY (the port is not a way to tell hosts apart here)."""
    head, _, tail = entry.rpartition(":")
    return bool(head) and tail.isdigit() and "]" not in tail and head.count(":") == 0
