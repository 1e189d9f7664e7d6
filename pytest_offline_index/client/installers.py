"""The installers a fresh venv can be made and filled with: pip, uv and devpi-client.

pip (the default) makes the venv as the far side does (``python -m venv``, see
:mod:`.farside`) and installs with its own ``pip install``. uv makes it with ``uv venv`` (no
seed packages) and installs with ``uv pip install``. devpi-client's ``devpi install`` runs the
far-side venv's own pip against the index ``devpi use`` points it at. Each runs with the
hermetic environment (no inherited ``PIP_*``/``UV_*``, no config file, no cache), naming the
index alone; uv and devpi-client come from the extras of the same names.

Each is an :class:`Installer` (``installer_named``): how it makes a venv, how it installs,
and how the origin check learns where each installed file came from.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import OfflineInstallError
from ..execute.commands import Completed, LineCallback, Runner
from ..execute.hermetic import NO_COMPILE, hermetic_env, index_args
from ..inputs.requirements import pins_hashes
from ..inputs.tools import (  # re-exported: what installers there are, and which run here
    DEVPI as DEVPI,
)
from ..inputs.tools import (
    INSTALLERS as INSTALLERS,
)
from ..inputs.tools import (
    PIP as PIP,
)
from ..inputs.tools import (
    UV as UV,
)
from ..inputs.tools import (
    not_installed,
)
from ..inputs.tools import (
    uv_binary as uv_binary,
)
from ..proof.holes import pip_error
from ..proof.origin import Origin, from_pip_report, from_pylock
from .farside import FarSide


def devpi_command() -> list[str]:
    """devpi-client, run by the harness's own interpreter."""
    return [sys.executable, "-m", "devpi"]


# -- uv -------------------------------------------------------------------------------------

UV_COMMON = ("--no-config", "--no-cache", "--no-python-downloads", "--color", "never",
             "--no-progress")


def uv_env() -> dict[str, str]:
    """The hermetic environment plus uv's own switches for the same things."""
    env = hermetic_env()
    env["UV_NO_CONFIG"] = "1"  # no uv.toml / pyproject.toml [tool.uv] anywhere
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["UV_HTTP_RETRIES"] = "0"  # devpi is local: a 502 for an uncached file will not go away
    return env


def uv_venv_argv(uv: str, base_python: str, path: str) -> list[str]:
    """``uv venv`` of exactly ``base_python`` (never a downloaded or discovered one)."""
    return [uv, "venv", *UV_COMMON, "--no-project", "--python-preference", "only-system",
            "--python", base_python, path]


def uv_install_argv(uv: str, venv_python: str, simple_url: str, requirements: Sequence[str],
                    requirements_file: str | None = None,
                    require_hashes: bool = False) -> list[str]:
    """``uv pip install`` into the venv of ``venv_python`` from ``simple_url`` alone.

    uv fetches an ``http://`` index without any trusted-host setting (it only has one for
    TLS verification), and its default index strategy stops at the one index there is.
    """
    argv = [uv, "pip", "install", *UV_COMMON, "--python", venv_python,
            "--index-url", simple_url, "--link-mode", "copy"]
    if requirements_file is not None:
        argv += ["-r", requirements_file]
        if require_hashes:
            argv.append("--require-hashes")
    return [*argv, *requirements]


def uv_resolve_argv(uv: str, venv_python: str, simple_url: str, sources: str,
                    output: str) -> list[str]:
    """``uv pip compile`` of ``sources`` (a requirements file) through ``simple_url`` for
    ``venv_python``, written as ``pylock.toml``: uv's only record of the files it takes."""
    return [uv, "pip", "compile", *UV_COMMON, "--python", venv_python, "--index-url",
            simple_url, "--format", "pylock.toml", "--output-file", output, sources]


# -- devpi-client ---------------------------------------------------------------------------

def devpi_index_url(simple_url: str) -> str:
    """The index URL ``devpi use`` takes: the simple URL without its ``+simple/``."""
    url = simple_url.rstrip("/")
    if url.endswith("/+simple"):
        url = url[: -len("/+simple")]
    return url


def devpi_env(simple_url: str) -> dict[str, str]:
    """Hermetic env for devpi-client and the pip it runs (which reads only ``PIP_*``)."""
    env = hermetic_env()
    env["PIP_NO_CACHE_DIR"] = "1"
    if urlsplit(simple_url).scheme == "http":  # an https index keeps its certificate checked
        env["PIP_TRUSTED_HOST"] = urlsplit(simple_url).hostname or ""
    env["PIP_RETRIES"] = "0"
    env["PIP_PROGRESS_BAR"] = "off"
    return env


def devpi_use_argv(devpi: Sequence[str], simple_url: str, clientdir: str,
                   venv: str) -> list[str]:
    return [*devpi, "use", "--clientdir", clientdir, "--venv", venv,
            devpi_index_url(simple_url)]


def devpi_install_argv(devpi: Sequence[str], clientdir: str, venv: str,
                       requirements: Sequence[str],
                       requirements_file: str | None = None) -> list[str]:
    """``devpi install`` runs ``<venv>/bin/pip install -U [--requirement] SPECS``."""
    argv = [*devpi, "install", "--clientdir", clientdir, "--venv", venv]
    if requirements_file is not None:
        argv += ["--requirement", requirements_file]
    return [*argv, *requirements]


def clientdir_for(venv_path: str) -> str:
    """devpi-client's state for one venv: inside that venv's own directory."""
    return os.path.join(venv_path, ".devpi-client")


# -- the strategies -------------------------------------------------------------------------

@dataclass(frozen=True)
class InstallRequest:
    """One install: what, from which index, and where pip writes its ``--report``."""

    simple_url: str
    requirements: tuple[str, ...]
    requirements_file: Path | None
    report: Path
    proxy: str | None = None  # the relay, for an existing index (its only way there)
    cert: Path | None = None  # the CA bundle to verify an existing https index with
    netrc: Path | None = None  # the existing index's credentials, as a netrc file
    # install the requirements again from the index, alone, though the venv has them
    reinstall: bool = False

    def env(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` with this install's netrc (every installer reads ``NETRC``)."""
        return {**base, "NETRC": str(self.netrc)} if self.netrc else base

    @property
    def require_hashes(self) -> bool:
        return self.requirements_file is not None and pins_hashes(self.requirements_file)


class Installer:
    """pip's way (``python -m venv``, ``pip install``); the others vary a step of it."""

    name = PIP
    steps = ""  # what a run says it does, where it is not pip's way

    def make_venv(self, run: Runner, base_python: str, path: Path, far_side: FarSide) -> None:
        """Make the install check's venv at ``path``; raise OfflineInstallError if not."""
        far_side.make(base_python, path)

    def install(self, run: Runner, python: str, path: Path, request: InstallRequest,
                on_line: LineCallback | None = None) -> Completed:
        # No retries: devpi is local, and a 502 for an uncached file will not go away.
        argv = [python, "-m", "pip", "install", *index_args(request.simple_url),
                "--retries", "0", NO_COMPILE, "--report", str(request.report)]
        if request.proxy:
            argv += ["--proxy", request.proxy]
        if request.cert:
            argv += ["--cert", str(request.cert)]
        if request.reinstall:
            argv += ["--force-reinstall", "--no-deps"]
        if request.requirements_file is not None:
            argv += ["-r", str(request.requirements_file)]
            if request.require_hashes:
                argv.append("--require-hashes")
        env = request.env(hermetic_env())
        if request.proxy:  # the pip that builds an sdist's build environment reads these
            env.update(HTTPS_PROXY=request.proxy, HTTP_PROXY=request.proxy)
        if request.cert:
            env["REQUESTS_CA_BUNDLE"] = str(request.cert)
        return run([*argv, *request.requirements], env, on_line)

    def origins(self, run: Runner, python: str, request: InstallRequest) -> dict[str, Origin]:
        """Where the install took each distribution from: pip's report."""
        return from_pip_report(request.report) if request.report.is_file() else {}


class UvInstaller(Installer):
    name = UV
    steps = "uv venv, then uv pip install"

    def make_venv(self, run: Runner, base_python: str, path: Path, far_side: FarSide) -> None:
        # uv's own far side: ``uv venv`` seeds nothing
        done = run(uv_venv_argv(uv_binary(), base_python, str(path)), uv_env())
        if not done.ok:
            raise OfflineInstallError(f"uv venv failed for {base_python}: {done.why()}")

    def install(self, run: Runner, python: str, path: Path, request: InstallRequest,
                on_line: LineCallback | None = None) -> Completed:
        reqs = str(request.requirements_file) if request.requirements_file else None
        again = ["--reinstall", "--no-deps"] if request.reinstall else []
        return run([*uv_install_argv(uv_binary(), python, request.simple_url,
                                     request.requirements, reqs,
                                     require_hashes=request.require_hashes), *again],
                   _uv_env_for(request), on_line)

    def origins(self, run: Runner, python: str, request: InstallRequest) -> dict[str, Origin]:
        """uv keeps no report: its own resolution of the same input through the same
        index, written as the pylock.toml it can write, says which file it takes."""
        sources = request.report.with_suffix(".in")
        reqs = [f"-r {request.requirements_file}"] if request.requirements_file else []
        sources.write_text("".join(f"{line}\n" for line in [*request.requirements, *reqs]))
        lock = request.report.with_name(f"{request.report.name}-uv") / "pylock.toml"
        lock.parent.mkdir(exist_ok=True)  # uv takes no other name
        done = run(uv_resolve_argv(uv_binary(), python, request.simple_url, str(sources),
                                   str(lock)), _uv_env_for(request))
        if not done.ok:
            raise OfflineInstallError(f"uv installed, but its resolution through the index, "
                                      f"to check where each file came from, failed: "
                                      f"{done.why(pip_error)}", output=done.output)
        return from_pylock(lock)


class DevpiInstaller(Installer):
    name = DEVPI
    steps = "python -m venv, then devpi use + devpi install"

    def install(self, run: Runner, python: str, path: Path, request: InstallRequest,
                on_line: LineCallback | None = None) -> Completed:
        clientdir, venv = clientdir_for(str(path)), str(path)
        env = request.env(devpi_env(request.simple_url))
        if request.proxy:  # devpi-client's own requests, and the pip it runs
            env.update(HTTPS_PROXY=request.proxy, HTTP_PROXY=request.proxy,
                       PIP_PROXY=request.proxy)
        if request.cert:
            env.update(REQUESTS_CA_BUNDLE=str(request.cert), PIP_CERT=str(request.cert))
        # no PIP_REQUIRE_HASHES: the pip building an sdist's build environment would inherit
        # it and refuse the (never hashed) build requirements; a file with --hash turns
        # hash-checking on for the install by itself
        env["PIP_REPORT"] = str(request.report)  # devpi install passes no options to its pip
        if request.reinstall:
            env.update(PIP_FORCE_REINSTALL="1", PIP_NO_DEPS="1")
        used = run(devpi_use_argv(devpi_command(), request.simple_url, clientdir, venv),
                   env, on_line)
        if not used.ok:
            return used
        reqs = str(request.requirements_file) if request.requirements_file else None
        done = run(devpi_install_argv(devpi_command(), clientdir, venv,
                                      request.requirements, reqs), env, on_line)
        return replace(done, output=used.output + done.output)  # its end, both outputs


def _uv_env_for(request: InstallRequest) -> dict[str, str]:
    """uv's hermetic environment, with the relay as its way out and the index's CA."""
    env = request.env(uv_env())
    if request.proxy:
        env.update(HTTPS_PROXY=request.proxy, HTTP_PROXY=request.proxy,
                   ALL_PROXY=request.proxy)
    if request.cert:
        env["SSL_CERT_FILE"] = str(request.cert)
    return env


WAYS: dict[str, Installer] = {PIP: Installer(), UV: UvInstaller(), DEVPI: DevpiInstaller()}


def installer_named(name: str) -> Installer:
    """The installer ``name``, refused in one line if it is unknown or not installed."""
    if name not in WAYS:
        raise OfflineInstallError(f"installer {name!r} is not one of {', '.join(INSTALLERS)}")
    if why := not_installed(name):
        raise OfflineInstallError(why)
    return WAYS[name]
