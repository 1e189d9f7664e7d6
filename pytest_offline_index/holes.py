"""Naming the holes in a cache: which exact files or projects an install wanted and lacked.

pip reports a file the index lists but cannot serve (devpi answers 502 once the upstream is
gone) by its URL, and a project whose page was never cached as "no matching distribution".
This module turns pip's output into those names, so a failure says what to warm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

FILE_URL = re.compile(r"/\+f/[0-9a-f]{3}/[0-9a-f]+/([^\s)'\"#?]+)")
NO_MATCH = re.compile(r"No matching distribution found for (\S+)")


@dataclass(frozen=True)
class Hole:
    project: str
    version: str | None = None
    filename: str | None = None

    def __str__(self) -> str:
        if self.filename:
            return f"{self.project} {self.version} ({self.filename})"
        return f"{self.project} (no release of it is in the cache)"


def parse_filename(filename: str) -> tuple[str, str | None]:
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
        return str(name), str(version)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return filename, None


def holes_in(output: str) -> list[Hole]:
    """Every missing file or project named in pip's output, in order, without repeats."""
    found: dict[str, Hole] = {}
    for match in FILE_URL.finditer(unquote(output)):
        filename = match.group(1)
        project, version = parse_filename(filename)
        found.setdefault(filename, Hole(project, version, filename))
    for match in NO_MATCH.finditer(output):
        project = project_of(match.group(1))
        found.setdefault(project, Hole(project))
    return list(found.values())


def unmatched_requirement(output: str) -> str | None:
    """The requirement pip reported "No matching distribution found for", if any."""
    match = NO_MATCH.search(output)
    return match.group(1) if match else None


def project_of(spec: str) -> str:
    """The project name at the start of a requirement spec as pip prints it."""
    return re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]


def pip_error(output: str) -> str:
    """pip's last ERROR line (or its last line), for failures that name no hole."""
    errors = [ln.strip() for ln in output.splitlines() if ln.strip().startswith("ERROR")]
    lines = output.strip().splitlines()
    return errors[-1] if errors else (lines[-1] if lines else "no output")
