"""What a check requested, per target: the requirements file each target installs, the
distributions it asked for, and the check's failures said in the input's terms. As given
(packages and a requirements file: the same for every target), or a lock applied to each
target by its markers (:mod:`.lockfile` reads locks)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Protocol

from ..util.files import write_whole
from .lockfile import LockEntry, is_lock, load_lock, marker_environment
from .settings import Settings
from .targets import Target


class Requested(Protocol):
    """What a check requested, per target (see :func:`requested`)."""

    lock: Path | None  # the lock installed exactly, if the input is one

    def requirements(self, target: Target) -> Path | None: ...

    def distributions(self, target: Target) -> tuple[str, ...]: ...

    def pins(self, target: Target) -> list[str]: ...

    def detail(self, target: Target) -> str: ...

    def in_lock_terms(self, target: Target, message: str) -> str: ...


def requested(settings: Settings, workdir: Path) -> Requested:
    """The request of a check: a lock's, per target, or as given."""
    if settings.requirements is not None and is_lock(settings.requirements):
        return LockedTargets(settings.requirements, workdir)
    return AsGiven(settings)


class AsGiven:
    """Packages and a requirements file, the same for every target."""

    lock: Path | None = None

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def requirements(self, target: Target) -> Path | None:
        return self._settings.requirements

    def distributions(self, target: Target) -> tuple[str, ...]:
        return self._settings.distribution_names

    def pins(self, target: Target) -> list[str]:
        return []

    def detail(self, target: Target) -> str:
        return ""

    def in_lock_terms(self, target: Target, message: str) -> str:
        return message


class LockedTargets:
    """The lock at ``path``, per target, its requirements files written under ``workdir``."""

    def __init__(self, path: Path, workdir: Path) -> None:
        self.path = path
        self.lock: Path | None = path
        self.workdir = workdir
        self._made: dict[str, tuple[Path, list[LockEntry]]] = {}

    def requirements(self, target: Target) -> Path:
        """The entries that apply to ``target``, pinned with their hashes (written once; a
        lock that does not hold for it is one line, SettingsError)."""
        return self._for(target)[0]

    def entries(self, target: Target) -> list[LockEntry]:
        return self._for(target)[1]

    def distributions(self, target: Target) -> tuple[str, ...]:
        """Every entry of the lock that applies to ``target``."""
        return tuple(entry.name for entry in self.entries(target))

    def pins(self, target: Target) -> list[str]:
        return [entry.pin for entry in self.entries(target)]

    def _for(self, target: Target) -> tuple[Path, list[LockEntry]]:
        if (made := self._made.get(target.label)) is None:
            lock = load_lock(self.path)
            environment = marker_environment(target)
            entries = lock.entries_for(target, environment)
            text = lock.requirements_for(target, environment)
            digest = hashlib.sha256(text.encode()).hexdigest()[:12]
            path = self.workdir / "locked" / f"{target.label}-{digest}.txt"
            if not path.exists():  # the same text is the same name: sharers write alike
                path.parent.mkdir(parents=True, exist_ok=True)
                write_whole(path, text)
            made = self._made[target.label] = (path, entries)
        return made

    def detail(self, target: Target) -> str:
        """Which of the lock's entries apply to ``target`` (once its file is made)."""
        if target.label not in self._made:
            return ""
        entries = self.entries(target)
        total = len(load_lock(self.path).entries)
        return (f"{len(entries)} of its {total} entries apply to {target.label}: "
                f"{', '.join(entry.pin for entry in entries)}")

    def in_lock_terms(self, target: Target, message: str) -> str:
        """A failure of ``target``'s warm or install said in terms of the lock: its name for
        the file made from it, and the locked files of each entry the failure names."""
        if target.label not in self._made:
            return message
        path, entries = self._made[target.label]
        lock = self.path.name
        message = (message.replace(f"-r {path}", lock).replace(f"-r {path.name}", lock)
                   .replace("the requirements pin", f"{lock} pins")
                   .replace("is not among the pinned requirements", f"has no entry in {lock}"))
        if f"has no entry in {lock}" in message:
            return message  # the entries it names only need the one left out
        named = [entry for entry in entries
                 if re.search(rf"(?<![\w.-]){re.escape(entry.pin)}(?![\w.])", message)
                 and not any(name in message for name in entry.files)]
        return message + "".join(f"; {lock} locks {entry.name} {entry.version} as "
                                 f"{', '.join(entry.files)}" for entry in named)
