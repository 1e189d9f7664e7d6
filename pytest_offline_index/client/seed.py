"""The seed of a far-side venv (what ``ensurepip`` put there), shared by hard links.

Each far-side venv is made from a template by linking its files, not copying them (~0.1 s
instead of ~1.1 s of CPU a venv for 26 MB in 1,500 files). Linked files are shared: bytes
written into one in place would change the template and every venv made from it. The
installers never do that — pip removes a file it is about to replace, and moves a seed
distribution it installs again away first — and the check holds them to it: a template
carries the sha256 of every file it shares (:class:`Seed`, written when it is made), which
the template must match before it is used, and each venv's still-linked files after every
install into it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# rewritten for each venv (their paths name it): copied, never linked
COPIED = ("bin", "pyvenv.cfg")
# in a template, beside what it shares: never copied into a venv
MANIFEST = ".seed-sha256.json"


def linked_copy(template: Path, venv: Path) -> None:
    """``venv`` as a copy of ``template`` whose files are hard links to the template's,
    except the ones in :data:`COPIED` (and any, where the file system cannot link)."""
    can_link = True

    def link_or_copy(source: str, target: str) -> None:
        nonlocal can_link
        if can_link and Path(source).relative_to(template).parts[0] not in COPIED:
            try:
                os.link(source, target)
                return
            except OSError:  # another file system, or one without links: copy the rest
                can_link = False
        shutil.copy2(source, target)

    shutil.copytree(template, venv, symlinks=True, copy_function=link_or_copy,
                    ignore=lambda where, names: [MANIFEST] if Path(where) == template else [])


@dataclass(frozen=True)
class Seed:
    """The sha256 of every file a template shares with its venvs, by path in it."""

    digests: Mapping[str, str]

    @classmethod
    def record(cls, template: Path) -> Seed:
        """Hash ``template``'s shared files and keep the result in it."""
        seed = cls({str(path.relative_to(template)): _sha256(path)
                    for path in _shared(template)})
        (template / MANIFEST).write_text(json.dumps(seed.digests))
        return seed

    @classmethod
    def kept_in(cls, template: Path) -> Seed | None:
        """What ``template`` recorded when it was made; None if it recorded nothing."""
        try:
            digests = json.loads((template / MANIFEST).read_text())
        except (OSError, ValueError):
            return None
        return cls(digests) if isinstance(digests, dict) else None

    def changed_in(self, template: Path) -> list[str]:
        """The files of ``template`` that are gone or no longer hold what it recorded."""
        return [name for name, digest in self.digests.items()
                if _sha256_or_none(template / name) != digest]

    def links(self, venv: Path) -> array[int]:
        """The inode of each shared file of ``venv``, just made from a template (-1: none),
        in the order of :attr:`digests`."""
        return array("q", (_inode(venv / name) for name in self.digests))

    def written_into(self, venv: Path, links: array[int]) -> list[str]:
        """The files of ``venv`` still linked as they were made (``links``) whose bytes are
        no longer the template's: written into in place. A file an install replaced (a new
        inode) or removed is the venv's own business."""
        return [name for (name, digest), ino in zip(self.digests.items(), links, strict=True)
                if ino >= 0 and _inode(venv / name) == ino
                and _sha256_or_none(venv / name) not in (None, digest)]


def _shared(template: Path) -> list[Path]:
    return sorted(path for path in template.rglob("*")
                  if path.is_file() and not path.is_symlink() and path.name != MANIFEST
                  and path.relative_to(template).parts[0] not in COPIED)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sha256_or_none(path: Path) -> str | None:
    try:
        return _sha256(path) if not path.is_symlink() else None
    except OSError:
        return None


def _inode(path: Path) -> int:
    try:
        return os.lstat(path).st_ino
    except OSError:
        return -1
