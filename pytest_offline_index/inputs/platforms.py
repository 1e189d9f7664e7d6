"""A foreign target's platform tag as uv resolves for it, and as its own pip ranks wheels.

pip's ``download --platform`` evaluates environment markers for the host (pip#12466), so a
foreign target is resolved by ``uv pip compile --python-platform``, which evaluates them for
the target. uv names its targets its own way (``aarch64-manylinux2014``, not
``manylinux2014_aarch64``) and knows a fixed set; a tag outside it is refused before the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging import tags

from ..errors import SettingsError
from .tools import UV, not_installed

ARCHES = {"x86_64": "x86_64", "aarch64": "aarch64"}  # manylinux and musllinux, uv's names
# the glibc minors uv names a manylinux target for (uv >= 0.6.15 has all of them)
GLIBC_MINORS = (17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40)
LEGACY = {"manylinux2014": 17, "manylinux2010": 12, "manylinux1": 5}  # PEP 600's aliases
MACOS_ARCHES = {"x86_64": "x86_64", "arm64": "aarch64"}
WINDOWS = {"win_amd64": "x86_64-pc-windows-msvc", "win_arm64": "aarch64-pc-windows-msvc",
           "win32": "i686-pc-windows-msvc"}
MANYLINUX = re.compile(r"^manylinux_2_(\d+)_(\w+?)$")
MUSLLINUX = re.compile(r"^musllinux_1_(\d+)_(\w+?)$")
MACOSX = re.compile(r"^macosx_(\d+)_(\d+)_(\w+?)$")
ACCEPTED = ("manylinux2014_ARCH, manylinux_2_X_ARCH (X: 17, 28, 31-40), musllinux_1_2_ARCH "
            "(ARCH: x86_64 or aarch64), macosx_X_Y_x86_64, macosx_X_Y_arm64, win_amd64, "
            "win_arm64, win32")


@dataclass(frozen=True)
class UvPlatform:
    """What ``uv pip compile`` is told for one tag: ``--python-platform`` and, for macOS,
    the oldest macOS the target runs (uv reads ``MACOSX_DEPLOYMENT_TARGET``)."""

    name: str
    env: tuple[tuple[str, str], ...] = ()


def uv_platform(tag: str) -> UvPlatform:
    """uv's target for the pip platform tag ``tag``, or one line naming the accepted forms."""
    if tag in WINDOWS:
        return UvPlatform(WINDOWS[tag])
    legacy, _, arch = tag.partition("_")
    if legacy == "manylinux2014" and arch in ARCHES:
        return UvPlatform(f"{ARCHES[arch]}-manylinux2014")
    if (match := MANYLINUX.match(tag)) and match.group(2) in ARCHES \
            and int(match.group(1)) in GLIBC_MINORS:
        return UvPlatform(f"{ARCHES[match.group(2)]}-manylinux_2_{match.group(1)}")
    if (match := MUSLLINUX.match(tag)) and match.group(2) in ARCHES and match.group(1) == "2":
        return UvPlatform(f"{ARCHES[match.group(2)]}-unknown-linux-musl")
    if (match := MACOSX.match(tag)) and match.group(3) in MACOS_ARCHES:
        return UvPlatform(f"{MACOS_ARCHES[match.group(3)]}-apple-darwin",
                          (("MACOSX_DEPLOYMENT_TARGET", f"{match.group(1)}.{match.group(2)}"),))
    raise SettingsError(f"platform {tag!r}: uv cannot resolve for this tag; give one of "
                        f"{ACCEPTED}")


def uv_missing(spec: str) -> str | None:
    """Why the foreign target ``spec`` (TAG:VERSION) cannot be resolved here: uv is not
    installed, or too old (one line saying how to install it); None when it can."""
    if (why := not_installed(UV)) is None:
        return None
    return (f"platform {spec}: a foreign target is resolved for its platform by uv; "
            f"{why.split(': ', 1)[1]}")


def platforms_of(tag: str) -> list[str]:
    """The platform tags a machine of ``tag`` installs, best first, as its pip orders them
    (a glibc 2.28 machine prefers a ``manylinux_2_28`` wheel to a ``manylinux2014`` one)."""
    legacy, _, arch = tag.partition("_")
    if legacy in LEGACY:
        return _glibc(LEGACY[legacy], arch)
    if match := MANYLINUX.match(tag):
        return _glibc(int(match.group(1)), match.group(2))
    if match := MUSLLINUX.match(tag):
        arch = match.group(2)
        return [*(f"musllinux_1_{m}_{arch}" for m in range(int(match.group(1)), -1, -1)),
                f"linux_{arch}"]
    if match := MACOSX.match(tag):
        return list(tags.mac_platforms((int(match.group(1)), int(match.group(2))),
                                       match.group(3)))
    return [tag]


def _glibc(minor: int, arch: str) -> list[str]:
    found = []
    for at in range(minor, 4 if arch in ("x86_64", "i686") else 16, -1):
        found.append(f"manylinux_2_{at}_{arch}")
        found += [f"{name}_{arch}" for name, alias in LEGACY.items() if alias == at]
    return [*found, f"linux_{arch}"]


def best_wheel(filenames: list[str], tag: str, version: str) -> str:
    """Which of ``filenames`` (wheels of one release) CPython ``version`` on ``tag`` installs:
    pip's choice there, by its order of supported tags."""
    major, minor = (int(part) for part in version.split("."))
    platforms = platforms_of(tag)
    order = {t: at for at, t in enumerate([
        *tags.cpython_tags((major, minor), platforms=platforms),
        *tags.compatible_tags((major, minor), f"cp{major}{minor}", platforms)])}
    return min(filenames, key=lambda name: min(
        (order.get(t, len(order)) for t in tags.parse_tag(_tag_of(name))), default=len(order)))


def _tag_of(filename: str) -> str:
    return "-".join(filename[: -len(".whl")].split("-")[-3:])
