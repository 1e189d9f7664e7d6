"""Credentials out of everything a run shows or writes: one way to find a URL's userinfo.

A URL given to the plugin (``--offline-index-url``, ``--offline-index-upstream``, a proxy)
may carry credentials, and a password may hold any character: base64 tokens hold ``/``,
generated ones ``@``, ``#``, ``?`` or ``:``. ``urllib.parse.urlsplit`` ends the authority
at the first ``/``, ``?`` or ``#``, so a password holding one of them raw is read as a
host and a path, and a redaction built on it shows the password whole. Here the userinfo
is everything before the LAST ``@`` of the authority — and, where the authority as urlsplit
sees it holds no ``@`` but the rest of the URL does, before the last ``@`` of the URL:
hiding too much of a URL whose path holds an ``@`` is the safe way to be wrong.
:func:`redacted` is what every line, report, junit property and file shows.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, unquote

HIDDEN = "***"
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
AUTHORITY_END = re.compile(r"[/?#]")


def split_userinfo(url: str) -> tuple[str, str | None, str]:
    """``url`` as (``scheme://``, userinfo or None, the rest from the host on).

    A URL without a scheme (a proxy's bare ``user:password@host:port``) is read as
    starting at its authority."""
    head = match.group(0) if (match := SCHEME.match(url)) else ""
    rest = url[len(head):]
    end = (found.start() if (found := AUTHORITY_END.search(rest)) else len(rest))
    at = rest.rfind("@", 0, end)
    if at < 0:
        at = rest.rfind("@")  # a raw "/", "?" or "#" in the userinfo: hide up to the last @
    if at < 0:
        return head, None, rest
    return head, rest[:at], rest[at + 1:]


def redacted(url: str) -> str:
    """``url`` with any credentials replaced by ``***``: what every line, report and item
    shows."""
    head, userinfo, rest = split_userinfo(url)
    return url if userinfo is None else f"{head}{HIDDEN}@{rest}"


def without_credentials(url: str) -> str:
    """``url`` with its userinfo taken out: what a file that outlives the run keeps (the
    devpi export's mirror URL), usable as it is by whoever adds credentials of their own."""
    head, userinfo, rest = split_userinfo(url)
    return url if userinfo is None else f"{head}{rest}"


def unreadable_userinfo(url: str) -> str | None:
    """Why ``url``'s credentials cannot be read by the installers or devpi, or None.

    Every URL parser they use ends the authority at the first ``/``, ``?`` or ``#``: a
    user name or password holding one of them raw is taken for a host and a path."""
    _, userinfo, _ = split_userinfo(url)
    if userinfo is None or not (raw := sorted(set(AUTHORITY_END.findall(userinfo)))):
        return None
    codes = ", ".join(f"{char!r} as {quote(char, safe='')}" for char in raw)
    return (f"what comes before its last '@' (a user name and password) holds "
            f"{', '.join(repr(c) for c in raw)}, which ends a URL's host part: "
            f"percent-encode it in the credentials ({codes}), or an '@' in the path as %40")


def secrets_of(url: str | None) -> tuple[str, ...]:
    """The forms ``url``'s secret can take in text, longest first: the userinfo, the
    password (the user name, for a token given as one) as written, percent-decoded and
    percent-encoded, and the Basic authorization a client sends. Empty without credentials.

    A user name beside a password is not among them (pip itself shows it), nor is a
    secret shorter than 3 characters: such strings are too common to replace in text."""
    if not url:
        return ()
    _, userinfo, _ = split_userinfo(url)
    if not userinfo:
        return ()
    user, colon, password = userinfo.partition(":")
    secret = password if colon else user
    forms = {userinfo, unquote(userinfo), secret, unquote(secret),
             quote(unquote(secret), safe=""), quote(unquote(secret), safe="").lower(),
             base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode()}
    return tuple(sorted((f for f in forms if len(f) >= 3), key=len, reverse=True))


def scrub(text: str, urls: Iterable[str | None]) -> str:
    """``text`` with every form of every ``urls``' credentials replaced by ``***``
    (a URL's ``userinfo@`` first, so what is left of it reads as ``***@host``)."""
    for url in urls:
        _, userinfo, _ = split_userinfo(url) if url else ("", None, "")
        if userinfo:
            text = text.replace(f"{userinfo}@", f"{HIDDEN}@")
        for secret in secrets_of(url):
            text = text.replace(secret, HIDDEN)
    return text
