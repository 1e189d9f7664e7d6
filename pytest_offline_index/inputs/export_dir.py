"""The export dir a run is given (``--offline-index-export=DIR``): what an export writes in
it, and whether the dir may take one — new, empty, or an earlier export the run replaces —
checked before anything starts."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import SettingsError

SCHEMA = "pytest-offline-index/bundle/2"  # 2: each file says if it is a build requirement only
EARLIER_SCHEMAS = ("pytest-offline-index/bundle/1",)  # exports a run may still replace
MANIFEST = "manifest.json"
SBOM = "sbom.cdx.json"  # CycloneDX, written with the manifest: the same files, hashes, targets
WHEELHOUSE = "wheelhouse"
DEVPI = "devpi"
BUNDLED_ONLY = "bundled, not install-checked"  # a foreign target's part
PROVEN = ("passed", BUNDLED_ONLY)  # the parts that count toward complete


PARTIAL = re.compile(r"\.\d+\.part$")


def requirements_name(label: str) -> str:
    return f"requirements-{label}.txt"


def listed(manifest: Mapping[str, Any]) -> set[str]:
    """The names an export's manifest says it wrote in its dir."""
    targets = manifest.get("targets")
    parts = targets.values() if isinstance(targets, dict) else []
    return {MANIFEST, SBOM, WHEELHOUSE, DEVPI, *(str(part.get("requirements")) for part in parts
                                          if isinstance(part, dict))}


def earlier_export(directory: Path) -> set[str] | None:
    """What an earlier export wrote in ``directory`` (its manifest says so, and the dir
    holds nothing else), or None if ``directory`` holds anything else."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        entries = {entry.name for entry in directory.iterdir()}
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("schema") not in (
            SCHEMA, *EARLIER_SCHEMAS):
        return None
    names = listed(manifest)
    # and what a run killed mid-write left: "<name>.<pid>.part" of a name it writes
    ours = {name for name in entries if PARTIAL.sub("", name) in names}
    return entries if entries <= ours else None


def parse_export_dir(text: str) -> Path:
    """An export dir: new, empty, or an earlier export (which the run replaces); anything
    else is refused in one line, and left as it is."""
    path = Path(text).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise SettingsError(f"export: {text!r} is not a directory")
    if not path.exists() and not path.parent.is_dir():
        raise SettingsError(f"export: {text!r}: its parent {path.parent} does not exist; "
                            f"create it first")
    try:
        holds = path.is_dir() and any(path.iterdir())
    except OSError as exc:
        raise SettingsError(f"export: {text!r} cannot be read ({exc.strerror})") from None
    if holds and earlier_export(path) is None:
        raise SettingsError(f"export: {text!r} is not empty and not an earlier export; "
                            f"give an empty or new directory (nothing in it was touched)")
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        raise SettingsError(f"export: {text!r} is not writable")
    return path
