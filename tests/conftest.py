"""Fixtures shared by the integration and regression layers."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.alone import held, run_lock
from tests.support.ordinary_user import OrdinaryUser, build_wheel


@pytest.fixture(autouse=True)
def _beside_the_others(request: pytest.FixtureRequest,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Under xdist: side by side with the run's other tests, or alone for one marked
    ``alone`` (see tests/support/alone.py)."""
    alone = request.node.get_closest_marker("alone") is not None
    with held(run_lock(request.config, tmp_path_factory), alone=alone):
        yield


@pytest.fixture(scope="session")
def user() -> Iterator[OrdinaryUser]:
    """uid 65534 with a venv of its own holding this checkout's harness (made once)."""
    root = Path(tempfile.mkdtemp(prefix="oi-user-", dir="/tmp"))  # /tmp: the user can reach it
    try:
        yield OrdinaryUser(root).set_up(build_wheel(root / "wheels"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
