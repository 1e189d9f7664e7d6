"""One exception family: every message is a single line naming the bad value and the fix."""

from __future__ import annotations

from collections.abc import Sequence


class OfflineIndexError(Exception):
    """Base of every error the harness reports to a user."""

    def __str__(self) -> str:
        # A message is always one line, whatever a subprocess put into it.
        return " ".join(super().__str__().split())


class SettingsError(OfflineIndexError):
    """A bad option, ini value or marker argument."""


class PrivilegeError(OfflineIndexError):
    """Not root / no CAP_NET_ADMIN, or network namespaces unavailable."""


class TopologyError(OfflineIndexError):
    """The run's namespaces, links or addresses could not be set up."""


class CutNotEffectiveError(OfflineIndexError):
    """Upstream is still reachable after the cut: the run must not pass."""


class ServerError(OfflineIndexError):
    """devpi-server did not start, died, or refused an API call."""


class UpstreamUnreachableError(OfflineIndexError):
    """The upstream index could not be reached while warming."""


class WarmError(OfflineIndexError):
    """pip download through the index failed for a reason named in the message."""


class OfflineInstallError(OfflineIndexError):
    """The fresh virtualenv could not install from the cache alone.

    ``holes`` lists what was missing (see :mod:`pytest_offline_index.holes`); ``output`` is
    pip's full output, shown under ``-v``.
    """

    def __init__(self, message: str, holes: Sequence[object] = (), output: str = "") -> None:
        super().__init__(message)
        self.holes = list(holes)
        self.output = output


class ForeignFileError(OfflineInstallError):
    """The install passed, but took a file from somewhere other than the index under test.

    ``foreign`` has one line per such distribution, naming it and where it came from.
    """

    def __init__(self, message: str, foreign: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.foreign = list(foreign)


class NotAsWarmedError(OfflineInstallError):
    """The install passed but installed other versions than the warm resolved.

    ``differences`` lists them (see :mod:`pytest_offline_index.installed`).
    """

    def __init__(self, message: str, differences: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.differences = list(differences)


class ImportCheckError(OfflineIndexError):
    """A package installed but one of its modules did not import."""

    def __init__(self, message: str, results: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.results = list(results)


class NotInstallCheckedError(OfflineIndexError):
    """A foreign target is warmed only: its install step is reported, never passed."""


class StepNotRun(OfflineIndexError):
    """A step whose prerequisite did not pass: recorded "not run", never attempted."""
