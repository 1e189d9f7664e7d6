"""Where fresh venvs come from: named so that processes sharing a work dir never collide,
and made ahead (spares) while devpi-server starts, brand-new until handed out."""

from __future__ import annotations

import concurrent.futures
import itertools
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..errors import OfflineIndexError
from ..execute.commands import Runner
from ..inputs.targets import Target, find_python, running_target
from .farside import FarSide, user_cache
from .installers import PIP
from .venv import FreshVenv, IndexTerms

WARMER = "warmer-"  # how the name of the venv a warm runs pip in starts
SpareKey = tuple[str, str, str]


class VenvFactory:
    """Fresh venvs on the client (``run``'s namespace), on ``terms`` (see
    :class:`IndexTerms`), with ``installer`` unless told otherwise; each keeps the cut's
    promises with what the run's warms fetched for its target (``warmed``)."""

    def __init__(self, directory: Path, run: Runner, terms: IndexTerms, installer: str, *,
                 warmed: Callable[[Target], Mapping[str, Sequence[str]]] | None = None) -> None:
        self.directory = directory
        self.run = run
        self.terms = terms
        self.installer = installer
        self.warmed = warmed
        # the far side's venv, one ``python -m venv`` per target, copied for each venv
        self.far_side = FarSide(directory, lambda argv: run(argv, here=True), user_cache())
        self._serial = itertools.count(1)  # never reused
        self._spares: dict[SpareKey, concurrent.futures.Future[FreshVenv]] = {}
        self._making: concurrent.futures.ThreadPoolExecutor | None = None

    def fresh(self, python: str | Target | None = None, name: str | None = None,
              installer: str | None = None) -> FreshVenv:
        """A brand-new venv of ``python`` (a Target, "3.12", a path; default: the running
        Python), made now unless a spare of the same kind is ready."""
        target = python if isinstance(python, Target) else (
            find_python(python) if python else running_target())
        installer = installer or self.installer
        if (spare := self._spares.pop(_key(target, name, installer), None)) is not None:
            return spare.result()
        return self._unmade(target, name, installer).create()

    def warmer(self, target: Target) -> FreshVenv:
        """The venv a warm of ``target`` runs pip download in: the same pip as the install
        check, whatever the interpreter has installed (the running Python's for a foreign
        target); always pip's, whatever installer the check uses."""
        return self.fresh(target if target.executable else sys.executable,
                          name=f"{WARMER}{target.label}", installer=PIP)

    def prepare(self, targets: Sequence[Target], warmers: bool = True) -> None:
        """Make each local target's install-check venv (and its warmer's) on helper
        threads."""
        local = [t for t in targets if t.executable]
        if not local:
            return
        self._making = self._making or concurrent.futures.ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="offline-index-venv")
        for target in local:
            kinds: list[tuple[str | None, str]] = [(None, self.installer)]
            if warmers:
                kinds.insert(0, (f"{WARMER}{target.label}", PIP))
            for name, installer in kinds:
                venv = self._unmade(target, name, installer)
                self._spares[_key(target, name, installer)] = self._making.submit(venv.create)

    def close(self) -> None:
        """Wait for the venvs being made; forget the spares."""
        if self._making is not None:
            self._making.shutdown(wait=True, cancel_futures=True)
            self._making = None
        self._spares.clear()

    def _unmade(self, target: Target, name: str | None, installer: str) -> FreshVenv:
        if target.executable is None:
            raise OfflineIndexError(f"{target.label}: a foreign target cannot run a venv here")
        warmer = (name or "").startswith(WARMER)
        # pid in the name: processes sharing one index share its work dir
        path = self.directory / f"{name or target.label}-{os.getpid()}-{next(self._serial)}"
        return FreshVenv(path, base_python=target.executable, run=self.run, terms=self.terms,
                         factory=lambda spec: self.fresh(spec, installer=installer),
                         installer=installer, download_only=warmer, warmed=self._warmed_for(target),
                         far_side=self.far_side)

    def _warmed_for(self, target: Target) -> Callable[[], Mapping[str, Sequence[str]]] | None:
        warmed = self.warmed
        return None if warmed is None else (lambda: warmed(target))


def _key(target: Target, name: str | None, installer: str) -> SpareKey:
    return (name or target.label, installer, target.executable or "")
