"""The seed of a far-side venv (what ``ensurepip`` put there), shared by hard links.

Each far-side venv is made from a template by linking its files, not copying them (~0.1 s
instead of ~1.1 s of CPU a venv for 26 MB in 1,500 files). Linked files are shared: bytes
written into one in place would change the template and every venv made from it. The
installers never do that — pip removes a file it is about to replace, and moves a seed
distribution it installs again away first — and the check holds them to it: a template
carries the sha256, size and mtime of every file it shares (:class:`Seed`, written when it
is made): the template must match it before a run first uses it, each venv's files as they
are linked (size and mtime), and each venv's still-linked files after every install into it
(sha256).
"""

from __future__ import annotations

import json
import os
import shutil
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..util.files import sha256_of

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
    """What a template shares with its venvs, recorded when it was made: each file's
    sha256, and its size and mtime (by path in it); ``ino`` is the record's own inode,
    which tells this template from one made later at the same path. ``own`` holds what
    each venv gets a copy of (:data:`COPIED`: its ``pyvenv.cfg`` and scripts; and every
    link, ``bin/python`` among them): a sha256, or a link's target."""

    digests: Mapping[str, str]
    stats: Mapping[str, tuple[int, int]]
    ino: int
    own: Mapping[str, str | None]

    @classmethod
    def record(cls, template: Path) -> Seed:
        """Hash ``template``'s shared files and keep the result in it."""
        files, copied = _walk(template)
        digests = {str(p.relative_to(template)): sha256_of(p) for p in files}
        stats = {str(p.relative_to(template)): _stat(p) for p in files}
        own = {str(p.relative_to(template)): _content(p) for p in copied}
        (template / MANIFEST).write_text(json.dumps({"sha256": digests, "stat": stats,
                                                     "own": own}))
        return cls(digests, stats, _inode(template / MANIFEST), own)

    @classmethod
    def kept_in(cls, template: Path) -> Seed | None:
        """What ``template`` recorded when it was made; None if it recorded nothing."""
        try:
            manifest = json.loads((template / MANIFEST).read_text())
            digests, stats = dict(manifest["sha256"]), manifest["stat"]
            return cls(digests, {name: (int(stats[name][0]), int(stats[name][1]))
                                 for name in digests}, _inode(template / MANIFEST),
                       {str(name): None if held is None else str(held)
                        for name, held in dict(manifest["own"]).items()})
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def is_in(self, template: Path) -> bool:
        """Whether ``template`` is the one this was recorded for (not made anew since)."""
        return _inode(template / MANIFEST) == self.ino

    def changed_in(self, template: Path) -> list[str]:
        """The files of ``template`` that are gone, no longer hold what it recorded, or were
        added since: each would reach every venv (an edited ``pyvenv.cfg``, a ``.pth``)."""
        files, copied = _walk(template)
        now = {str(p.relative_to(template)): p for p in copied}
        return ([name for name, digest in self.digests.items()
                 if _content(template / name) != digest]
                + sorted(name for name in (str(p.relative_to(template)) for p in files)
                         if name not in self.digests)  # a .pth added would be linked
                + sorted(name for name in self.own.keys() | now.keys()
                         if name not in now or _content(now[name]) != self.own.get(name)))

    def linked(self, venv: Path) -> tuple[array[int], list[str]]:
        """For ``venv``, just made from the template: the inode of each shared file (-1:
        none), in the order of :attr:`digests`; and the files whose size or mtime are no
        longer as recorded (written into since the template was checked)."""
        links: array[int] = array("q")
        stale: list[str] = []
        for name in self.digests:
            try:
                st = os.lstat(venv / name)
            except OSError:
                links.append(-1)
                stale.append(name)
                continue
            links.append(st.st_ino)
            if (st.st_size, st.st_mtime_ns) != self.stats.get(name):
                stale.append(name)
        return links, stale

    def written_into(self, venv: Path, links: array[int]) -> list[str]:
        """The files of ``venv`` still linked as they were made (``links``) whose bytes are
        no longer the template's: written into in place. A file an install replaced (a new
        inode) or removed is the venv's own business."""
        return [name for (name, digest), ino in zip(self.digests.items(), links, strict=True)
                if ino >= 0 and _inode(venv / name) == ino
                and _content(venv / name) not in (None, digest)]


def _walk(template: Path) -> tuple[list[Path], list[Path]]:
    """``template``'s files in one walk: those its venvs share (linked), and what each venv
    gets a copy of — the files of :data:`COPIED`, and every link in the tree
    (``bin/python``; ``lib64 -> lib``, whose target decides what a venv imports)."""
    shared: list[Path] = []
    copied: list[Path] = []
    for path in sorted(template.rglob("*")):
        if path.is_symlink() or (path.is_file()
                                 and path.relative_to(template).parts[0] in COPIED):
            copied.append(path)
        elif path.is_file() and path != template / MANIFEST:
            shared.append(path)
    return shared, copied


def _content(path: Path) -> str | None:
    """A file's sha256, or where a link points (not followed: the Python it names)."""
    try:
        return "-> " + os.readlink(path) if path.is_symlink() else sha256_of(path)
    except OSError:
        return None


def _stat(path: Path) -> tuple[int, int]:
    st = os.lstat(path)
    return st.st_size, st.st_mtime_ns


def _inode(path: Path) -> int:
    try:
        return os.lstat(path).st_ino
    except OSError:
        return -1
