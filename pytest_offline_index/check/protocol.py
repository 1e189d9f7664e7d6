"""Where the check meets its parts: what the scenario asks of an index (the run's own devpi
or an existing one) and of a fresh venv — small Protocols, so the sequence is unit-tested
against fakes without a namespace."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from ..bundle.proof import BundleVenv, DevpiOfTheRun
from ..client.installers import Installer
from ..index.warm import WarmResult
from ..inputs.targets import Target
from ..relay.records import RelayStats
from ..steps import Progress


class InstalledVenv(BundleVenv, Protocol):
    """What the scenario asks of the fresh venv of an install check (a bundle's too)."""

    added: dict[str, str]
    installer: str

    @property
    def way(self) -> Installer: ...

    def install(self, *requirements: str, requirements_file: Path | str | None = None,
                on_line: Callable[[str], None] | None = None,
                warmed: Mapping[str, Sequence[str]] | None = None) -> float: ...


class CheckableIndex(Protocol):
    """What the scenario asks of an index (``OfflineIndex``; a fake in the unit tests)."""

    @property
    def workdir(self) -> Path: ...

    @property
    def progress(self) -> Progress: ...

    @property
    def is_cut(self) -> bool: ...

    @property
    def is_started(self) -> bool: ...

    def start(self, prepare: Sequence[Target] = ()) -> object: ...

    def restore(self) -> None: ...

    def warm(self, requirements: Sequence[str] = (), *,
             requirements_file: Path | str | None = None,
             pythons: Sequence[str | Target] | None = None) -> dict[str, WarmResult]: ...

    def cut(self) -> str: ...

    def verify_cut(self) -> None: ...

    def fresh_venv(self, python: str | Target | None = None, name: str | None = None,
                   installer: str | None = None) -> InstalledVenv: ...

    def upstream_stats(self) -> RelayStats: ...

    def isolation(self) -> str: ...

    def sources(self) -> str | None: ...

    @property
    def server(self) -> DevpiOfTheRun | None: ...

    def stop_commands(self) -> None: ...

    def close(self) -> None: ...
