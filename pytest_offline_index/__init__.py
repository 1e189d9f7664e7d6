"""pytest-offline-index: prove that packages install and import offline from a caching index.

The plain-Python API (usable without pytest) and the errors it raises::

    from pytest_offline_index import OfflineIndex, Settings, OfflineInstallError
"""

from __future__ import annotations

from .errors import (
    CutNotEffectiveError,
    ForeignFileError,
    ImportCheckError,
    OfflineIndexError,
    OfflineInstallError,
    ServerError,
    SettingsError,
    UpstreamUnreachableError,
    WarmError,
)
from .index import OfflineIndex
from .scenario import AirgapScenario
from .settings import Settings
from .venv import FreshVenv

__all__ = [
    "AirgapScenario",
    "CutNotEffectiveError",
    "ForeignFileError",
    "FreshVenv",
    "ImportCheckError",
    "OfflineIndex",
    "OfflineIndexError",
    "OfflineInstallError",
    "ServerError",
    "Settings",
    "SettingsError",
    "UpstreamUnreachableError",
    "WarmError",
]
