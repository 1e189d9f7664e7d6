"""Where each file came from: a pass means every file was the index's own.

The input check (:func:`requirements.check_sources`) refuses the options it can see; this
module catches whatever it cannot — a config file the hermetic environment missed, a direct
reference, a bug. A warmed file must be one the index holds (by sha256); an installed
distribution must have been downloaded from the index's own address, as a file the index
holds. pip (and the pip devpi-client runs) names each download's URL and hash in its
``--report``; uv records neither, so its install is followed by its own resolution of the same
input through the index (``uv pip compile --format pylock.toml``), whose files must be the
index's and whose versions must be the installed ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name

from . import toml

Held = Mapping[str, str]  # sha256 -> file name, of every file the index under test holds


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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def same_origin(url: str, index_url: str) -> bool:
    """True if ``url`` is served by the host and port of ``index_url``."""
    a, b = urlsplit(url), urlsplit(index_url)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def foreign_installs(added: Mapping[str, str], origins: Mapping[str, Origin], index_url: str,
                     held: Held | None, file_hosts: Sequence[str] = ()) -> list[str]:
    """One line for each distribution in ``added`` that did not come from the index: no
    record of its source, a file elsewhere (its own host, or one of ``file_hosts``, where an
    existing index keeps its files), or (``held`` given) no file the index holds."""
    found = []
    for name, version in sorted(added.items()):
        origin = origins.get(name)
        if origin is None or not origin.sources or origin.version != version:
            found.append(f"{name} {version}: installed, but the installer did not record "
                         f"it as taken from the index")
        elif away := [s for s in origin.sources if not same_origin(s.url, index_url)
                      and (urlsplit(s.url).hostname or "").lower() not in file_hosts]:
            found.append(f"{name} {version}: from {away[0].url}, not from the index under "
                         f"test")
        elif held is not None and not any(s.sha256 in held for s in origin.sources):
            source = origin.sources[0]
            found.append(f"{name} {version}: {source.filename} is not a file the index holds "
                         f"(sha256 {source.sha256 or 'unknown'})")
    return found


def foreign_files(files: Iterable[tuple[Path, str]], held: Held) -> list[str]:
    """One line for each of ``files`` (with its sha256) the index does not hold."""
    return [f"{path.name}: not fetched through the index under test (it holds no file with "
            f"this sha256)" for path, digest in files if digest not in held]
