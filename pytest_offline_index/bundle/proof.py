"""The bundle item: a target's part of the export written, then proven the far side's way —
installed from the wheelhouse alone, then from a devpi-server imported from ``devpi/``, each
in a network namespace of its own, exactly as the check installed it, and imported."""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import BundleError, ImportCheckError, OfflineInstallError, SeedWrittenError
from ..execute.commands import Completed
from ..findings import ImportResult
from ..index.warm import WarmResult
from ..inputs.export_dir import BUNDLED_ONLY
from ..inputs.targets import Target
from ..netns import without_network
from ..outcomes import NotInstallChecked
from ..proof.as_warmed import added, distributions_in, warmed_versions
from ..proof.holes import holes_in, pip_error
from ..steps import Status
from ..util.interrupts import interrupted_by
from ..util.words import count, size
from .devpi import PIP_INSTALL, export_index, proof_argv
from .export import Bundle
from .landed import ImportRequest


class BundleVenv(Protocol):
    """What a proof asks of a fresh venv (``FreshVenv``)."""

    path: Path

    @property
    def python(self) -> str: ...

    def command(self, argv: Sequence[str]) -> Completed: ...

    def check_seed(self) -> None: ...

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
              request: ImportRequest) -> str:
        """``target``'s part written and proven, and the manifest told how it fared; what
        its item says. A foreign target's is written only (NotInstallChecked); any failure
        is one line (BundleError)."""
        try:
            detail = self._prove(target, warm, installed, request)
        except NotInstallChecked as exc:
            self.bundle.result(target.label, BUNDLED_ONLY, str(exc))
            raise
        except BaseException as exc:
            by = interrupted_by(exc)
            self.bundle.result(target.label, str(Status.INTERRUPTED if by else Status.FAILED),
                               by or str(exc))
            raise
        self.bundle.result(target.label, str(Status.PASSED), detail)
        return detail

    def _prove(self, target: Target, warm: WarmResult | None,
               installed: Mapping[str, str] | None,
               request: ImportRequest) -> str:
        if warm is None or (installed is None and not target.foreign):
            raise BundleError(f"{target.label}: nothing to bundle: the warm and the install "
                              f"check of this target did not pass")
        # a foreign target's warm is wheels only, no build requirements: each is a pin
        pins = dict(installed) if installed is not None else {
            name: versions[-1]
            for name, versions in warmed_versions(f.name for f in warm.files).items()}
        bundle = self.bundle
        requirements = bundle.add(target.label, target.version, target.platform, pins,
                                  zip(warm.files, warm.sha256, strict=True), request)
        part = bundle.parts[target.label]
        devpi, index = self._devpi_written()
        where = f"{bundle.wheelhouse} ({count(len(part.files), 'file')}, {size(warm.bytes)})"
        if target.foreign:
            raise NotInstallChecked(f"{target.label}: {requirements.name} and its files "
                                    f"written to {where}; bundled, not install-checked "
                                    f"(foreign platform)")
        venv = self.fresh_venv(target)
        try:
            got = install_bundle(venv, bundle.wheelhouse, requirements)
        except SeedWrittenError as exc:
            raise BundleError(f"{target.label}: " + seed_written(
                requirements.name, f"{bundle.wheelhouse} alone", exc)) from None
        except OfflineInstallError as exc:
            gone = [name for name in part.files if not (bundle.wheelhouse / name).exists()]
            why = (f"missing from the wheelhouse: {', '.join(gone)}" if gone
                   else f"pip: {exc.message}")
            raise BundleError(f"{target.label}: {requirements.name} does not install from "
                              f"{bundle.wheelhouse} alone: {why}") from None
        _same(target, "the bundle installed", got, pins)
        served = self._devpi_proof(devpi, index, target, requirements, pins)
        try:
            results = request.check(venv)
        except ImportCheckError as exc:
            raise BundleError(f"{target.label}: installed from the bundle, but {exc}"
                              ) from None
        return (f"{requirements.name}: {count(len(pins), 'distribution')} from {where} with pip "
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
            got = install_from_devpi_export(venv, devpi, requirements, index,
                                           self.workdir / "bundle-devpi" / target.label)
        except SeedWrittenError as exc:
            raise BundleError(f"{target.label}: " + seed_written(
                requirements.name, f"{devpi} imported into a fresh devpi-server, offline",
                exc)) from None
        except OfflineInstallError as exc:
            raise BundleError(f"{target.label}: {devpi} imported into a fresh devpi-server, "
                              f"offline, does not serve {requirements.name}: {exc.message}"
                              ) from None
        _same(target, "the devpi export served", got, pins)
        return f", and from {devpi} imported into a fresh devpi-server --offline-mode"


def seed_written(requirements: str, source: str, exc: SeedWrittenError) -> str:
    """What a bundle's install says when it (a build in the bundle) wrote into the seed its
    venv shares with others: the harness's finding, not pip's, whether pip passed or not."""
    return f"installing {requirements} from {source}: {exc.message}"


def install_bundle(venv: BundleVenv, wheelhouse: Path, requirements: Path,
                   sandbox: bool = True) -> dict[str, str]:
    """Install ``requirements`` from ``wheelhouse`` alone, as the far side of a gap does
    (``pip install --no-index --find-links``, hashes required), in a network namespace of
    its own (unless not ``sandbox``): no index, no link, nothing to reach. What it added;
    OfflineInstallError naming what pip could not find (SeedWrittenError: it wrote into the
    venv's shared seed)."""
    argv = [venv.python, *PIP_INSTALL, "--no-index", "--find-links", str(wheelhouse),
            "-r", str(requirements)]
    return _install_alone(venv, without_network(argv) if sandbox else argv)


def install_from_devpi_export(venv: BundleVenv, export: Path, requirements: Path, index: str,
                              workdir: Path, sandbox: bool = True) -> dict[str, str]:
    """Install ``requirements`` from a fresh devpi-server imported from ``export``
    (devpi-export's), offline, in a network namespace whose only interface is its own
    loopback (unless not ``sandbox``: then on the host's); its server dir and log go in
    ``workdir``. What it added."""
    workdir.mkdir(parents=True, exist_ok=True)
    serverdir = Path(tempfile.mkdtemp(prefix="serverdir-", dir=workdir))
    serverdir.rmdir()  # devpi-import makes it: it refuses one that exists
    try:
        return _install_alone(venv, proof_argv(export, serverdir, venv.python, requirements,
                                               index, serverdir.with_suffix(".log"),
                                               sandbox))
    finally:
        shutil.rmtree(serverdir, ignore_errors=True)


def _install_alone(venv: BundleVenv, argv: Sequence[str]) -> dict[str, str]:
    before = distributions_in(venv.path)
    done = venv.command(argv)
    venv.check_seed()  # what it shares with the run's other venvs is as it was
    if not done.ok:
        holes = holes_in(done.output)
        why = (", ".join(str(h) for h in holes) if holes and not done.timed_out
               else done.why(pip_error))
        raise OfflineInstallError(why, holes=holes, output=done.output)
    return added(before, distributions_in(venv.path))


def _same(target: Target, what: str, got: Mapping[str, str], pins: Mapping[str, str]) -> None:
    if dict(got) != dict(pins):
        raise BundleError(f"{target.label}: {what} {_pins(got)}, the check installed "
                          f"{_pins(pins)}")


def _pins(versions: Mapping[str, str]) -> str:
    return ", ".join(f"{name}=={version}" for name, version in sorted(versions.items()))
