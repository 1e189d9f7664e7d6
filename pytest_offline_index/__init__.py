"""pytest-offline-index: prove that packages install and import offline from a caching index.

The plain-Python API (usable without pytest) and the errors it raises::

    from pytest_offline_index import OfflineIndex, Settings, OfflineInstallError

``__version__`` is the version, the same as the installed distribution's metadata.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__ as __version__

if TYPE_CHECKING:
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
        SeedWrittenError,
        ServerError,
        SettingsError,
        TopologyError,
        UpstreamUnreachableError,
        WarmError,
    )
    from .index.offline import OfflineIndex
    from .inputs.settings import Settings

# Each public name's module, imported on first use: pytest loads the plugin into every run
# of a project that has it installed, and importing the whole harness (devpi's client
# side, requests, the namespaces) cost each of those runs ~0.3 s of CPU here.
_HOMES = {"AirgapScenario": ".check.scenario", "FreshVenv": ".client.venv",
          "OfflineIndex": ".index.offline", "Settings": ".inputs.settings"}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_HOMES.get(name, ".errors"), __name__), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


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
    "SeedWrittenError",
    "ServerError",
    "Settings",
    "SettingsError",
    "TopologyError",
    "UpstreamUnreachableError",
    "WarmError",
]
