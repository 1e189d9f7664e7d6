"""An install's output as progress lines: what the installer collects, downloads and
installs, counted as it goes (pip's "Collecting", "Downloading", "Installing collected
packages"; uv's "Resolved", "Prepared", "Installed N packages")."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..util.words import count

COLLECTING = re.compile(r"^\s*(?:Collecting|Processing) (\S+)")
DOWNLOADING = re.compile(r"^\s*Downloading (?:\S+/)?([^/\s]+)(?: \(([^)]+)\))?")
INSTALLING = re.compile(r"^\s*Installing collected packages: (.+)$")
UV_COUNT = re.compile(r"^\s*(Resolved|Prepared|Installed) (\d+ packages?)")


def install_progress(say: Callable[[str], None], step: str = "") -> Callable[[str], None]:
    """A line reader for an installer's output that says each step on ``say`` (after
    ``step:``, where given)."""
    collected = 0
    said = say
    if step:
        def said(line: str) -> None:
            say(f"{step}: {line}")

    def on_line(line: str) -> None:
        nonlocal collected
        if found := COLLECTING.match(line):
            collected += 1
            said(f"collecting {found.group(1)} ({count(collected, 'requirement')} so far)")
        elif found := DOWNLOADING.match(line):
            size = f" ({found.group(2)})" if found.group(2) else ""
            said(f"downloading {found.group(1)}{size}")
        elif found := INSTALLING.match(line):
            names = [n for n in found.group(1).split(", ") if n]
            said(f"installing {count(len(names), 'distribution')}")
        elif found := UV_COUNT.match(line):
            said(f"{found.group(1).lower()} {found.group(2)}")
    return on_line
