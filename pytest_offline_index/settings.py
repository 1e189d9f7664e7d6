"""Validated settings for one offline-index run, resolved from CLI, ini and defaults.

Precedence is the usual one: a value given on the command line wins over the ini file, which
wins over the default. Every bad value raises :class:`SettingsError` with a one-line message.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import InvalidRequirement, Requirement

from .errors import SettingsError
from .redaction import redacted as redacted  # re-exported: the one redaction, for all
from .redaction import unreadable_userinfo
from .relay import origin_name, split_origin

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


@dataclass(frozen=True)
class Settings:
    packages: tuple[str, ...] = DEFAULT_PACKAGES
    imports: tuple[str, ...] = ()  # empty: the requested distributions' top-level names
    upstream: str = field(default=DEFAULT_UPSTREAM, repr=False)  # may hold credentials
    subnet: ipaddress.IPv4Network = field(
        default_factory=lambda: ipaddress.IPv4Network(DEFAULT_SUBNET))
    gateway: ipaddress.IPv4Address = field(
        default_factory=lambda: ipaddress.IPv4Address(DEFAULT_GATEWAY))
    # what the relay lets through besides the upstream's origin: "host" (its ports 443 and
    # 80) or "host:port" (that port alone); IPv6 in brackets
    allow_hosts: tuple[str, ...] = ()
    port: int = DEFAULT_PORT
    step_timeout: float = DEFAULT_STEP_TIMEOUT
    workdir: Path | None = None  # parent of each run's work dir; None: the system temp dir
    cache_dir: Path | None = None  # devpi's server dir, kept between runs; None: per run
    # the CA bundle devpi verifies the upstream with; None: the host's (trust.host_ca_bundle)
    upstream_cert: Path | None = None
    # the proxy the relay reaches the upstream through: a URL, "none", or None: the host's
    # (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY), read when the run starts
    upstream_proxy: str | None = field(default=None, repr=False)  # may hold credentials
    # an existing index to check instead of a devpi of the run's own (credentials allowed,
    # never shown: see redacted), and the CA bundle its installers verify it with
    index_url: str | None = field(default=None, repr=False)  # may hold credentials
    index_cert: Path | None = None
    index_netrc: Path | None = None  # a netrc file with the existing index's credentials
    # a requirements file, read by pip itself (-r), or a lock (lockfile.py)
    requirements: Path | None = None
    pythons: tuple[str, ...] = ()  # versions or paths; empty: the running interpreter
    platforms: tuple[str, ...] = ()  # foreign targets, TAG:VERSION, warmed only
    installer: str = "pip"  # what makes and fills the install check's venv: pip, uv, devpi
    export: Path | None = None  # where a passed check writes its bundle (bundle.py)

    @property
    def distribution_names(self) -> tuple[str, ...]:
        """Names of every requested distribution: packages, then the requirements file's
        (a lock's: all its entries; a check takes, per target, those that apply to it)."""
        names = [Requirement(spec).name for spec in self.packages]
        if self.requirements is not None:
            from .lockfile import is_lock, load_lock
            from .requirements import requirements_in

            names += ([entry.name for entry in load_lock(self.requirements).entries]
                      if is_lock(self.requirements)
                      else [req.name for req in requirements_in(self.requirements)])
        return tuple(dict.fromkeys(names))

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """What the relay lets through: the upstream's origin — or the existing index's —
        as ``host:port`` (that port alone: another port of its host is another server), for
        PyPI its file host, then every ``allow_hosts`` entry."""
        parts = urlsplit(self.index_url or self.upstream)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        hosts = [origin_name(host, port), *([PYPI_FILES_HOST] if host == "pypi.org" else []),
                 *self.allow_hosts]
        return tuple(dict.fromkeys(hosts))

    def describe(self) -> str:
        """What is requested, as a user would type it."""
        parts = list(self.packages)
        if self.requirements is not None:
            from .lockfile import is_lock

            parts.append(self.requirements.name if is_lock(self.requirements)
                         else f"-r {self.requirements.name}")
        return " ".join(parts)

    @classmethod
    def resolve(cls, cli: Mapping[str, object] | None = None,
                ini: Mapping[str, object] | None = None) -> Settings:
        """Build settings from CLI values (None = not given) over ini values over defaults."""
        cli = cli or {}
        ini = ini or {}

        def pick(key: str) -> object:
            for source in (cli, ini):
                value = source.get(key)
                if value not in (None, "", [], ()):
                    return value
            return None

        values: dict[str, object] = {}
        for option in OPTIONS:
            if option.parse is not None and (value := pick(option.field)) is not None:
                values[option.field] = option.parse(value)
        if "requirements" in values and pick("packages") is None:
            values["packages"] = ()  # a requirements file replaces the default package
        settings = cls(**values)  # type: ignore[arg-type]
        if (settings.index_url is not None and settings.installer == "devpi"
                and "/+simple" not in urlsplit(settings.index_url).path):
            raise SettingsError(
                f"installer: devpi-client installs only from a devpi index (its URL ends in "
                f"/+simple/), not {redacted(settings.index_url)}; check it with pip or uv")
        if settings.index_url is not None and settings.export is not None:
            raise SettingsError(
                "export: an existing index's check fetches nothing to carry; export a bundle "
                "from a check with a devpi of the run's own (drop --offline-index-url)")
        if settings.gateway in settings.subnet:
            raise SettingsError(
                f"gateway: {settings.gateway} lies inside the server's links "
                f"{settings.subnet}; the server must reach it only through its default "
                f"route: choose an address outside --offline-index-subnet")
        return settings


def _as_list(value: object) -> list[str]:
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


def parse_imports(names: Iterable[str]) -> tuple[str, ...]:
    out = []
    for name in names:
        if not MODULE_NAME.match(name):
            raise SettingsError(
                f"imports: {name!r} is not a module name; use a dotted name like 'pandas'")
        out.append(name)
    return tuple(out)


def parse_upstream(url: str) -> str:
    if why := unreadable_userinfo(url):
        raise SettingsError(f"upstream: {redacted(url)!r}: {why}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"upstream: {redacted(url)!r} is not an http(s) URL of a simple index, "
            f"e.g. '{DEFAULT_UPSTREAM}'")
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
        raise SettingsError(f"step timeout: {value!r} is not a positive number of seconds")
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
    from .targets import foreign_target  # validates TAG:VERSION

    return tuple(f"{t.platform}:{t.version}" for t in map(foreign_target, specs))


def parse_installer(text: str) -> str:
    """pip, uv or devpi; uv and devpi must be installed (their extras)."""
    from .installers import INSTALLERS, not_installed

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
    from .proxy import OFF, ProxyURLError, UpstreamProxy

    if text.strip().lower() == OFF:
        return OFF
    try:
        UpstreamProxy.from_url(text.strip())
    except ProxyURLError as exc:
        raise SettingsError(f"upstream proxy: {exc}") from None
    return text.strip()


def _export_dir(text: str) -> Path:
    from .bundle import parse_export_dir

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


@dataclass(frozen=True)
class Option:
    """One setting as a user gives it: its flag, ini key, help, and the parser that validates
    it into the ``Settings`` field of the same name (None: the plugin's own, the report).
    ``pytest_addoption``, :meth:`Settings.resolve` and the option table of
    docs/reference.md (a test compares it) all come from :data:`OPTIONS`."""

    field: str
    flag: str
    ini: str
    parse: Callable[[object], object] | None
    repeatable: bool = False
    help: str = ""


OPTIONS: tuple[Option, ...] = (
    Option("packages", "--offline-index-package", "offline_index_packages",
           lambda v: parse_packages(_as_list(v), "packages"), repeatable=True,
           help="requirement spec to warm, install and import (repeatable; default: pandas)"),
    Option("imports", "--offline-index-import", "offline_index_imports",
           lambda v: parse_imports(_as_list(v)), repeatable=True,
           help="module that must import (repeatable; default: the top-level modules of the "
                "requested distributions)"),
    Option("upstream", "--offline-index-upstream", "offline_index_upstream",
           lambda v: parse_upstream(str(v)),
           help="simple index that devpi mirrors (default: https://pypi.org/simple/)"),
    Option("allow_hosts", "--offline-index-allow-host", "offline_index_allow_hosts",
           lambda v: parse_allow_hosts(_as_list(v)), repeatable=True,
           help="another host the relay lets through, e.g. where the index's pages send "
                "files: HOST (ports 443 and 80) or HOST:PORT (that port alone) (repeatable; "
                "the upstream's or index's own host:port, and for PyPI "
                "files.pythonhosted.org, are always allowed)"),
    Option("subnet", "--offline-index-subnet", "offline_index_subnet",
           lambda v: parse_subnet(str(v)),
           help="private IPv4 network, /29 or larger, for the links inside the run's own "
                "namespaces (default: 10.213.0.0/29); change it only if the upstream's "
                "address falls inside it"),
    Option("gateway", "--offline-index-gateway", "offline_index_gateway",
           lambda v: parse_gateway(str(v)),
           help="the relay's address in the gateway namespace, outside the subnet "
                "(default: 10.213.0.9)"),
    Option("port", "--offline-index-port", "offline_index_port",
           parse_port,
           help="devpi-server port inside the server namespace (default: 3141)"),
    Option("requirements", "--offline-index-requirements", "offline_index_requirements",
           lambda v: parse_requirements_file(str(v)),
           help="requirements file warmed and installed with pip -r (hashes, -c "
                "constraints, markers and extras as pip reads them), or a lock: "
                "pylock.toml (pylock.*.toml) or uv.lock, installed exactly as locked, "
                "hashes required, through the index"),
    Option("pythons", "--offline-index-python", "offline_index_pythons",
           lambda v: tuple(_as_list(v)), repeatable=True,
           help="target Python: a version found on PATH or in pyenv ('3.12') or an "
                "interpreter path (repeatable; default: the running interpreter)"),
    Option("platforms", "--offline-index-platform", "offline_index_platforms",
           lambda v: parse_platforms(_as_list(v)), repeatable=True,
           help="foreign target TAG:VERSION, e.g. manylinux2014_aarch64:3.12: warmed with "
                "--platform/--only-binary and reported as warmed, never install-checked "
                "(repeatable)"),
    Option("workdir", "--offline-index-workdir", "offline_index_workdir",
           lambda v: parse_workdir(str(v)),
           help="directory under which each run's work dir (server data, downloads, venvs) "
                "is made (default: the system temp dir)"),
    Option("cache_dir", "--offline-index-cache-dir", "offline_index_cache_dir",
           lambda v: parse_workdir(str(v), "cache dir"),
           help="keep devpi's server dir here between runs: a second run with the same "
                "packages fetches nothing from the upstream (one run at a time; default: "
                "a fresh server dir per run)"),
    Option("upstream_cert", "--offline-index-upstream-cert", "offline_index_upstream_cert",
           lambda v: parse_cert(str(v)),
           help="CA bundle (PEM) devpi-server verifies the upstream with, e.g. a "
                "TLS-inspecting proxy's (default: what the host trusts: REQUESTS_CA_BUNDLE, "
                "else SSL_CERT_FILE, else OpenSSL's default bundle)"),
    Option("upstream_proxy", "--offline-index-upstream-proxy", "offline_index_upstream_proxy",
           lambda v: parse_proxy(str(v)),
           help="http:// proxy (credentials in the URL are used, never shown) the relay "
                "reaches the upstream through, or 'none' (default: the host's HTTPS_PROXY, "
                "HTTP_PROXY or ALL_PROXY, with NO_PROXY)"),
    Option("index_url", "--offline-index-url", "offline_index_url",
           lambda v: parse_index_url(str(v)),
           help="check this existing index (its simple URL; credentials in it are used, "
                "never shown) instead of a devpi of the run's own: no warm, no cut; the "
                "client reaches that index alone, through the relay"),
    Option("index_cert", "--offline-index-cert", "offline_index_cert",
           lambda v: parse_cert(str(v), "index cert"),
           help="CA bundle (PEM) the installers verify the existing index with (pip --cert, "
                "uv's SSL_CERT_FILE, devpi-client's REQUESTS_CA_BUNDLE); default: what the host "
                "trusts (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE, else OpenSSL's)"),
    Option("index_netrc", "--offline-index-netrc", "offline_index_netrc",
           lambda v: parse_netrc(str(v)),
           help="a netrc file with the existing index's credentials, for every installer "
                "(never shown; default: none, not even ~/.netrc)"),
    Option("installer", "--offline-index-installer", "offline_index_installer",
           lambda v: parse_installer(str(v)),
           help="what makes the install check's fresh venv and installs into it: pip "
                "(virtualenv + pip install), uv (uv venv + uv pip install) or devpi "
                "(devpi use + devpi install); uv and devpi come with the extras of the "
                "same names (default: pip)"),
    Option("export", "--offline-index-export", "offline_index_export",
           lambda v: _export_dir(str(v)),
           help="after a passed check, write what an air-gapped machine needs to DIR "
                "(wheelhouse/, requirements-<target>.txt, devpi/ from devpi-export, "
                "manifest.json) and prove it: a bundle item per target installs it with pip "
                "--no-index, and from a devpi-server imported from devpi/, with no network "
                "at all; DIR must be new, empty or an earlier export"),
    Option("report", "--offline-index-report", "offline_index_report",
           None,
           help="write the check's results as JSON to this path (schema: "
                "pytest-offline-index/report/2)"),
    Option("step_timeout", "--offline-index-step-timeout", "offline_index_step_timeout",
           parse_timeout,
           help="seconds any one pip step may take (default: 900)"),
)
