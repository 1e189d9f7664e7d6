"""Real pip output, captured from real runs and kept under ``tests/data/pip/``.

Each file is ``pip-<pip version>-<subcommand>-<case>.txt``: one header line (``# pip 26.3,
python 3.11.7: pip download ... -> exit 1``) and then pip's stdout and stderr, merged, exactly
as the harness's own runner reads them. ``tests/data/pip/README.md`` says how they were made.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "pip"
CURRENT, OLDER = "26.3", "24.3.1"  # pip 26 prints file names, pip < 26 whole URLs
PIP_VERSIONS = (CURRENT, OLDER)


def captured(pip_version: str, case: str) -> str:
    """pip's output for ``case`` (e.g. ``"download-six"``), without the header line."""
    text = (DATA / f"pip-{pip_version}-{case}.txt").read_text(encoding="utf-8")
    header, _, output = text.partition("\n")
    assert header.startswith(f"# pip {pip_version},"), header
    return output
