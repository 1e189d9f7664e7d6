"""The locked project of the lockfile tests: its distributions, as the local upstream serves
them, and where its locks (written once by real uv from that upstream) are kept.

The dists are byte-for-byte reproducible (tests/support/dists.py), so a lock written once
stays true for every later upstream that publishes them; the URLs in the locks name a port
long gone, which is the point: a check that fetched a locked URL would fail.
"""

from __future__ import annotations

from pathlib import Path

from .dists import Dist, embedded_wheel
from .upstream import LocalUpstream

LOCKS = Path(__file__).parent.parent / "data" / "locks"
UV_VERSION = "0.13.9"  # the uv that wrote them (tests/data/locks/make_locks.py)

APP = Dist("lockapp", "1.0", requires=("lockdep>=1", "lockwin; sys_platform == 'win32'"))
DEP = Dist("lockdep", "1.0", sdist=True)  # built offline from its sdist at the install
WIN = Dist("lockwin", "1.0")  # only for Windows: no Linux target's lock entry
LOCKED = (APP, DEP, WIN)
# published after the locks were written: a resolution would take it, the lock does not
NEWER = Dist("lockdep", "2.0")


def publish_locked(upstream: LocalUpstream, newer: bool = True) -> None:
    """The locked project's files (and setuptools, to build the sdist) on ``upstream``."""
    upstream.publish_file(embedded_wheel("setuptools"))
    upstream.publish(*LOCKED, *((NEWER,) if newer else ()))


def lock(name: str) -> Path:
    """A kept lock: ``pylock.toml``, or the project dir holding ``uv.lock``."""
    return LOCKS / f"uv-{UV_VERSION}" / name
