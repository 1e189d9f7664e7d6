"""Where each file came from: a pass means every file was the index's own.

The input check (:func:`..inputs.requirements.check_sources`) refuses the options it can see; this
module catches whatever it cannot — a config file the hermetic environment missed, a direct
reference, a bug. A warmed file must be one the index holds (by sha256); an installed
distribution must have been downloaded from the index's own address, as a file the index
holds. pip (and the pip devpi-client runs) names each download's URL and hash in its
``--report``; uv records neither, so its install is followed by its own resolution of the same
input through the index (``uv pip compile --format pylock.toml``), whose files must be the
index's and whose versions must be the installed ones.

An existing index is one origin (scheme, host, port), and a file is judged by the request
that delivered its bytes, not by the link an installer's report names: the relay records
each request's real target (:class:`~..relay.records.RelayRequest`), so a link followed by a 302 to
another origin is judged where the redirect ended. Over https the relay sees only the
tunnel's ``host:port``: there a file is judged by its link, and tunnels to allowed hosts no
link names are said as such.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name

from ..relay.records import USUAL_PORTS, RelayRequest, origin_name, split_origin
from ..util import toml
from ..util.words import count

Held = Mapping[str, str]  # sha256 -> file name, of every file the index under test holds
Refusals = Callable[[float], list[tuple[str, int]]]  # (host, port) the relay refused since
THE_INDEX = "the index"
DEFAULT_PORTS = {"https": 443, "http": 80}


@runtime_checkable
class Witness(Protocol):
    """The relay's view of an existing index's installs (``existing.RelayWitness``).

    Called, the hosts it refused since a time — what ``FreshVenv.refusals`` is, so it goes
    where that does; ``requests``, each request's real target since then; ``judged`` takes
    the origin check's word on where an install's files came from."""

    def __call__(self, since: float) -> list[tuple[str, int]]: ...

    def requests(self, since: float) -> list[RelayRequest]: ...

    def judged(self, said: str) -> None: ...


@dataclass(frozen=True)
class Source:
    """A file an installer took (or, in a resolution, may take) a distribution from."""

    url: str
    sha256: str | None = None

    @property
    def filename(self) -> str:
        return unquote(urlsplit(self.url).path.rsplit("/", 1)[-1])


@dataclass(frozen=True)
class Origin:
    """One installed distribution, and the file(s) it came from."""

    project: str  # normalised
    version: str
    sources: tuple[Source, ...]


def from_pip_report(path: Path) -> dict[str, Origin]:
    """What ``pip install --report`` says of each distribution it installed, by name."""
    data = json.loads(path.read_text())
    found: dict[str, Origin] = {}
    for item in data.get("install", []):
        info = item.get("download_info") or {}
        archive = info.get("archive_info") or {}
        hashes = dict(archive.get("hashes") or {})
        if "sha256" not in hashes and str(archive.get("hash", "")).startswith("sha256="):
            hashes["sha256"] = archive["hash"].split("=", 1)[1]
        metadata = item.get("metadata") or {}
        name = canonicalize_name(str(metadata.get("name", "")))
        source = Source(str(info.get("url", "")), hashes.get("sha256"))
        found[name] = Origin(name, str(metadata.get("version", "")), (source,))
    return found


def from_pylock(path: Path) -> dict[str, Origin]:
    """What a ``pylock.toml`` resolution names for each package: its files, by name."""
    data = toml.loads(path.read_text())
    found: dict[str, Origin] = {}
    for package in data.get("packages", []):
        files = [*package.get("wheels", []),
                 *(package[kind] for kind in ("sdist", "archive") if kind in package)]
        sources = []
        for entry in files:
            where = entry.get("url") or f"file://{entry.get('path', '')}"
            sources.append(Source(str(where), (entry.get("hashes") or {}).get("sha256")))
        for kind in ("vcs", "directory"):
            if kind in package:
                entry = package[kind]
                sources.append(Source(str(entry.get("url") or f"file://{entry.get('path')}")))
        name = canonicalize_name(str(package.get("name", "")))
        found[name] = Origin(name, str(package.get("version", "")), tuple(sources))
    return found


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, lower-case host and port (the scheme's default when none is named)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a port: no origin it could match
        port = -1
    return parts.scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(parts.scheme)


def same_origin(url: str, index_url: str) -> bool:
    """True if ``url`` is served by the scheme, host and port of ``index_url``."""
    return _origin(url) == _origin(index_url)


def normal(url: str) -> str:
    """``url`` as requests are compared: explicit port, unquoted path, no fragment."""
    scheme, host, port = _origin(url)
    parts = urlsplit(url)
    path = unquote(parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{scheme}://{origin_name(host, port) if host else ''}{path}"


def served_by(url: str, index_url: str, file_hosts: Sequence[str]) -> str | None:
    """Who served ``url``: the index (its origin), the ``file_hosts`` entry whose origin it
    is (``host``: ports 443 and 80; ``host:port``: that port), or None: elsewhere."""
    if same_origin(url, index_url):
        return THE_INDEX
    _, host, port = _origin(url)
    for entry in file_hosts:
        try:
            allowed, allowed_port = split_origin(entry)
        except ValueError:
            continue
        if allowed.strip("[]") == host and (
                allowed_port == port or (allowed_port is None and port in USUAL_PORTS)):
            return entry
    return None


def delivered(url: str, requests: Sequence[RelayRequest]) -> tuple[str, list[RelayRequest]]:
    """Where ``url``'s bytes came from, by the relay's records: the URL its redirects ended
    at (``url`` itself when none was seen: no redirect, or a tunnel the relay cannot see
    into), and those redirects in order."""
    answered = {normal(r.url): r for r in requests if r.path is not None and r.status}
    here, hops = normal(url), list[RelayRequest]()
    while (hop := answered.get(here)) is not None and hop.location and len(hops) < 30:
        hops.append(hop)  # 30: pip's own limit on redirects is lower
        here = normal(hop.location)
    return here, hops


def foreign_installs(added: Mapping[str, str], origins: Mapping[str, Origin], index_url: str,
                     held: Held | None, file_hosts: Sequence[str] = (),
                     witness: Refusals | None = None, since: float = 0.0) -> list[str]:
    """One line for each distribution in ``added`` that did not come from the index: no
    record of its source, a file elsewhere (its own origin, or one of ``file_hosts``, where an
    existing index keeps its files), or (``held`` given) no file the index holds.

    With a :class:`Witness` (an existing index's relay), each file is judged where the
    request that delivered its bytes went (since ``since``), redirects followed; and where
    the files came from — the index, each allowed host — is told to it."""
    requests = witness.requests(since) if isinstance(witness, Witness) else []
    asked = {normal(r.url) for r in requests if r.path is not None}
    found, counts = [], {THE_INDEX: 0}
    for name, version in sorted(added.items()):
        origin = origins.get(name)
        if origin is None or not origin.sources or origin.version != version:
            found.append(f"{name} {version}: installed, but the installer did not record "
                         f"it as taken from the index")
            continue
        # a resolution names every file of a release: the ones the relay saw asked for
        taken = [s for s in origin.sources if normal(s.url) in asked] or list(origin.sources)
        judged = [(s, *delivered(s.url, requests)) for s in taken]
        if away := [(s, real, hops) for s, real, hops in judged
                    if served_by(real, index_url, file_hosts) is None]:
            source, real, hops = away[0]
            found.append(
                f"{name} {version}: {source.filename}'s bytes came from {real} (a "
                f"{hops[0].status} from {hops[0].url}), not from the index under test" if hops
                else f"{name} {version}: from {source.url}, not from the index under test")
        elif held is not None and not any(s.sha256 in held for s in origin.sources):
            source = origin.sources[0]
            found.append(f"{name} {version}: {source.filename} is not a file the index holds "
                         f"(sha256 {source.sha256 or 'unknown'})")
        else:
            where = served_by(judged[0][1], index_url, file_hosts) or THE_INDEX
            counts[where] = counts.get(where, 0) + 1
    if isinstance(witness, Witness) and not found:
        unseen = sorted({r.origin for r in requests if r.path is None and not r.refused
                         and served_by(f"https://{r.origin}/", index_url, file_hosts)
                         not in counts})
        witness.judged(sources_said(counts, unseen))
    return found


def sources_said(counts: Mapping[str, int], unseen: Sequence[str] = ()) -> str:
    """How many files came from the index and from each allowed host; tunnels to allowed
    hosts no file's link named (https: the relay cannot see which files they carried)."""
    said = [f"{count(counts.get(THE_INDEX, 0), 'file')} from the index"] + [
        f"{n} from the allowed host {host}" for host, n in sorted(counts.items())
        if host != THE_INDEX]
    if unseen:
        said.append(f"tunnels to {', '.join(unseen)} too (https: which files they carried, "
                    f"the relay cannot see)")
    return ", ".join(said)


def sent_elsewhere(refused: tuple[str, int], output: str, witness: Refusals | None = None,
                   since: float = 0.0) -> str:
    """Why an install from an existing index failed when its pages (or a redirect) send
    the client to an origin the relay does not let through: that origin, the file the
    installer wanted, and where its bytes were sent from — by the relay's record of the
    refused request (http), else by the installer's output (https: the relay sees only
    ``CONNECT host:port``)."""
    host, port = refused
    requests = witness.requests(since) if isinstance(witness, Witness) else []
    turned = [r for r in requests if r.refused and r.path is not None
              and (r.host, r.port) == (host, port)]
    if turned:
        target = normal(turned[0].url)
        hop = next((r for r in requests if r.location and normal(r.location) == target), None)
        link = hop.url if hop else target
        how = (f": a {hop.status} from {hop.url} to {target}" if hop else f" ({target})")
    else:
        urls = re.findall(rf"https?://{re.escape(origin_name(host))}(?::\d+)?/[^\s'\")]*",
                          output)
        link = urls[0].split("#")[0] if urls else ""
        how = f" ({link})" if link else ""
    what = f" for {unquote(link.rsplit('/', 1)[-1])}" if link else ""
    hint = origin_name(host, None if port in USUAL_PORTS else port)
    return (f"the index sends the client to {origin_name(host, port)}{what}{how}, which the "
            f"relay does not let through; if that host serves the index's files, add it with "
            f"--offline-index-allow-host {hint}")


def foreign_files(files: Iterable[tuple[Path, str]], held: Held) -> list[str]:
    """One line for each of ``files`` (with its sha256) the index does not hold."""
    return [f"{path.name}: not fetched through the index under test (it holds no file with "
            f"this sha256)" for path, digest in files if digest not in held]
