"""Validated settings for one offline-index run, resolved from CLI, ini and defaults.

Precedence is the usual one: a value given on the command line wins over the ini file, which
wins over the default. Every bad value raises :class:`SettingsError` with a one-line message.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from packaging.requirements import Requirement

from ..errors import SettingsError
from ..relay.records import origin_name
from ..util.redaction import redacted as redacted  # re-exported: the one redaction, for all
from .parsing import (
    DEFAULT_GATEWAY as DEFAULT_GATEWAY,
)
from .parsing import (  # re-exported: the defaults, and each value's parser
    DEFAULT_PACKAGES as DEFAULT_PACKAGES,
)
from .parsing import (
    DEFAULT_PORT as DEFAULT_PORT,
)
from .parsing import (
    DEFAULT_STEP_TIMEOUT as DEFAULT_STEP_TIMEOUT,
)
from .parsing import (
    DEFAULT_SUBNET as DEFAULT_SUBNET,
)
from .parsing import (
    DEFAULT_UPSTREAM as DEFAULT_UPSTREAM,
)
from .parsing import (
    PYPI_FILES_HOST as PYPI_FILES_HOST,
)
from .parsing import (
    _export_dir,
    as_list,
    parse_allow_hosts,
    parse_cert,
    parse_gateway,
    parse_imports,
    parse_index_url,
    parse_installer,
    parse_netrc,
    parse_packages,
    parse_platforms,
    parse_port,
    parse_proxy,
    parse_requirements_file,
    parse_subnet,
    parse_timeout,
    parse_upstream,
    parse_workdir,
)


@dataclass(frozen=True)
class Settings:
    """What one run checks and how: one field per option.

    Each field is the ini key ``offline_index_<field>`` and one ``--offline-index-*`` option
    (docs/reference.md lists them with their defaults). :meth:`resolve` builds settings
    from those values, checking each (a :class:`SettingsError` of one line per mistake);
    ``Settings()`` is the defaults, ``dataclasses.replace`` varies one field.
    """

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
    export: Path | None = None  # where a passed check writes its bundle (bundle/)

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
                ini: Mapping[str, object] | None = None, ini_file: str = "the ini file",
                ) -> Settings:
        """Build settings from CLI values (None = not given) over ini values over defaults.
        A bad ini value is refused naming its key and ``ini_file``."""
        cli = cli or {}
        ini = ini or {}

        def given(source: Mapping[str, object], key: str) -> bool:
            return source.get(key) not in (None, "", [], ())

        def pick(key: str) -> object:
            for source in (cli, ini):
                if given(source, key):
                    return source[key]
            return None

        values: dict[str, object] = {}
        for option in OPTIONS:
            if option.parse is not None and (value := pick(option.field)) is not None:
                try:
                    values[option.field] = option.parse(value)
                except SettingsError as exc:
                    if given(cli, option.field) or option.ini in str(exc):
                        raise
                    raise SettingsError(f"{option.ini} in {ini_file}: {exc}") from None
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
    flag_only: bool = False  # given or not, no value (an ini key: true or false)
    metavar: str = "VALUE"  # what --help shows for the value


def _text(parse: Callable[..., object], *args: object) -> Callable[[object], object]:
    """The parser of an option given as text (a flag's or an ini key's value)."""
    return lambda value: parse(str(value), *args)


def _listed(parse: Callable[..., object], *args: object) -> Callable[[object], object]:
    """The parser of a repeatable option (a flag given again, an ini key's lines)."""
    return lambda value: parse(as_list(value), *args)


OPTIONS: tuple[Option, ...] = (
    Option("packages", "--offline-index-package", "offline_index_packages",
           _listed(parse_packages, "packages"), repeatable=True, metavar="SPEC",
           help="requirement spec to warm, install and import (repeatable; default: pandas)"),
    Option("imports", "--offline-index-import", "offline_index_imports",
           _listed(parse_imports), repeatable=True, metavar="NAME",
           help="module that must import (repeatable; default: the top-level modules of the "
                "requested distributions)"),
    Option("upstream", "--offline-index-upstream", "offline_index_upstream",
           _text(parse_upstream), metavar="URL",
           help="simple index that devpi mirrors (default: https://pypi.org/simple/)"),
    Option("allow_hosts", "--offline-index-allow-host", "offline_index_allow_hosts",
           _listed(parse_allow_hosts), repeatable=True, metavar="HOST[:PORT]",
           help="another host the relay lets through, e.g. where the index's pages send "
                "files: HOST (ports 443 and 80) or HOST:PORT (that port alone) (repeatable; "
                "the upstream's or index's own host:port, and for PyPI "
                "files.pythonhosted.org, are always allowed)"),
    Option("subnet", "--offline-index-subnet", "offline_index_subnet",
           _text(parse_subnet), metavar="CIDR",
           help="private IPv4 network, /29 or larger, for the links inside the run's own "
                "namespaces (default: 10.213.0.0/29); change it only if the upstream's "
                "address falls inside it"),
    Option("gateway", "--offline-index-gateway", "offline_index_gateway",
           _text(parse_gateway), metavar="ADDR",
           help="the relay's address in the gateway namespace, outside the subnet "
                "(default: 10.213.0.9)"),
    Option("port", "--offline-index-port", "offline_index_port",
           parse_port, metavar="PORT",
           help="devpi-server port inside the server namespace (default: 3141)"),
    Option("requirements", "--offline-index-requirements", "offline_index_requirements",
           _text(parse_requirements_file), metavar="FILE",
           help="requirements file warmed and installed with pip -r (hashes, -c "
                "constraints, markers and extras as pip reads them), or a lock: "
                "pylock.toml (pylock.*.toml) or uv.lock, installed exactly as locked, "
                "hashes required, through the index"),
    Option("pythons", "--offline-index-python", "offline_index_pythons",
           _listed(tuple), repeatable=True, metavar="SPEC",
           help="target Python: a version found on PATH or in pyenv ('3.12') or an "
                "interpreter path (repeatable; default: the running interpreter)"),
    Option("platforms", "--offline-index-platform", "offline_index_platforms",
           _listed(parse_platforms), repeatable=True, metavar="TAG:VERSION",
           help="foreign target TAG:VERSION, e.g. manylinux2014_aarch64:3.12: resolved by "
                "uv for that platform's markers, its wheels warmed and bundled, reported as "
                "warmed, never install-checked (needs the uv extra; repeatable)"),
    Option("workdir", "--offline-index-workdir", "offline_index_workdir",
           _text(parse_workdir), metavar="DIR",
           help="directory under which each run's work dir (server data, downloads, venvs) "
                "is made (default: the system temp dir)"),
    Option("cache_dir", "--offline-index-cache-dir", "offline_index_cache_dir",
           _text(parse_workdir, "cache dir"), metavar="DIR",
           help="keep devpi's server dir here between runs: a second run with the same "
                "packages fetches nothing from the upstream (one run at a time; default: "
                "a fresh server dir per run)"),
    Option("upstream_cert", "--offline-index-upstream-cert", "offline_index_upstream_cert",
           _text(parse_cert), metavar="PATH",
           help="CA bundle (PEM) devpi-server verifies the upstream with, e.g. a "
                "TLS-inspecting proxy's (default: what the host trusts: REQUESTS_CA_BUNDLE, "
                "else SSL_CERT_FILE, else OpenSSL's default bundle)"),
    Option("upstream_proxy", "--offline-index-upstream-proxy", "offline_index_upstream_proxy",
           _text(parse_proxy), metavar="URL",
           help="http:// proxy (credentials in the URL are used, never shown) the relay "
                "reaches the upstream through, or 'none' (default: the host's HTTPS_PROXY, "
                "HTTP_PROXY or ALL_PROXY, with NO_PROXY)"),
    Option("index_url", "--offline-index-url", "offline_index_url",
           _text(parse_index_url), metavar="URL",
           help="check this existing index (its simple URL; credentials in it are used, "
                "never shown) instead of a devpi of the run's own: no warm, no cut; the "
                "client reaches that index alone, through the relay"),
    Option("index_cert", "--offline-index-cert", "offline_index_cert",
           _text(parse_cert, "index cert"), metavar="PATH",
           help="CA bundle (PEM) the installers verify the existing index with (pip --cert, "
                "uv's SSL_CERT_FILE, devpi-client's REQUESTS_CA_BUNDLE); default: what the host "
                "trusts (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE, else OpenSSL's)"),
    Option("index_netrc", "--offline-index-netrc", "offline_index_netrc",
           _text(parse_netrc), metavar="PATH",
           help="a netrc file with the existing index's credentials, for every installer "
                "(never shown; default: none, not even ~/.netrc)"),
    Option("installer", "--offline-index-installer", "offline_index_installer",
           _text(parse_installer), metavar="NAME",
           help="what makes the install check's fresh venv and installs into it: pip "
                "(python -m venv + its own pip install), uv (uv venv + uv pip install) or "
                "devpi (python -m venv + devpi use + devpi install); uv and devpi come with "
                "the extras of the same names (default: pip)"),
    Option("export", "--offline-index-export", "offline_index_export",
           _text(_export_dir), metavar="DIR",
           help="after a passed check, write what an air-gapped machine needs to DIR "
                "(wheelhouse/, requirements-<target>.txt, devpi/ from devpi-export, "
                "manifest.json) and prove it: a bundle item per target installs it with pip "
                "--no-index, and from a devpi-server imported from devpi/, with no network "
                "at all; DIR must be new, empty or an earlier export"),
    Option("report", "--offline-index-report", "offline_index_report",
           None, metavar="PATH",
           help="write the check's results as JSON to this path (schema: "
                "pytest-offline-index/report/2)"),
    Option("bundle", "--offline-index-bundle", "offline_index_bundle",
           None, metavar="DIR",
           help="check the bundle in DIR (made elsewhere with --offline-index-export) where "
                "it lands: its files against its manifest, then, for each Python asked for "
                "(default: the running one), its pins installed with pip --no-index into "
                "the Python's own venv, and from a devpi-server imported from DIR/devpi, "
                "with no network, and imported; needs no upstream"),
    Option("no_sandbox", "--offline-index-no-sandbox", "offline_index_no_sandbox",
           None, flag_only=True,
           help="with --offline-index-bundle on a machine that cannot make a network "
                "namespace: check without one (the network is not cut; reported as such)"),
    Option("step_timeout", "--offline-index-step-timeout", "offline_index_step_timeout",
           parse_timeout, metavar="SECONDS",
           help="seconds any one pip step may take (default: 900)"),
)
