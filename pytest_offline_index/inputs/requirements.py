"""Requirements files as pip reads them: the names they request, whether they pin hashes, and
whether any line names a source other than the index under test.

pip itself reads the file (``-r``), so constraints (``-c``), environment markers, extras and
``--hash`` options behave exactly as in a user's own install; this module only extracts what
the harness needs to know about it, and refuses — before anything starts, naming file and
line — every line that would let an installer take a file from somewhere else.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from ..errors import SettingsError

INCLUDES = {"-r": False, "--requirement": False, "-c": True, "--constraint": True}
# Options that point an installer at another source (or at none): a pass would not mean
# "the index alone was enough".
ELSEWHERE = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-index",
             "--trusted-host", "-e", "--editable")
# Options that change how files are chosen, not where they come from.
HARMLESS = ("--pre", "--only-binary", "--prefer-binary", "--require-hashes", "--no-binary",
            "--use-feature")
PER_REQUIREMENT = ("--hash", "--config-settings", "-C", "--global-option")
ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar")
SECOND_INDEX = ("to check another index, give it its own run with --offline-index-upstream "
                "URL")


@dataclass(frozen=True)
class Line:
    """One logical line of a requirements file, with where it is."""

    path: Path
    number: int  # of its first physical line
    text: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.number}"


def logical_lines(path: Path) -> list[str]:
    """Lines with comments removed and backslash continuations joined."""
    return [line.text for line in numbered_lines(path)]


def numbered_lines(path: Path) -> list[Line]:
    """:func:`logical_lines` with the number of each one's first physical line."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise SettingsError(f"requirements file {str(path)!r}: {exc.strerror or exc}") from None
    joined: list[Line] = []
    current, first = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not current:
            first = number
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            joined.append(Line(path, first, current.strip()))
        current = ""
    if current.strip():
        joined.append(Line(path, first, current.strip()))
    return joined


def walk(path: Path, constraints: bool = True) -> Iterator[Line]:
    """Every logical line of ``path`` and of the files it includes, recursively (``-c``
    files too unless ``constraints`` is false); include lines themselves are not yielded."""
    yield from _walk(path.resolve(), constraints, set())


def _walk(path: Path, constraints: bool, seen: set[Path]) -> Iterator[Line]:
    if path in seen:
        return  # pip would loop; one visit says all there is to say
    seen.add(path)
    for line in numbered_lines(path):
        option, value = _option(line)
        if option in INCLUDES:
            if not value:
                raise SettingsError(f"{line.where}: {option} names no file")
            if constraints or not INCLUDES[option]:
                yield from _walk((path.parent / value).resolve(), constraints, seen)
            continue
        yield line


def _option(line: Line) -> tuple[str | None, str]:
    """The line's leading option and its value (``-rfile``, ``-r file``, ``--x=y``)."""
    if not line.text.startswith("-"):
        return None, ""
    try:
        words = shlex.split(line.text)
    except ValueError:
        words = line.text.split()
    head, rest = words[0], words[1:]
    if head.startswith("--"):
        name, _, value = head.partition("=")
        return name, value or (rest[0] if rest else "")
    return head[:2], head[2:] or (rest[0] if rest else "")


def requirements_in(path: Path) -> list[Requirement]:
    """The requirements a file names itself (``-r`` includes followed, ``-c`` not)."""
    found: list[Requirement] = []
    for line in walk(path, constraints=False):
        if line.text.startswith("-"):
            continue  # options: check_sources vouches for them, pip handles them
        found.append(_requirement(line))
    return found


def _requirement(line: Line) -> Requirement:
    spec = line.text.split(" --", 1)[0].strip()
    try:
        req = Requirement(spec)
    except InvalidRequirement as exc:
        if _looks_like_a_location(spec):
            raise _location(line, spec) from None
        raise SettingsError(f"{line.where}: {spec!r} is not a valid requirement "
                            f"({str(exc).splitlines()[0]})") from None
    if req.name.lower().endswith(ARCHIVES):  # pip takes "app-1.0.zip" for a file
        raise _location(line, spec)
    return req


def _location(line: Line, spec: str) -> SettingsError:
    return SettingsError(f"{line.where}: {spec!r} is a local path or URL, not a package of "
                         f"the index under test; name the package (and its version) instead")


def _looks_like_a_location(spec: str) -> bool:
    return "/" in spec or "://" in spec or spec.startswith(".") or spec.lower().endswith(
        ARCHIVES)


def check_sources(path: Path) -> None:
    """Refuse, in one line naming file and line, anything in ``path`` or the files it
    includes (``-r`` and ``-c``, recursively) that names another source than the index."""
    for line in walk(path):
        option, _ = _option(line)
        if option is None:
            req = _requirement(line)
            if req.url:
                raise SettingsError(
                    f"{line.where}: {req.name} @ {req.url} is a direct reference; the check "
                    f"proves only what the index under test serves: pin {req.name} by "
                    f"version instead")
            for word in line.text.split()[1:]:
                name = word.partition("=")[0]
                if word.startswith("-") and name not in PER_REQUIREMENT:
                    raise SettingsError(f"{line.where}: {name} on a requirement line is not "
                                        f"an option the check can vouch for")
        elif option in ("-e", "--editable"):
            raise SettingsError(
                f"{line.where}: {option} installs a project from a path or a VCS, which no "
                f"index serves; the check proves what the index serves: drop the line and "
                f"name the project's released version, or publish its wheel to the index")
        elif option in ELSEWHERE:
            raise SettingsError(
                f"{line.where}: {option} names a source other than the index under test; "
                f"remove it ({SECOND_INDEX})")
        elif option not in HARMLESS:
            raise SettingsError(
                f"{line.where}: {option} is not an option the check can vouch for; it "
                f"accepts {', '.join((*INCLUDES, *HARMLESS, '--hash'))}")


def pins_hashes(path: Path) -> bool:
    """True if any requirement carries ``--hash``: then pip must run with --require-hashes."""
    return any("--hash" in line.text for line in walk(path, constraints=False))
