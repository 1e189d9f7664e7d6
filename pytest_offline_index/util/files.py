"""Files written whole or not at all — a reader (a later run, a far side) never sees half —
and a file's sha256, read in blocks."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path


def write_whole(path: Path, text: str) -> None:
    """``text`` into ``path`` by way of a sibling that is renamed over it once complete."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        partial.write_text(text)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def copy_whole(source: Path, path: Path) -> None:
    """:func:`write_whole` for a copy of ``source``."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        shutil.copyfile(source, partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
