"""Warming an index: ``pip download`` through it, from the client side, for one target.

Warming runs in the client namespace, which can reach only the server: so only devpi ever
talks to the upstream, exactly as it would on a real air-gapped network.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from .commands import LineCallback, run
from .errors import UpstreamUnreachableError, WarmError
from .hermetic import hermetic_env, index_args, with_tmpdir
from .holes import pip_error, project_of, unmatched_requirement
from .netns import Place

HTTP_ERROR = re.compile(r"HTTP error (\d{3}) while getting (\S+)")
# after its retries, pip names a 5xx only as the cause of too many retries
RETRIED_ERROR = re.compile(
    r"Max retries exceeded with url: (\S+) \(Caused by ResponseError\('too many (\d{3}) ")
# pip < 26 prints the URL, pip 26 only the file name: "Downloading six-1.17.0-....whl (11 kB)"
DOWNLOAD_LINE = re.compile(r"^\s*Downloading (?:\S*/)?([^/\s]+)(?: \(([^)]*)\))?")
MirrorStatus = Callable[[str], "int | None"]  # devpi's status for a project's mirror page
UpstreamFailures = Callable[[], "list[str]"]  # why the relay could not reach the upstream


@dataclass(frozen=True)
class WarmResult:
    python: str
    files: tuple[Path, ...]
    seconds: float
    sizes: tuple[int, ...] = ()  # bytes of each file, taken when warmed (files may go later)

    @classmethod
    def of(cls, python: str, files: tuple[Path, ...], seconds: float) -> WarmResult:
        return cls(python, files, seconds, tuple(f.stat().st_size for f in files))

    @property
    def bytes(self) -> int:
        return sum(self.sizes)


def warm(simple_url: str, specs: Sequence[str], *, python: str, dest: Path,
         namespace: Place | None, upstream: str, mirror_status: MirrorStatus,
         upstream_failures: UpstreamFailures = list, timeout: float = 900.0,
         on_line: LineCallback | None = None, platform: str | None = None,
         python_version: str | None = None, build_isolation: bool = True,
         tmpdir: Path | None = None) -> WarmResult:
    """Download ``specs`` and their dependencies through the index for ``python``
    (or, with ``platform``, for that platform tag and ``python_version``).

    On failure, the relay's own view (``upstream_failures``) and devpi's answer for the
    project (``mirror_status``) tell "upstream unreachable, and why" from "no such package".
    """
    dest.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    argv = [python, "-m", "pip", "download", *index_args(simple_url), "-d", str(dest)]
    if platform:  # a foreign target: only its wheels can be fetched, none built
        argv += ["--platform", platform, "--python-version", python_version or "",
                 "--only-binary=:all:", "--implementation", "cp"]
    if not build_isolation:  # sdists' metadata is prepared with the warming venv's own tools
        argv.append("--no-build-isolation")
    argv += list(specs)

    def progress(line: str) -> None:
        if on_line and (match := DOWNLOAD_LINE.match(line)):
            size = f" ({match.group(2)})" if match.group(2) else ""
            on_line(f"downloading {unquote(match.group(1))}{size}")

    done = run(argv, namespace=namespace, env=with_tmpdir(hermetic_env(), tmpdir),
               timeout=timeout,
               on_line=progress)
    if done.timed_out:
        raise WarmError(f"warm timed out after {timeout:.0f}s for {' '.join(specs)}")
    if not done.ok:
        raise diagnose_warm_failure(done.output, specs, upstream, mirror_status,
                                    upstream_failures())
    files = tuple(sorted(p for p in dest.iterdir() if p.is_file()))
    return WarmResult.of(python, files, time.monotonic() - started)


def diagnose_warm_failure(output: str, specs: Sequence[str], upstream: str,
                          mirror_status: MirrorStatus,
                          upstream_failures: Sequence[str] = ()) -> Exception:
    """Turn pip's output into one error: upstream unreachable (naming the relay's reason),
    unknown package, or pip's own line."""
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
            return WarmError(f"{project}: no such project on the upstream index {upstream}")
        return WarmError(f"{name}: no matching distribution on {upstream} for this Python")
    if (http := HTTP_ERROR.search(output)) and http.group(1).startswith("5"):
        return UpstreamUnreachableError(
            f"upstream unreachable during warm: HTTP {http.group(1)} for {http.group(2)}")
    if (retried := RETRIED_ERROR.search(output)) and retried.group(2).startswith("5"):
        return UpstreamUnreachableError(
            f"upstream unreachable during warm: HTTP {retried.group(2)} for "
            f"{unquote(retried.group(1))}")
    return WarmError(f"warm failed for {' '.join(specs)}: {pip_error(output)}")
