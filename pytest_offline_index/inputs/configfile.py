"""The config file a run's settings are written in: found as pytest finds it, from the
invocation dir upward, to tell when pytest took another (or none) and the plugin's settings
would silently be replaced by the defaults."""

from __future__ import annotations

import configparser
from pathlib import Path

from ..util.toml import TOMLDecodeError, loads

# Where pytest looks for its configuration, and the section each file must have for pytest
# to take it (pytest.ini and .pytest.ini count even without one).
CONFIG_FILES = (("pytest.ini", "pytest"), (".pytest.ini", "pytest"),
                ("pyproject.toml", "tool.pytest"), ("tox.ini", "pytest"),
                ("setup.cfg", "tool:pytest"))


def unloaded(inipath: Path | None, invocation_dir: Path, rootpath: Path) -> str | None:
    """Why the plugin's settings in the invocation dir's config file (or the nearest above
    it) were not read, or None; ``inipath`` is the file pytest loaded (None: none).

    pytest finds its config file from the common ancestor of the path arguments: a path
    option written with a space (``--offline-index-cache-dir /abs/dir``) is one to it
    (pytest#8846), so the rootdir moves and the project's settings are silently left out;
    the run would check the defaults instead of what the project asks for."""
    loaded = Path(inipath).resolve() if inipath else None
    start = Path(invocation_dir).resolve()
    for directory in (start, *start.parents):
        for name, section in CONFIG_FILES:
            path = directory / name
            keys = _pytest_keys(path, section) if path.is_file() else None
            if keys is None:
                continue  # not a file pytest would take: look on
            ours = sorted(key for key in keys if key.startswith("offline_index_"))
            if path == loaded or not ours:
                return None  # the file pytest would take is the one it took, or says nothing
            took = loaded or "no config file"
            return (f"{path} sets {', '.join(ours)} but pytest did not load it (it loaded "
                    f"{took}, rootdir {rootpath}): a path option written with a "
                    f"space, e.g. '--offline-index-cache-dir /abs/dir', is taken by pytest "
                    f"for a test path that moves its rootdir; write it with '=': "
                    f"--offline-index-cache-dir=PATH (or name the file with -c)")
    return None


def _pytest_keys(path: Path, section: str) -> list[str] | None:
    """The keys of ``path``'s pytest section, or None if pytest would not take the file."""
    try:
        if path.suffix == ".toml":
            tool = loads(path.read_text()).get("tool", {}).get("pytest")
            if not isinstance(tool, dict):
                return None
            options = tool.get("ini_options")
            return [*tool, *(options if isinstance(options, dict) else {})]
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        parser.read(path)
    except (OSError, UnicodeDecodeError, TOMLDecodeError, configparser.Error):
        return None
    if not parser.has_section(section):
        return [] if path.name in ("pytest.ini", ".pytest.ini") else None
    return list(parser[section])
