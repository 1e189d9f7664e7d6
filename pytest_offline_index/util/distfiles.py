"""A distribution file's project and version, read from its name (wheel or sdist)."""

from __future__ import annotations

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)


def parse_filename(filename: str) -> tuple[str, str | None]:
    """``(project, version)``, the project canonical; a name neither a wheel's nor an
    sdist's (a legacy ``.tar.bz2``, an egg) comes back whole, with no version."""
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
        return str(name), str(version)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return filename, None
