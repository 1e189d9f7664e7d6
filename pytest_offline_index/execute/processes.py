"""Is it still that process? Read from ``/proc``: a pid, and its start time against reuse."""

from __future__ import annotations

from pathlib import Path


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def process_start_time(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (clock ticks since boot), None if it is gone."""
    fields = _stat(pid)
    return int(fields[19]) if fields else None  # field 22 of the whole line


def is_alive(pid: int, start_time: int | None = None) -> bool:
    """True only if ``pid`` runs (not a zombie) and, when ``start_time`` is given, is the
    very process that was recorded, not a reused pid. The one test of "is it still that
    process" for the server and shared-index members."""
    fields = _stat(pid) if pid > 0 else None
    if not fields or fields[0] == "Z":
        return False
    return start_time is None or int(fields[19]) == start_time
