"""The seed of a far-side venv (what ``ensurepip`` put there), shared by hard links.

Each far-side venv is made from a template by linking its files, not copying them (~0.05 s
instead of ~1.1 s of CPU a venv for 26 MB in 1,500 files). Linked files are shared: bytes
written into one in place would change the template and every venv made from it. The
installers never do that — pip removes a file it is about to replace, and a seed
distribution it installs again is uninstalled (moved away) first — and the check holds them
to it: :func:`changed_files` compares the template's files with the sha256 that pip's
``RECORD`` lists for each, before a template is used and after every install.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import shutil
from pathlib import Path

# rewritten for each venv (their paths name it): copied, never linked
COPIED = ("bin", "pyvenv.cfg")


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

    shutil.copytree(template, venv, symlinks=True, copy_function=link_or_copy)


def changed_files(venv: Path) -> list[str]:
    """The seed's files in ``venv``'s site-packages whose bytes are no longer those their
    distribution's ``RECORD`` lists (or that are gone), by their path in site-packages.
    Scripts (``../../../bin/pip``) are left out: each venv has its own copies."""
    changed: list[str] = []
    for record in sorted(venv.glob("lib/python*/site-packages/*.dist-info/RECORD")):
        site = record.parent.parent
        for row in csv.reader(record.read_text().splitlines()):
            if len(row) < 2 or not row[1].startswith("sha256=") or ".." in Path(row[0]).parts:
                continue
            try:
                digest = hashlib.sha256((site / row[0]).read_bytes()).digest()
            except OSError:
                changed.append(row[0])
                continue
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != row[1][7:]:
                changed.append(row[0])
    return changed
