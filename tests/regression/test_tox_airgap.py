"""`tox -e airgap-py312` — the matrix as users run it — passes from this checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_offline_index.inputs.targets import find_python
from tests.support.machine import machine_snapshot, snapshot_diff

ROOT = Path(__file__).resolve().parents[2]


def test_tox_airgap_py312_passes(tmp_path: Path) -> None:
    py312 = find_python("3.12")  # a missing interpreter fails here, naming where it looked
    if shutil.which("tox") is None and subprocess.run(
            [sys.executable, "-m", "tox", "--version"], capture_output=True).returncode:
        pytest.fail("tox is not installed: install the project with its 'dev' extra")
    before = machine_snapshot()
    done = subprocess.run(
        [sys.executable, "-m", "tox", "--workdir", str(tmp_path / "tox"),
         "--discover", str(py312.executable), "-e", "airgap-py312"],
        cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "import [py3.12]: passed" in done.stdout
    assert "4 passed" in done.stdout
    assert snapshot_diff(before, machine_snapshot()) == {}
