"""A lock applied to the run's targets: the requirements file each one installs, its
entries, and the check's failures said in the lock's terms (:mod:`.lockfile` reads locks)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..util.files import write_whole
from .lockfile import LockEntry, load_lock, marker_environment
from .targets import Target


class LockedTargets:
    """The lock at ``path``, per target, its requirements files written under ``workdir``."""

    def __init__(self, path: Path, workdir: Path) -> None:
        self.path = path
        self.workdir = workdir
        self._made: dict[str, tuple[Path, list[LockEntry]]] = {}

    def requirements(self, target: Target) -> Path:
        """The entries that apply to ``target``, pinned with their hashes (written once; a
        lock that does not hold for it is one line, SettingsError)."""
        return self._for(target)[0]

    def entries(self, target: Target) -> list[LockEntry]:
        return self._for(target)[1]

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
