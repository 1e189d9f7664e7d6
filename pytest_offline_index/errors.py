"""One exception family: every message is a single line naming the bad value and the fix.

Every error a user can see is here and exported from the package. Each keeps its payload
(holes, differences, import results, pip's output) when pickled, as pytest-xdist does to
carry a failure from a worker. What is not an error — a step that did not run, a foreign
target reported "not checked" — is an :mod:`.outcomes` signal, outside this family.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .findings import Difference, Hole, ImportResult


class OfflineIndexError(Exception):
    """Base of every error the harness reports to a user."""

    def __str__(self) -> str:
        # A message is always one line, whatever a subprocess put into it.
        return " ".join(super().__str__().split())

    @property
    def message(self) -> str:
        """The message as raised (``str()`` of the error is it on one line)."""
        return str(self.args[0]) if self.args else ""


class SettingsError(OfflineIndexError):
    """A bad option, ini value or marker argument."""


class PrivilegeError(OfflineIndexError):
    """User namespaces are refused here: the message names the cause and the fix."""


class TopologyError(OfflineIndexError):
    """The run's namespaces, links or addresses could not be set up, or are gone."""


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

    ``holes`` lists what was missing; ``output`` is the installer's full output, shown
    under ``-v``.
    """

    def __init__(self, message: str, holes: Sequence[Hole] = (), output: str = "") -> None:
        super().__init__(message)
        self.holes: list[Hole] = list(holes)
        self.output = output

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.holes, self.output))


class ForeignFileError(OfflineInstallError):
    """The install passed, but took a file from somewhere other than the index under test.

    ``foreign`` has one line per such distribution, naming it and where it came from.
    """

    def __init__(self, message: str, foreign: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.foreign = list(foreign)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.foreign))


class NotAsWarmedError(OfflineInstallError):
    """The install passed but installed other versions than the warm resolved.

    ``differences`` lists them, each a project with the versions the warm fetched and the
    one installed; ``installed`` is every version the install added, by project name.
    """

    def __init__(self, message: str, differences: Sequence[Difference] = (),
                 installed: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.differences: list[Difference] = list(differences)
        self.installed = dict(installed or {})  # all the install added, by name

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.differences, self.installed))


class SeedWrittenError(OfflineInstallError):
    """An install wrote in place into a file its far-side venv shares with the template it
    was made from (hard links): the run's other venvs of that Python are not fresh any more.
    No installer does that; a package's build can. The template is discarded."""


class ImportCheckError(OfflineIndexError):
    """A package installed but one of its modules did not import.

    ``results`` has every module's outcome: its name, whether it imported, and a detail
    (where it came from, or the error).
    """

    def __init__(self, message: str, results: Sequence[ImportResult] = ()) -> None:
        super().__init__(message)
        self.results: list[ImportResult] = list(results)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.results))


class BundleError(OfflineIndexError):
    """The export could not be written, or the bundle it wrote did not install alone."""
