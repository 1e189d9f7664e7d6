"""pytest-offline-index: prove that packages install and import offline from a caching index.

The plain-Python API (usable without pytest) and the errors it raises::

    from pytest_offline_index import OfflineIndex, Settings, OfflineInstallError

``__version__`` is the version, the same as the installed distribution's metadata.
"""

from __future__ import annotations

from ._version import __version__ as __version__
from .check.scenario import AirgapScenario
from .client.venv import FreshVenv
from .errors import (
    BundleError,
    CutNotEffectiveError,
    ForeignFileError,
    ImportCheckError,
    NotAsWarmedError,
    OfflineIndexError,
    OfflineInstallError,
    PrivilegeError,
    ServerError,
    SettingsError,
    TopologyError,
    UpstreamUnreachableError,
    WarmError,
)
from .index.offline import OfflineIndex
from .inputs.settings import Settings

__all__ = [
    "AirgapScenario",
    "BundleError",
    "CutNotEffectiveError",
    "ForeignFileError",
    "FreshVenv",
    "ImportCheckError",
    "NotAsWarmedError",
    "OfflineIndex",
    "OfflineIndexError",
    "OfflineInstallError",
    "PrivilegeError",
    "ServerError",
    "Settings",
    "SettingsError",
    "TopologyError",
    "UpstreamUnreachableError",
    "WarmError",
]
