"""A command the step timeout ended is said to have timed out, and after how long — not
"failed" with the last line it got as far as (a warmer's virtualenv on a loaded machine was
reported as "virtualenv failed for PYTHON:" and nothing more). A failure with no output
names its exit status."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_offline_index.client.farside import python_m_venv
from pytest_offline_index.client.venv import FreshVenv
from pytest_offline_index.errors import OfflineInstallError
from pytest_offline_index.execute.commands import Runner, run

TOO_SHORT = 0.05  # s: no Python starts virtualenv or venv in that time


def test_a_command_past_its_timeout_says_after_how_long() -> None:
    done = run([sys.executable, "-c", "import time; print('started', flush=True); "
                "time.sleep(30)"], timeout=0.5)
    assert done.timed_out and not done.ok
    assert done.why() == "timed out after 0.5s"  # not its last line, "started"


def test_a_failure_without_output_names_its_exit_status() -> None:
    assert run([sys.executable, "-c", "raise SystemExit(3)"]).why() == "exit status 3"


def test_the_warmer_s_virtualenv_past_the_step_timeout_says_it_timed_out(
        tmp_path: Path) -> None:
    warmer = FreshVenv(tmp_path / "warmer", base_python=sys.executable,
                       run=Runner(timeout=TOO_SHORT), download_only=True)
    with pytest.raises(OfflineInstallError) as raised:
        warmer.create()
    assert str(raised.value) == (f"virtualenv failed for {sys.executable}: "
                                 f"timed out after {TOO_SHORT}s")


def test_a_far_side_venv_past_its_timeout_says_it_timed_out(tmp_path: Path) -> None:
    with pytest.raises(OfflineInstallError) as raised:
        python_m_venv(lambda argv: run(argv, timeout=TOO_SHORT), sys.executable,
                      tmp_path / "venv")
    assert str(raised.value) == (f"python -m venv failed for {sys.executable}: "
                                 f"timed out after {TOO_SHORT}s")
    assert not (tmp_path / "venv").exists()
