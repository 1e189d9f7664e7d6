"""Fixtures shared by the integration and regression layers."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ordinary_user import OrdinaryUser, build_wheel


@pytest.fixture(scope="session")
def user() -> Iterator[OrdinaryUser]:
    """uid 65534 with a venv of its own holding this checkout's harness (made once)."""
    root = Path(tempfile.mkdtemp(prefix="oi-user-", dir="/tmp"))  # /tmp: the user can reach it
    try:
        yield OrdinaryUser(root).set_up(build_wheel(root / "wheels"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
