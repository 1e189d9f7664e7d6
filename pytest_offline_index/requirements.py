"""Requirements files as pip reads them: the names they request and whether they pin hashes.

pip itself reads the file (``-r``), so constraints (``-c``), environment markers, extras and
``--hash`` options behave exactly as in a user's own install; this module only extracts what
the harness needs to know about it.
"""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from .errors import SettingsError


def logical_lines(path: Path) -> list[str]:
    """Lines with comments removed and backslash continuations joined."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise SettingsError(f"requirements file {str(path)!r}: {exc.strerror or exc}") from None
    joined, current = [], ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            joined.append(current.strip())
        current = ""
    if current.strip():
        joined.append(current.strip())
    return joined


def requirements_in(path: Path) -> list[Requirement]:
    """The requirements a file names itself (``-r`` includes followed, ``-c`` not)."""
    found: list[Requirement] = []
    for line in logical_lines(path):
        if line.startswith(("-r ", "--requirement ")):
            found += requirements_in((path.parent / line.split(None, 1)[1]).resolve())
            continue
        if line.startswith("-"):
            continue  # -c, --index-url, --hash-only lines ... pip handles them
        spec = line.split(" --", 1)[0].strip()
        try:
            found.append(Requirement(spec))
        except InvalidRequirement as exc:
            raise SettingsError(f"requirements file {str(path)!r}: {spec!r} is not a valid "
                                f"requirement ({str(exc).splitlines()[0]})") from None
    return found


def pins_hashes(path: Path) -> bool:
    """True if any requirement carries ``--hash``: then pip must run with --require-hashes."""
    return any("--hash" in line for line in logical_lines(path))
