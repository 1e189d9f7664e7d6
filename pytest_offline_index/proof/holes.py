"""Naming the holes in a cache: which exact files or projects an install wanted and lacked.

pip reports a file the index lists but cannot serve (devpi answers 502 once the upstream is
gone) by its URL, and a project whose page was never cached as "no matching distribution".
uv names the same file in "Failed to fetch: <url>" (in backticks in uv 0.5) and the project
as "<name> was not found in the package registry" (wrapped over lines in uv 0.5).
devpi-client's ``devpi install`` runs pip, so its output has pip's shapes. This module turns
that output into those names, so a failure says what to warm.

A project whose only candidates are yanked (PEP 592) is named as such: newer pip (26.3)
prints "Ignored the following yanked versions: ..." before "Could not find a version"; older
pip (ensurepip's 23.2) lists them among "(from versions: ...)" and takes none, so there a
listed version the requirement admits is one only its yank kept out; uv says "<name>==<v>
was yanked".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from ..findings import Hole as Hole  # re-exported: holes_in finds them
from ..util.distfiles import parse_filename

FILE_URL = re.compile(r"/\+f/[0-9a-f]{3}/[0-9a-f]+/([^\s)'\"`#?]+)")
NO_MATCH = re.compile(r"No matching distribution found for (\S+)")
NO_VERSION = re.compile(r"Could not find a version that satisfies the requirement (\S+) "
                        r"\(from versions: ([^)]*)\)")
YANKED_IGNORED = re.compile(r"Ignored the following yanked versions: ([^\n]+)")
UV_YANKED = re.compile(r"([^\s`'\"]+?)==([^\s`'\"]+)\s+was\s+yanked")
# any index's file it lists and cannot serve (an existing index: a remote's uncached file)
UNSERVED = re.compile(r"Could not install requirement \S+ from ([^\s#]+)\S*(?: \(from [^)]*\))?"
                      r" because of HTTP error [45]\d\d")
# uv: "Because <name> was not found in the package registry and ...", maybe wrapped
UV_NOT_FOUND = re.compile(r"([^\s`'\"]+)\s+was\s+not\s+found\s+in\s+the\s+package\s+registry")
UV_CAUSES = ("cause:", "Caused by:")
# lines that point elsewhere instead of saying what went wrong
POINTERS = ("hint:", "note:", "ERROR: Exception:", "ERROR: ResolutionImpossible: for help visit")


# pip's hash-checking mode: a file whose hash is none of the pinned ones ...
HASH_MISMATCH = re.compile(
    r"^\s*(\S+) from (\S+?)(?:#\S*)? \(from [^\n]*\):\n((?:\s*Expected\s+(?:or|sha256)\s+"
    r"[0-9a-f]+\n)+)\s*Got\s+([0-9a-f]+)", re.MULTILINE)
EXPECTED = re.compile(r"Expected\s+(?:or|sha256)\s+([0-9a-f]+)")
# ... and a dependency not pinned among the requirements
UNPINNED_HEAD = "In --require-hashes mode, all requirements must have their versions pinned"
UNPINNED = re.compile(r"^\s+(\S+) from \S+ \(from (.*)\)\s*$", re.MULTILINE)


def holes_in(output: str, where: str = "the cache") -> list[Hole]:
    """Every missing file or project named in pip's output, in order, without repeats;
    ``where`` is what lacks them, as a project's hole says it."""
    found: dict[str, Hole] = {}
    yanked = yanked_in(output)
    # pip < 26 prints the URL of every file it fetches ("Downloading <url>"): those are no holes
    fetched = (ln for ln in output.splitlines() if not ln.lstrip().startswith("Downloading "))
    for match in FILE_URL.finditer(unquote("\n".join(fetched))):
        filename = match.group(1)
        project, version = parse_filename(filename)
        found.setdefault(filename, Hole(project, version, filename))
    for match in UNSERVED.finditer(output):
        filename = unquote(match.group(1).rsplit("/", 1)[-1])
        project, version = parse_filename(filename)
        found.setdefault(filename, Hole(project, version, filename))
    for match in NO_MATCH.finditer(output):
        project = project_of(match.group(1))
        found.setdefault(project, Hole(project, yanked=yanked.pop(project, ()), where=where))
    for match in UV_NOT_FOUND.finditer(output):
        project = project_of(match.group(1))
        found.setdefault(project, Hole(project, where=where))
    for project, versions in yanked.items():  # uv's: no "no matching distribution" there
        found.setdefault(project, Hole(project, yanked=versions, where=where))
    return list(found.values())


def yanked_in(output: str) -> dict[str, tuple[str, ...]]:
    """The projects an install found only yanked candidates of, with those versions."""
    found: dict[str, tuple[str, ...]] = {}
    ignored: list[str] = []  # newer pip: the yanked versions it just said it ignored
    for line in output.splitlines():
        if match := YANKED_IGNORED.search(line):
            ignored = [v.strip() for v in match.group(1).split(",") if v.strip()]
        elif match := NO_VERSION.search(line):
            spec, listed = match.groups()
            # older pip lists yanked versions and takes none of them: one the requirement
            # admits was kept out by its yank alone
            versions = admitted(spec, ignored or [v.strip() for v in listed.split(",")])
            if versions:
                found[project_of(spec)] = versions
            ignored = []
    for match in UV_YANKED.finditer(output):
        project = project_of(match.group(1))
        found[project] = (*found.get(project, ()), match.group(2))
    return found


def admitted(spec: str, versions: list[str]) -> tuple[str, ...]:
    """The ``versions`` that the requirement ``spec`` admits (pre-releases too)."""
    try:
        specifier = Requirement(spec).specifier
    except InvalidRequirement:
        return ()
    said = []
    for version in versions:
        try:
            if specifier.contains(Version(version), prereleases=True):
                said.append(version)
        except InvalidVersion:  # "none", or a version pip lists as it found it
            continue
    return tuple(said)


def unmatched_requirement(output: str) -> str | None:
    """The requirement pip reported "No matching distribution found for", if any."""
    match = NO_MATCH.search(output)
    return match.group(1) if match else None


def offered_versions(output: str) -> list[str] | None:
    """The versions pip listed for a requirement it could not satisfy ("from versions:"),
    oldest first, or None where it listed none at all."""
    if not (match := NO_VERSION.search(output)):
        return None
    listed = [v.strip() for v in match.group(2).split(",")]
    return [v for v in listed if v and v != "none"]


def versions_said(versions: Sequence[str], newest: int = 5) -> str:
    """``versions`` (oldest first, as pip lists them) said in a line: the newest few."""
    if not versions:
        return "it has no release this Python can install"
    shown = ", ".join(reversed(versions[-newest:]))
    if len(versions) <= newest:
        return f"it has {shown}"
    return f"the newest of its {len(versions)} releases: {shown}"


def project_of(spec: str) -> str:
    """The project name at the start of a requirement spec as pip prints it."""
    return re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]


def pip_error(output: str) -> str:
    """The one line of pip's output that says what went wrong, for failures naming no hole.

    pip's last error: an ``ERROR:`` line, or a diagnostic error (``error: <reference>``, its
    message, marked by a multiplication sign, and ``╰─> <context>``) joined into one line.
    Never a ``hint:`` or ``note:`` line (pip 26 ends its errors with "hint: See above for
    details."), nor a pointer such as ``ERROR: Exception:``, after which the traceback's last
    line is the error itself. uv's errors read the same way: ``error: <what>`` and its last
    ``cause:`` (``Caused by:``), or in older uv (0.5) a multiplication-sign line and its wrapped
    ``╰─▶`` context.
    """
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    error = None
    for at, line in enumerate(lines):
        if line.startswith(POINTERS):
            continue
        if line.startswith("ERROR"):
            error = line
        elif line.startswith("error: "):
            error = _diagnostic(line, lines[at + 1:])
    if error is None and (box := _uv_box(lines)):
        return box
    said = [ln for ln in lines if not ln.startswith(POINTERS)]
    return error or (said[-1] if said else "no output")


def _diagnostic(head: str, following: list[str]) -> str:
    """pip's diagnostic error as one line: "error: <reference>: <message> (<context>)"."""
    message = context = ""
    causes: list[str] = []  # uv's "cause:" lines, each with its continuation lines
    for line in following:
        if line.startswith(("ERROR", "error: ", *POINTERS)):
            break
        if line.startswith(UV_CAUSES):
            causes.append(line.split(":", 1)[1].strip())
        elif causes:
            causes[-1] += " " + line
        elif line.startswith("\N{MULTIPLICATION SIGN}") and not message:
            message = line[1:].strip()
        elif line.startswith("╰─>") and not context:
            context = line[3:].strip()
    if causes and not message:
        message = causes[-1]  # the innermost cause says what really went wrong
    # a context of "[12 lines of output]" or "See above for output." says nothing by itself
    if context.startswith(("[", "See above")):
        context = ""
    return head + (f": {message}" if message else "") + (f" ({context})" if context else "")


def _uv_box(lines: list[str]) -> str | None:
    """Older uv's (0.5) error box as one line: "<message>: <context>", wrapped lines joined."""
    for at, line in enumerate(lines):
        if not line.startswith("\N{MULTIPLICATION SIGN}"):
            continue
        message, context = line[1:].strip().rstrip(":"), list[str]()
        for more in lines[at + 1:]:
            if more.startswith(("\N{MULTIPLICATION SIGN}", "error: ", "ERROR", *POINTERS)):
                break
            if more.startswith("╰─▶"):
                more = more[3:].strip()
            elif not context:
                continue  # "│" lines before the context
            context.append(more)
        return message + (f": {' '.join(context)}" if context else "")
    return None


def hash_refusal(output: str) -> str | None:
    """pip's hash-checking refusals as one line naming each file, its hash and the pinned
    ones (a lock or a requirements file whose hash the index's file does not have), or a
    dependency the pinned requirements leave out; None if pip refused nothing of the kind."""
    said = []
    for match in HASH_MISMATCH.finditer(output):
        requirement, url, expected, got = match.groups()
        filename = unquote(url.rsplit("/", 1)[-1])
        pinned = " or ".join(f"sha256:{h}" for h in EXPECTED.findall(expected))
        said.append(f"{requirement}: the index's file {filename} has sha256:{got}, the "
                    f"requirements pin {pinned}")
    if UNPINNED_HEAD in output:
        for match in UNPINNED.finditer(output.split(UNPINNED_HEAD, 1)[1]):
            requirement, chain = match.groups()
            needed_by = chain.split("->", 1)[0].strip()  # the rest: where *it* came from
            said.append(f"{requirement} (needed by {needed_by}) is not among the "
                        f"pinned requirements: every dependency must be pinned with == and "
                        f"hashed")
    return "; ".join(said) or None
