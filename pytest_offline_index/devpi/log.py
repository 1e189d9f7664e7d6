"""What devpi-server's own log says: the files it read from the upstream, and the TLS
failures it met fetching from it (through a CONNECT tunnel the relay sees only bytes, so a
certificate devpi refuses is named from its log)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

# devpi logs a failed upstream fetch as "<Error> during http.<get> of <url> at <where>: <why>"
FETCH_FAILURE = re.compile(r"during http\.\w+ of (\S+) at \S+: (.*)$")
# devpi logs each file it starts to stream from the upstream as
# "reading remote: URL('<url>'), target root/pypi/+f/<hash dirs>/<file name>"
READ_REMOTE = re.compile(r"reading remote: .*, target (\S+)\s*$", re.M)


def log_size(log: Path | None) -> int:
    """Where devpi's log ends now, to read only what it writes after (``tls_failures``)."""
    try:
        return log.stat().st_size if log else 0
    except OSError:
        return 0


def _text(log: Path | None, since: int = 0) -> str:
    if log is None:
        return ""
    try:
        with log.open("rb") as log_file:
            log_file.seek(since)
            return log_file.read().decode(errors="replace")
    except OSError:
        return ""


def read_from_upstream(log: Path | None) -> set[str]:
    """The names of the files devpi's log says it read from the upstream (each one it
    stores once its stream to the client has ended)."""
    return {unquote(match.group(1).rsplit("/", 1)[-1])
            for match in READ_REMOTE.finditer(_text(log))}


def tls_failures(log: Path | None, since: int = 0, ca_bundle: Path | None = None,
                 issuer: Callable[[str, int], str | None] | None = None) -> list[str]:
    """TLS failures devpi logged fetching from the upstream after offset ``since``, each
    with who issued the certificate, by ``issuer(host, port)``, and what devpi trusted
    (``ca_bundle``, or certifi's)."""
    found: list[str] = []
    issuers: dict[tuple[str, int], str | None] = {}
    for line in _text(log, since).splitlines():
        if (match := FETCH_FAILURE.search(line)) and "SSL" in match.group(2):
            url = urlsplit(match.group(1))
            host = url.hostname or ""
            trusted = (f"verified with {ca_bundle}; name another CA bundle with "
                       f"--offline-index-upstream-cert" if ca_bundle else
                       "verified with certifi's bundle")
            where = (host, url.port or 443)
            if where not in issuers:  # one look at each, however often devpi retried
                issuers[where] = issuer(*where) if issuer is not None else None
            seen = issuers[where]
            shown = f"the certificate it showed was issued by {seen}; " if seen else ""
            found.append(f"TLS failure talking to {host}: {match.group(2).strip()} "
                         f"({shown}{trusted})")
    return list(dict.fromkeys(found))
