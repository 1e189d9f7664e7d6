"""Real uv and devpi-client output, captured from real runs (``tests/data/uv/README.md``)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
UV_CURRENT, UV_OLDEST = "0.13.9", "0.5.31"  # 0.5 quotes URLs in backticks, wraps lines
UV_VERSIONS = (UV_CURRENT, UV_OLDEST)
DEVPI_CLIENT = "7.3.0"


def uv_captured(uv_version: str, case: str) -> str:
    """uv's output for ``case`` (e.g. ``"install-gonefile"``), without the header line."""
    return _read(DATA / "uv" / f"uv-{uv_version}-{case}.txt", f"# uv {uv_version},")


def devpi_captured(case: str) -> str:
    """``devpi install``'s output (devpi-client's lines, then pip's) for ``case``."""
    return _read(DATA / "devpi" / f"devpi-client-{DEVPI_CLIENT}-{case}.txt",
                 f"# devpi-client {DEVPI_CLIENT},")


def _read(path: Path, prefix: str) -> str:
    header, _, output = path.read_text(encoding="utf-8").partition("\n")
    assert header.startswith(prefix), header
    return output
