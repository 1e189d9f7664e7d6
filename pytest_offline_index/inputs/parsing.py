"""Each setting's parser: a value as a user gives it (a flag, an ini line, a marker argument)
into what the run uses, or one line (SettingsError) naming the value and the fix."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement

from ..errors import SettingsError
from ..relay.records import origin_name, split_origin
from ..util.redaction import redacted as redacted  # re-exported: the one redaction, for all
from ..util.redaction import unreadable_userinfo
from .export_dir import parse_export_dir
from .tools import INSTALLERS, not_installed

DEFAULT_PACKAGES = ("pandas",)
DEFAULT_UPSTREAM = "https://pypi.org/simple/"
PYPI_FILES_HOST = "files.pythonhosted.org"
# Inside the run's own namespaces only: they are private, so these never meet the host's.
DEFAULT_SUBNET = "10.213.0.0/29"  # two /30 links: gateway-server, server-client
DEFAULT_GATEWAY = "10.213.0.9"  # the relay's address: outside both links
DEFAULT_PORT = 3141
DEFAULT_STEP_TIMEOUT = 900.0
SUBNET_PREFIX = 29
MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
HOST_NAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
                       r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")



def as_list(value: object) -> list[str]:
    """One spec per list item (specs may hold commas); a plain string splits on whitespace."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, Iterable):
        return [str(item).strip() for item in value if str(item).strip()]
    raise SettingsError(f"expected a list of values, got {value!r}")


def parse_packages(specs: Iterable[str], what: str = "packages") -> tuple[str, ...]:
    """Validate requirement specs (PEP 508); a URL or local path is refused."""
    out: list[str] = []
    for spec in specs:
        spec = spec.strip()
        try:
            req = Requirement(spec)
        except InvalidRequirement as exc:
            if "," in spec and _each_a_requirement(spec.split(",")):
                raise SettingsError(
                    f"{what}: {spec!r} is {len(spec.split(','))} specs on one line; give one "
                    f"per line (ini: offline_index_{what} =, then each on its own indented "
                    f"line) or repeat --offline-index-package") from None
            first = str(exc).splitlines()[0]
            raise SettingsError(
                f"{what}: {spec!r} is not a valid requirement ({first}); "
                f"use a PEP 508 spec such as 'pandas>=2'") from None
        if req.url:
            raise SettingsError(
                f"{what}: {spec!r} names a URL; an offline index serves only index packages")
        out.append(str(req))
    if not out:
        raise SettingsError(f"{what}: no package given; name at least one, e.g. 'pandas'")
    return tuple(out)


def _each_a_requirement(parts: Iterable[str]) -> bool:
    try:
        return all(Requirement(part.strip()) for part in parts)
    except InvalidRequirement:
        return False


def parse_imports(names: Iterable[str]) -> tuple[str, ...]:
    out = []
    for name in names:
        if not MODULE_NAME.match(name):
            raise SettingsError(
                f"imports: {name!r} is not a module name; use a dotted name like 'pandas'")
        out.append(name)
    return tuple(out)


# PyPI's own hosts: a URL there outside /simple/ is a web page, never an index
PYPI_SITES = ("pypi.org", "test.pypi.org")


def parse_upstream(url: str) -> str:
    if why := unreadable_userinfo(url):
        raise SettingsError(f"upstream: {redacted(url)!r}: {why}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"upstream: {redacted(url)!r} is not an http(s) URL of a simple index, "
            f"e.g. '{DEFAULT_UPSTREAM}'")
    if parts.hostname in PYPI_SITES and not parts.path.startswith("/simple"):
        raise SettingsError(f"upstream: {redacted(url)!r} is PyPI's web site, not its simple "
                            f"index: give 'https://{parts.hostname}/simple/'")
    return url if url.endswith("/") else url + "/"


def parse_subnet(text: str) -> ipaddress.IPv4Network:
    try:
        subnet = ipaddress.IPv4Network(text, strict=True)
    except ValueError as exc:
        raise SettingsError(f"subnet: {text!r} is not an IPv4 network ({exc})") from None
    if subnet.prefixlen > SUBNET_PREFIX:
        raise SettingsError(
            f"subnet: {text!r} is smaller than a /{SUBNET_PREFIX} (two /30 links)")
    if not subnet.is_private:
        raise SettingsError(f"subnet: {text!r} is not a private range")
    return subnet


def parse_gateway(text: str) -> ipaddress.IPv4Address:
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        raise SettingsError(f"gateway: {text!r} is not an IPv4 address") from None
    if not address.is_private or address.is_loopback or address.is_link_local:
        raise SettingsError(
            f"gateway: {text!r} is not a private, non-loopback address, e.g. "
            f"'{DEFAULT_GATEWAY}'")
    return address


ALLOW_HOST_FIX = ("give the host (its ports 443 and 80) or host:port (that port alone), "
                  "e.g. 'files.example.org' or 'files.example.org:8443'")


def parse_allow_hosts(hosts: Iterable[str]) -> tuple[str, ...]:
    """Each entry as the relay reads it: ``host`` or ``host:port``, lower-case, IPv6 in
    brackets."""
    out = []
    for entry in hosts:
        if "/" in entry or "@" in entry:  # a URL, or credentials: neither is a host
            raise SettingsError(f"allow-host: {entry!r} is not a host name or an IP address; "
                                f"{ALLOW_HOST_FIX}")
        try:
            host, port = split_origin(entry)
        except ValueError as exc:
            raise SettingsError(f"allow-host: {entry!r}: {exc}; {ALLOW_HOST_FIX}") from None
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not HOST_NAME.match(host):
                raise SettingsError(f"allow-host: {entry!r} is not a host name or an IP "
                                    f"address; {ALLOW_HOST_FIX}") from None
        out.append(origin_name(host, port))
    return tuple(out)


def parse_port(value: object) -> int:
    try:
        port = int(str(value))
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise SettingsError(f"port: {value!r} is not a TCP port (1-65535)")
    return port


def parse_timeout(value: object) -> float:
    try:
        seconds = float(str(value))
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise SettingsError(f"step timeout: {value!r} is not a positive number of seconds "
                            f"(300 is five minutes)")
    return seconds


def parse_workdir(text: str, what: str = "workdir") -> Path:
    """A directory this process can write to: one that exists, or is made in one that does
    (a missing parent is refused, not made: the run would leave it behind)."""
    path = Path(text).expanduser()
    if not path.exists() and not path.parent.is_dir():
        raise SettingsError(
            f"{what}: {text!r} is not a writable directory (its parent {path.parent} does "
            f"not exist); create it first")
    try:
        path.mkdir(exist_ok=True)
        probe = path / f".offline-index-write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise SettingsError(
            f"{what}: {text!r} is not a writable directory ({exc.strerror or exc})") from None
    return path


def parse_platforms(specs: Iterable[str]) -> tuple[str, ...]:
    """Foreign targets, TAG:VERSION: each a tag uv can resolve for, and uv installed."""
    from .platforms import uv_missing, uv_platform
    from .targets import foreign_target  # validates TAG:VERSION

    targets = list(map(foreign_target, specs))
    for target in targets:
        uv_platform(target.platform or "")
        if why := uv_missing(f"{target.platform}:{target.version}"):
            raise SettingsError(why)
    return tuple(f"{t.platform}:{t.version}" for t in targets)


def parse_installer(text: str) -> str:
    """pip, uv or devpi; uv and devpi must be installed (their extras)."""
    name = text.strip().lower()
    if name not in INSTALLERS:
        raise SettingsError(
            f"installer: {text!r} is not an installer; choose one of {', '.join(INSTALLERS)}")
    if why := not_installed(name):
        raise SettingsError(why)
    return name


def parse_cert(text: str, what: str = "upstream cert") -> Path:
    """A CA bundle (PEM) that can be read: a file, refused in one line otherwise."""
    path = Path(text).expanduser().resolve()
    try:
        with path.open("rb") as bundle:
            head = bundle.read(4096)
    except OSError as exc:
        raise SettingsError(f"{what}: {text!r} cannot be read ({exc.strerror})") from None
    if b"-----BEGIN CERTIFICATE-----" not in head:
        raise SettingsError(f"{what}: {text!r} holds no PEM certificate")
    return path


def parse_index_url(text: str) -> str:
    """An existing index's simple URL: http(s), with a host; a trailing slash added."""
    url = text.strip()
    if why := unreadable_userinfo(url):
        raise SettingsError(f"index url: {redacted(url)!r}: {why}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"index url: {redacted(url)!r} is not an http(s) URL with a host")
    try:
        parts.port  # noqa: B018  (raises for a port that is not a number)
    except ValueError:
        raise SettingsError(f"index url: {redacted(url)!r} has a port that is not a number; "
                            f"give digits after the host (HOST:8443), and percent-encode an "
                            f"'@' in the password as %40") from None
    return url if url.endswith("/") else url + "/"


def parse_netrc(text: str) -> Path:
    """A netrc file the installers can read; its content is never shown."""
    import netrc

    path = Path(text).expanduser().resolve()
    try:
        netrc.netrc(str(path))
    except (OSError, netrc.NetrcParseError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else f"line {exc.lineno} is not netrc"
        raise SettingsError(f"netrc: {text!r} cannot be read ({why})") from None
    return path


def parse_proxy(text: str) -> str:
    """``none``, or an http:// proxy URL the relay can tunnel through."""
    from ..relay.host_proxy import OFF, ProxyURLError, UpstreamProxy

    if text.strip().lower() == OFF:
        return OFF
    try:
        UpstreamProxy.from_url(text.strip())
    except ProxyURLError as exc:
        raise SettingsError(f"upstream proxy: {exc}") from None
    return text.strip()


def _export_dir(text: str) -> Path:
    return parse_export_dir(text)


def parse_requirements_file(text: str) -> Path:
    """A requirements file, or a lock (``pylock.toml``, ``pylock.*.toml``, ``uv.lock``) by
    its name: read in full before the run, any problem one line naming the file."""
    path = Path(text).expanduser().resolve()
    if not path.is_file():
        raise SettingsError(f"requirements: {text!r} is not a file")
    from .lockfile import is_lock, load_lock
    from .requirements import check_sources

    if is_lock(path):
        load_lock(path)
    else:
        check_sources(path)  # every line must parse, and name no other source
    return path
