"""The bundle item: a target's part of the export written, then proven the far side's way —
installed from the wheelhouse alone, then from a devpi-server imported from ``devpi/``, each
in a network namespace of its own, exactly as the check installed it, and imported."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..client.venv import ImportResult
from ..errors import BundleError, ImportCheckError, OfflineInstallError
from ..index.warm import WarmResult
from ..inputs.targets import Target
from ..outcomes import NotInstallChecked
from ..proof.as_warmed import warmed_versions
from ..steps import Status
from .devpi import export_index
from .export import BUNDLED_ONLY, Bundle


class BundleVenv(Protocol):
    """What a proof asks of a fresh venv (``FreshVenv``)."""

    added: dict[str, str]

    def install_bundle(self, wheelhouse: Path, requirements: Path) -> None: ...

    def install_from_devpi_export(self, export: Path, requirements: Path, index: str,
                                  workdir: Path) -> None: ...

    def check_imports(self, *modules: str, distributions: Sequence[str] = (),
                      every: bool = True) -> list[ImportResult]: ...


class DevpiOfTheRun(Protocol):
    """What a proof asks of the run's devpi-server (``DevpiServer``)."""

    serverdir: Path

    @property
    def index_name(self) -> str: ...


@dataclass
class BundleProof:
    """Writes and proves the parts of ``bundle``: with venvs from ``fresh_venv``, devpi's
    export of ``server`` (None: no devpi of the run's own), scratch dirs in ``workdir``."""

    bundle: Bundle
    fresh_venv: Callable[[Target], BundleVenv]
    server: Callable[[], DevpiOfTheRun | None]
    workdir: Path
    timeout: float

    def prove(self, target: Target, warm: WarmResult | None,
              installed: Mapping[str, str] | None,
              imports: Callable[[BundleVenv], Sequence[ImportResult]]) -> str:
        """``target``'s part written and proven, and the manifest told how it fared; what
        its item says. A foreign target's is written only (NotInstallChecked); any failure
        is one line (BundleError)."""
        try:
            detail = self._prove(target, warm, installed, imports)
        except NotInstallChecked as exc:
            self.bundle.result(target.label, BUNDLED_ONLY, str(exc))
            raise
        except BaseException as exc:
            self.bundle.result(target.label, str(Status.FAILED), str(exc))
            raise
        self.bundle.result(target.label, str(Status.PASSED), detail)
        return detail

    def _prove(self, target: Target, warm: WarmResult | None,
               installed: Mapping[str, str] | None,
               imports: Callable[[BundleVenv], Sequence[ImportResult]]) -> str:
        if warm is None or (installed is None and not target.foreign):
            raise BundleError(f"{target.label}: nothing to bundle: the warm and the install "
                              f"check of this target did not pass")
        # a foreign target's warm is wheels only, no build requirements: each is a pin
        pins = dict(installed) if installed is not None else {
            name: versions[-1]
            for name, versions in warmed_versions(f.name for f in warm.files).items()}
        bundle = self.bundle
        requirements = bundle.add(target.label, target.version, target.platform, pins,
                                  zip(warm.files, warm.sha256, strict=True))
        part = bundle.parts[target.label]
        devpi, index = self._devpi_written()
        where = f"{bundle.wheelhouse} ({len(part.files)} files, {warm.bytes / 1e6:.1f} MB)"
        if target.foreign:
            raise NotInstallChecked(f"{target.label}: {requirements.name} and its files "
                                    f"written to {where}; bundled, not install-checked "
                                    f"(foreign platform)")
        venv = self.fresh_venv(target)
        try:
            venv.install_bundle(bundle.wheelhouse, requirements)
        except OfflineInstallError as exc:
            gone = [name for name in part.files if not (bundle.wheelhouse / name).exists()]
            why = (f"missing from the wheelhouse: {', '.join(gone)}" if gone
                   else f"pip: {exc.message}")
            raise BundleError(f"{target.label}: {requirements.name} does not install from "
                              f"{bundle.wheelhouse} alone: {why}") from None
        _same(target, "the bundle installed", venv.added, pins)
        served = self._devpi_proof(devpi, index, target, requirements, pins)
        try:
            results = imports(venv)
        except ImportCheckError as exc:
            raise BundleError(f"{target.label}: installed from the bundle, but {exc}"
                              ) from None
        return (f"{requirements.name}: {len(pins)} distribution(s) from {where} with pip "
                f"--no-index{served}, in a network namespace of its own; "
                f"{', '.join(r.detail for r in results)}")

    def _devpi_written(self) -> tuple[Path, str]:
        """The bundle's devpi part (written once, for every target), and its index."""
        server = self.server()
        if server is None:
            raise BundleError("no devpi-server of the run's own to export")
        export = functools.partial(export_index, server.serverdir, timeout=self.timeout)
        return self.bundle.devpi_exported(export, server.index_name), server.index_name

    def _devpi_proof(self, devpi: Path, index: str, target: Target, requirements: Path,
                     pins: Mapping[str, str]) -> str:
        """``target``'s install from a fresh devpi-server imported from ``devpi``, offline;
        what the item says of it."""
        venv = self.fresh_venv(target)
        try:
            venv.install_from_devpi_export(devpi, requirements, index,
                                           self.workdir / "bundle-devpi" / target.label)
        except OfflineInstallError as exc:
            raise BundleError(f"{target.label}: {devpi} imported into a fresh devpi-server, "
                              f"offline, does not serve {requirements.name}: {exc.message}"
                              ) from None
        _same(target, "the devpi export served", venv.added, pins)
        return f", and from {devpi} imported into a fresh devpi-server --offline-mode"


def _same(target: Target, what: str, got: Mapping[str, str], pins: Mapping[str, str]) -> None:
    if dict(got) != dict(pins):
        raise BundleError(f"{target.label}: {what} {_pins(got)}, the check installed "
                          f"{_pins(pins)}")


def _pins(versions: Mapping[str, str]) -> str:
    return ", ".join(f"{name}=={version}" for name, version in sorted(versions.items()))
