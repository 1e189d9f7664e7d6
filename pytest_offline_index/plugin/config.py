"""The plugin's settings as pytest's config gives them: the command line over the ini file,
a marker's keywords over both; and the report's path, refused at once if it cannot be
written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..errors import SettingsError
from ..inputs.configfile import unloaded
from ..inputs.settings import OPTIONS, Settings

MARKER_LEAVES = ("export",)  # the --offline-index check's alone


def settings_from_config(config: pytest.Config, *, marker: bool = False,
                         **overrides: object) -> Settings:
    """Settings from the command line over the ini file; ``overrides`` (a marker) win. A
    marker's check writes no export: that is the ``--offline-index`` check's. Settings
    written in a config file pytest did not load are refused, not replaced by defaults."""
    if (unloaded := unloaded_config(config)) is not None:
        raise SettingsError(unloaded)
    options = [o for o in OPTIONS if o.parse is not None  # the report is the plugin's
               and not (marker and o.field in MARKER_LEAVES)]
    cli = {o.field: config.getoption(f"offline_index_{o.field}") for o in options}
    cli.update({k: v for k, v in overrides.items() if v is not None})
    ini = {o.field: config.getini(o.ini) for o in options}
    return Settings.resolve(cli=cli, ini=ini,
                            ini_file=config.inipath.name if config.inipath else "the ini file")


UNLOADED_KEY = pytest.StashKey["str | None"]()


def unloaded_config(config: pytest.Config) -> str | None:
    """Why the plugin's settings in the config file pytest would take were not read, or
    None (see :func:`~..inputs.configfile.unloaded`); asked once per run."""
    if UNLOADED_KEY not in config.stash:
        config.stash[UNLOADED_KEY] = None if getattr(config.option, "inifilename", None) \
            else unloaded(config.inipath, config.invocation_params.dir, config.rootpath)
    return config.stash[UNLOADED_KEY]


def report_path(config: pytest.Config) -> Path | None:
    value = config.getoption("offline_index_report") or config.getini("offline_index_report")
    return Path(str(value)) if value else None


def check_report_path(config: pytest.Config) -> None:
    """A report that could not be written is refused now, not after the whole check."""
    path = report_path(config)
    if path is None:
        return
    existing = path.resolve().parent  # the report's dirs are made: probe the nearest one
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    probe = existing / f".offline-index-report-probe-{os.getpid()}"
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "it is a directory")
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        probe.unlink()
    except OSError as exc:
        raise pytest.UsageError(
            f"offline-index: report: {str(path)!r} cannot be written "
            f"({exc.strerror or exc}); give a path in a writable directory with "
            f"--offline-index-report") from None
