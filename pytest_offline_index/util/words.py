"""Numbers said as pip and uv say them: sizes in decimal units, counts with their noun."""

from __future__ import annotations

UNITS = (("GB", 1e9), ("MB", 1e6), ("kB", 1e3))


def size(n_bytes: int | float) -> str:
    """``n_bytes`` as pip prints a download's size: "11 kB", "27.8 MB", "512 bytes"."""
    for unit, scale in UNITS:
        if n_bytes >= scale:
            value = n_bytes / scale
            return f"{value:.0f} {unit}" if unit == "kB" else f"{value:.1f} {unit}"
    return "1 byte" if n_bytes == 1 else f"{int(n_bytes)} bytes"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, plural unless one: "1 file", "3 files", "2 distributions"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
