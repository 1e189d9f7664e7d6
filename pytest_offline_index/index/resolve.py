"""A foreign target resolved with its own markers: ``uv pip compile --python-platform``.

pip's ``download --platform`` evaluates environment markers for the host (pip#12466): for
``manylinux2014_aarch64`` on an x86_64 machine it takes a dependency behind
``platform_machine == "x86_64"`` and misses one behind ``"aarch64"``. uv's resolution for a
``--python-platform`` and ``--python-version`` evaluates them for the target. It runs like the
warm (in the client namespace, through the index under test, no config and no cache of the
user's), and gives exact pins and the files of each; of those, the one the target's own pip
would take is what the warm then fetches, by its hash (:func:`fetch_specs`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..client.installers import UV_COMMON, uv_env
from ..errors import UpstreamUnreachableError, WarmError
from ..execute.commands import Runner
from ..inputs.parsing import DEFAULT_UPSTREAM
from ..inputs.platforms import best_wheel, uv_missing, uv_platform
from ..inputs.requirements import walk
from ..inputs.targets import Target
from ..inputs.tools import uv_binary
from ..proof.holes import UV_NOT_FOUND, pip_error, project_of
from ..proof.origin import from_pylock
from ..util.redaction import redacted

NO_PLATFORM_WHEEL = re.compile(r"(\S+?)==(\S+) has no wheels with a matching platform tag")
NO_WHEEL = re.compile(r"(\S+?)==(\S+) has no usable wheels")
WHEELS_FOR = re.compile(r"Wheels are available for `[^`]+` \([^)]*\) on the following "
                        r"platforms?: (.+)$", re.MULTILINE)
FETCH_FAILED = re.compile(r"Failed to fetch: `?(\S+?)`?\s*$", re.MULTILINE)
SERVER_ERROR = re.compile(r"\b(5\d\d) [A-Z][A-Za-z ]+")
HASH = re.compile(r"--hash[= ]sha256:([0-9a-f]{64})")
MirrorStatus = Callable[[str], "int | None"]  # devpi's status for a project's mirror page


@dataclass(frozen=True)
class Pin:
    """One package of the target's resolution: the file its pip takes, and its hash."""

    name: str
    version: str
    filename: str
    sha256: str

    @property
    def line(self) -> str:
        return f"{self.name}=={self.version} --hash=sha256:{self.sha256}"

    @property
    def platforms(self) -> list[str]:
        return self.filename[: -len(".whl")].split("-")[-1].split(".")


def compile_argv(uv: str, python: str, simple_url: str, target: Target, sources: Path,
                 output: Path) -> list[str]:
    """``uv pip compile`` of ``sources`` for ``target``'s platform and Python, wheels only
    (the target's sdists cannot be built here), through ``simple_url`` alone; ``python``
    only runs uv's resolver, the target's markers come from the two options."""
    return [uv, "pip", "compile", *UV_COMMON, "--python", python,
            "--python-platform", uv_platform(target.platform or "").name,
            "--python-version", target.version, "--only-binary", ":all:",
            "--index-url", simple_url, "--format", "pylock.toml", "--output-file",
            str(output), str(sources)]


def sources_of(specs: Sequence[str]) -> str:
    """pip's warm arguments (packages, ``-r FILE``) as the lines of a requirements file."""
    lines, pending = [], list(specs)
    while pending:
        spec = pending.pop(0)
        lines.append(f"-r {pending.pop(0)}" if spec == "-r" and pending else spec)
    return "".join(f"{line}\n" for line in lines)


def pinned_hashes(specs: Sequence[str]) -> set[str]:
    """The sha256 hashes the requirements files among ``specs`` pin (a lock's, for one)."""
    files = [Path(specs[at + 1]) for at, spec in enumerate(specs[:-1]) if spec == "-r"]
    return {h for path in files for line in walk(path, constraints=False)
            for h in HASH.findall(line.text)}


def resolve(run: Runner, python: str, simple_url: str, target: Target, specs: Sequence[str],
            workdir: Path, *, upstream: str, mirror_status: MirrorStatus,
            upstream_failures: Callable[[], list[str]] = list) -> list[Pin]:
    """``specs`` resolved for ``target`` through ``simple_url``: one pin per package, the
    file the target's pip takes. uv's work files go in ``workdir``."""
    if why := uv_missing(f"{target.platform}:{target.version}"):
        raise WarmError(why)
    platform = uv_platform(target.platform or "")
    workdir.mkdir(parents=True, exist_ok=True)
    sources, lock = workdir / "requirements.in", workdir / "pylock.toml"
    sources.write_text(sources_of(specs))
    env = uv_env()
    env.update(platform.env)
    done = run(compile_argv(uv_binary(), python, simple_url, target, sources, lock), env)
    if done.timed_out:
        raise WarmError(f"resolving for {target.label} {done.why()}")
    if not done.ok:
        raise diagnose_resolve_failure(done.output, target, upstream, mirror_status,
                                       upstream_failures())
    pins, hashes = [], pinned_hashes(specs)
    for origin in from_pylock(lock).values():
        wheels = {s.filename: s.sha256 for s in origin.sources if s.filename.endswith(".whl")
                  and (not hashes or s.sha256 in hashes)}  # hashes given: only those files
        if not wheels:
            raise WarmError(f"{origin.project} {origin.version}: the index has no wheel of it "
                            f"for {target.label}" + (" with a hash the requirements pin"
                                                     if hashes else ""))
        chosen = best_wheel(list(wheels), target.platform or "", target.version)
        pins.append(Pin(origin.project, origin.version, chosen, wheels[chosen] or ""))
    return pins


def fetch_specs(pins: Sequence[Pin], workdir: Path) -> tuple[list[str], list[str]]:
    """pip's arguments that fetch exactly the pinned files (each by its hash, no
    dependencies: the resolution has them all), and the platform tags those files carry."""
    pinned = workdir / "pinned.txt"
    pinned.write_text("".join(f"{pin.line}\n" for pin in pins))
    platforms = list(dict.fromkeys(p for pin in pins for p in pin.platforms if p != "any"))
    return ["--no-deps", "--require-hashes", "-r", str(pinned)], platforms


def no_such_project(project: str, upstream: str) -> WarmError:
    """The upstream answered 404 for ``project``; where its URL does not look like a simple
    index (a site's root, say), that is the likelier cause, and is said."""
    hint = ""
    if "simple" not in urlsplit(upstream).path:
        hint = (f"; if {upstream} is not a simple index (PEP 503: a page per project at "
                f"URL/<project>/), give the index's URL, as {DEFAULT_UPSTREAM} for PyPI")
    return WarmError(f"{project}: no such project on the upstream index {upstream}{hint}")


def diagnose_resolve_failure(output: str, target: Target, upstream: str,
                             mirror_status: MirrorStatus,
                             upstream_failures: Sequence[str] = ()) -> Exception:
    """uv's failed resolution as one line: the upstream unreachable (the relay's reason),
    no such project, no wheel of a release for the target, or uv's own error."""
    upstream = redacted(upstream)
    if upstream_failures:
        return UpstreamUnreachableError(
            f"upstream unreachable while resolving for {target.label}: {upstream_failures[0]}")
    if found := UV_NOT_FOUND.search(output):
        project = project_of(found.group(1))
        status = mirror_status(project)
        if status is not None and status >= 500:
            return UpstreamUnreachableError(
                f"upstream unreachable while resolving for {target.label}: devpi answered "
                f"{status} for {project!r} from {upstream}")
        return no_such_project(project, upstream)
    if found := NO_PLATFORM_WHEEL.search(output):
        name, version = found.groups()
        hint = WHEELS_FOR.search(output)
        only = f" (its wheels are for {hint.group(1).replace('`', '')})" if hint else ""
        return WarmError(f"{name} {version}: no wheel for {target.label} on {upstream}{only}")
    if found := NO_WHEEL.search(output):
        name, version = found.groups()
        return WarmError(f"{name} {version}: no wheel on {upstream}, and a foreign target "
                         f"({target.label}) is served wheels only")
    if (fetch := FETCH_FAILED.search(output)) and (server := SERVER_ERROR.search(output)):
        return UpstreamUnreachableError(
            f"upstream unreachable while resolving for {target.label}: HTTP "
            f"{server.group(1)} for {fetch.group(1)}")
    return WarmError(f"resolving for {target.label} failed: {pip_error(output)}")
