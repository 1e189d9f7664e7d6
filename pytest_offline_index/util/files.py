"""Files written whole or not at all: a reader (a later run, a far side) never sees half."""

from __future__ import annotations

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
