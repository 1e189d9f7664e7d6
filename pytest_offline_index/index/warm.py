"""Warming an index: ``pip download`` through it, from the client side, for one target.

Warming runs in the client namespace, which can reach only the server: so only devpi ever
talks to the upstream, exactly as it would on a real air-gapped network. :class:`Warmer`
adds what one download does not: the build requirements of every sdist it fetched (in
bounded rounds), the kept cache dir asked alone first, and the proof that each file came
through devpi.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ..devpi.log import log_size, read_from_upstream, tls_failures
from ..devpi.server import DevpiServer
from ..errors import UpstreamUnreachableError, WarmError
from ..execute.commands import LineCallback, Runner
from ..execute.hermetic import index_args
from ..inputs.parsing import parse_packages
from ..inputs.requirements import check_sources
from ..inputs.targets import Target
from ..proof.as_warmed import warmed_versions
from ..proof.holes import (
    hash_refusal,
    offered_versions,
    pip_error,
    project_of,
    unmatched_requirement,
    versions_said,
)
from ..proof.origin import foreign_files
from ..util.files import sha256_of
from ..util.redaction import redacted
from .builddeps import build_requirements_of
from .resolve import fetch_specs, no_such_project, resolve

HTTP_ERROR = re.compile(r"HTTP error (\d{3}) while getting (\S+)")
# after its retries, pip names a 5xx only as the cause of too many retries
RETRIED_ERROR = re.compile(
    r"Max retries exceeded with url: (\S+) \(Caused by ResponseError\('too many (\d{3}) ")
# pip < 26 prints the URL, pip 26 only the file name: "Downloading six-1.17.0-....whl (11 kB)"
DOWNLOAD_LINE = re.compile(r"^\s*Downloading (?:\S*/)?([^/\s]+)(?: \(([^)]*)\))?")
MirrorStatus = Callable[[str], "int | None"]  # devpi's status for a project's mirror page
UpstreamFailures = Callable[[], "list[str]"]  # why the relay could not reach the upstream
RelayFailures = Callable[[float], "list[str]"]  # the relay's failures since a monotonic time
Issuer = Callable[[str, int], "str | None"]  # who issued the certificate host:port shows
COMMIT_WAIT = 60.0  # seconds devpi may take to store a file it read from the upstream
BUILD_DEP_ROUNDS = 5  # backends of backends; bounded


@dataclass(frozen=True)
class WarmResult:
    python: str
    files: tuple[Path, ...]
    seconds: float
    sizes: tuple[int, ...] = ()  # bytes of each file, taken when warmed (files may go later)
    build_requirements: tuple[str, ...] = ()  # the sdists' among them, warmed too
    sha256: tuple[str, ...] = ()  # of each file, once: the origin check's, the bundle's

    @classmethod
    def of(cls, python: str, files: tuple[Path, ...], seconds: float,
           build_requirements: tuple[str, ...] = (),
           sha256: tuple[str, ...] = ()) -> WarmResult:
        return cls(python, files, seconds, tuple(f.stat().st_size for f in files),
                   build_requirements, sha256)

    @property
    def bytes(self) -> int:
        return sum(self.sizes)


def download(run: Runner, simple_url: str, specs: Sequence[str], *, python: str, dest: Path,
             upstream: str, mirror_status: MirrorStatus,
             upstream_failures: UpstreamFailures = list, on_line: LineCallback | None = None,
             target: Target | None = None,
             platforms: Sequence[str] = ()) -> WarmResult:
    """Download ``specs`` and their dependencies through the index for ``python`` (or, for
    a foreign ``target``, for its platform tag, or the tags ``platforms``, and its Python
    version: pip evaluates markers for this host then, so its specs are the target's
    resolution, pinned, see :mod:`.resolve`).

    On failure, the relay's own view (``upstream_failures``) and devpi's answer for the
    project (``mirror_status``) tell "upstream unreachable, and why" from "no such package".
    """
    dest.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    argv = [python, "-m", "pip", "download", *index_args(simple_url), "-d", str(dest)]
    if target is not None and target.foreign:  # only its wheels can be fetched, none built
        for platform in platforms or [target.platform or ""]:
            argv += ["--platform", platform]
        argv += ["--python-version", target.version, "--only-binary=:all:",
                 "--implementation", "cp"]
    argv += list(specs)

    def progress(line: str) -> None:
        if on_line and (match := DOWNLOAD_LINE.match(line)):
            size = f" ({match.group(2)})" if match.group(2) else ""
            on_line(f"downloading {unquote(match.group(1))}{size}")

    done = run(argv, on_line=progress)
    if done.timed_out:
        raise WarmError(f"warm {done.why()} for {' '.join(specs)}")
    if not done.ok:
        raise diagnose_warm_failure(done.output, specs, upstream, mirror_status,
                                    upstream_failures())
    files = tuple(sorted(p for p in dest.iterdir() if p.is_file()))
    return WarmResult.of(python, files, time.monotonic() - started)


def warm_specs(requirements: Sequence[str] = (),
               requirements_file: Path | str | None = None) -> tuple[str, ...]:
    """pip's arguments for a warm of ``requirements`` and a requirements file, each
    refused in one line if it names a source other than the index."""
    extra: tuple[str, ...] = ()
    if requirements_file:
        path = Path(requirements_file).resolve()
        check_sources(path)
        extra = ("-r", str(path))
    return (*extra, *(parse_packages(requirements) if requirements else ()))


@dataclass(frozen=True)
class WarmRecord:
    """What every warm of the run fetched, per target: a file per target in the work dir
    that every process of the run shares (an install checks against it)."""

    dir: Path

    def add(self, target: Target, files: Iterable[Path]) -> None:
        self.dir.mkdir(exist_ok=True)
        with (self.dir / f"{target.label}.txt").open("a") as stream:  # one short append
            stream.write("".join(f"{f.name}\n" for f in files))

    def versions(self, target: Target) -> dict[str, tuple[str, ...]]:
        try:
            return warmed_versions((self.dir / f"{target.label}.txt").read_text().split())
        except OSError:
            return {}


def not_held(server: DevpiServer, files: Sequence[Path], digests: Sequence[str]) -> list[str]:
    """One line for each of ``files`` devpi does not hold, byte for byte. devpi streams a
    file from the upstream to pip through memory and stores it afterwards, in a write
    transaction that waits its turn: on a loaded machine, after pip has finished. A file
    devpi's log says it read from the upstream is waited for (bounded); one it never read
    is foreign at once."""
    pairs = list(zip(files, digests, strict=True))
    deadline = time.monotonic() + COMMIT_WAIT
    while True:
        held = server.held_files()
        missing = [(path, digest) for path, digest in pairs if digest not in held]
        coming = missing and not read_from_upstream(server.log_path).isdisjoint(
            path.name for path, _ in missing)  # (it logs a file before it writes it)
        if not coming or time.monotonic() > deadline:
            return foreign_files(missing, held)
        time.sleep(0.1)


class Warmer:
    """Warms ``server`` for one target at a time, from the client, through ``run``."""

    def __init__(self, server: DevpiServer, run: Runner, upstream: str, record: WarmRecord,
                 relay_failures: RelayFailures, progress: Callable[[str], None],
                 alive: Callable[[], None] | None = None,
                 issuer: Issuer | None = None) -> None:
        self.server = server
        self.alive = alive or server.ensure_alive  # raises ServerError if devpi is gone
        self.run = run
        self.upstream = upstream
        self.record = record
        self.relay_failures = relay_failures
        self.issuer = issuer  # names a certificate devpi refused (None: not from here)
        self.progress = progress

    def warm(self, target: Target, python: str, specs: Sequence[str], dest: Path,
             ) -> WarmResult:
        """Warm ``target`` with the warmer venv's ``python`` into ``dest`` (a dir of this
        warm's own): what it fetched, the sdists' build requirements included."""
        started = time.monotonic()
        if self.server.offline:  # a kept cache dir: first ask it alone, with no upstream
            try:
                build_reqs = self._everything(target, python, specs, dest)
            except (WarmError, UpstreamUnreachableError):
                self.progress(f"warm [{target.label}]: the cache dir lacks something; "
                              f"restarting devpi-server to fetch it from the upstream")
                shutil.rmtree(dest, ignore_errors=True)
                self.server.restart(offline=False)
                build_reqs = self._everything(target, python, specs, dest)
        else:
            build_reqs = self._everything(target, python, specs, dest)
        files = tuple(sorted(p for p in dest.iterdir() if p.is_file()))
        digests = tuple(map(sha256_of, files))
        if foreign := not_held(self.server, files, digests):
            raise WarmError(f"{target.label}: " + "; ".join(foreign))
        self.record.add(target, files)
        return WarmResult.of(python, files, time.monotonic() - started, build_reqs, digests)

    def _everything(self, target: Target, python: str, specs: Sequence[str],
                    dest: Path) -> tuple[str, ...]:
        first = self._download(target, python, specs, dest)
        if target.foreign:
            return ()
        warmed: dict[str, None] = {}
        pending = build_requirements_of(first.files)
        for _ in range(BUILD_DEP_ROUNDS):
            new = [req for req in pending if req not in warmed]
            if not new:
                break
            warmed.update(dict.fromkeys(new))
            pending = build_requirements_of(
                self._download(target, python, new, dest).files)
        return tuple(warmed)

    def _download(self, target: Target, python: str, specs: Sequence[str],
                  dest: Path) -> WarmResult:
        started, log_offset = time.monotonic(), log_size(self.server.log_path)

        def upstream_failures() -> list[str]:
            return [*self.relay_failures(started),
                    *tls_failures(self.server.log_path, log_offset, self.server.ca_bundle,
                                 self.issuer)]

        platforms: list[str] = []
        try:
            if target.foreign:  # resolved for its own markers, then exactly its files
                work = dest.with_name(f"{dest.name}-resolved")
                pins = resolve(self.run, python, self.server.simple_url, target, specs, work,
                               upstream=self.upstream, mirror_status=self.server.mirror_status,
                               upstream_failures=upstream_failures)
                self.progress(f"warm [{target.label}]: resolved for the target: "
                              f"{', '.join(f'{p.name}=={p.version}' for p in pins)}")
                specs, platforms = fetch_specs(pins, work)
            return download(
                self.run, self.server.simple_url, specs, python=python, dest=dest,
                upstream=self.upstream, mirror_status=self.server.mirror_status,
                upstream_failures=upstream_failures,
                on_line=lambda line: self.progress(f"warm [{target.label}]: {line}"),
                target=target, platforms=platforms)
        except (WarmError, UpstreamUnreachableError):
            self.alive()  # a dead server is the better explanation
            raise


def diagnose_warm_failure(output: str, specs: Sequence[str], upstream: str,
                          mirror_status: MirrorStatus,
                          upstream_failures: Sequence[str] = ()) -> Exception:
    """Turn pip's output into one error: upstream unreachable (naming the relay's reason),
    unknown package, or pip's own line."""
    upstream = redacted(upstream)  # named in the error, never with its credentials
    if upstream_failures:
        return UpstreamUnreachableError(
            f"upstream unreachable during warm of {' '.join(specs)}: {upstream_failures[0]}")
    name = unmatched_requirement(output)
    if name:
        project = project_of(name)
        status = mirror_status(project)
        if status is not None and status >= 500:
            return UpstreamUnreachableError(
                f"upstream unreachable during warm: devpi answered {status} for {project!r} "
                f"from {upstream}")
        if status == 404:
            return no_such_project(project, upstream)
        offered = offered_versions(output)
        return WarmError(f"{name}: no matching distribution on {upstream} for this Python"
                         + ("" if offered is None else f"; {versions_said(offered)}"))
    if (http := HTTP_ERROR.search(output)) and http.group(1).startswith("5"):
        return UpstreamUnreachableError(
            f"upstream unreachable during warm: HTTP {http.group(1)} for {http.group(2)}")
    if (retried := RETRIED_ERROR.search(output)) and retried.group(2).startswith("5"):
        return UpstreamUnreachableError(
            f"upstream unreachable during warm: HTTP {retried.group(2)} for "
            f"{unquote(retried.group(1))}")
    return WarmError(f"warm failed for {' '.join(specs)}: "
                     f"{hash_refusal(output) or pip_error(output)}")
