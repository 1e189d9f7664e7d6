"""On the public index: one pandas bundle for 3.11 and 3.12, made by one check, is checked
again where it lands — by pytest running under each of those Pythons, in a fresh empty
directory, with the harness installed there as a user would install it — and a Python it
does not cover (3.13) fails naming what to add."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pytest_offline_index.inputs.targets import find_python
from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.ordinary_user import build_wheel


def harness_under(version: str, wheels: Path, where: Path) -> str:
    """A venv of Python ``version`` holding this checkout's harness; its python."""
    venv = where / f"harness-{version}"
    base = find_python(version).executable or ""
    subprocess.run([base, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = str(venv / "bin" / "python")
    wheel = next(wheels.glob("pytest_offline_index-*.whl"))
    done = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return python


def test_one_pandas_bundle_is_checked_under_each_python_it_claims(
        pytester: pytest.Pytester, tmp_path: Path) -> None:
    before = machine_snapshot()
    made = pytester.runpytest_subprocess(
        "--offline-index", "-p", "no:cacheprovider", "--offline-index-python=3.11",
        "--offline-index-python=3.12", "--offline-index-export=bundle")
    made.assert_outcomes(passed=9)  # warm x2, cut, install x2, import x2, bundle x2
    bundle = pytester.path / "bundle"
    assert json.loads((bundle / "manifest.json").read_text())["complete"] is True
    wheels = build_wheel(tmp_path / "wheels")

    for version in ("3.11", "3.12", "3.13"):
        python = harness_under(version, wheels, tmp_path)
        empty = tmp_path / f"far-side-{version}"
        empty.mkdir()
        done = subprocess.run([python, "-m", "pytest", "-p", "no:cacheprovider", "-rA",
                               f"--offline-index-bundle={bundle}"], cwd=empty,
                              capture_output=True, text=True, timeout=1200)
        out = done.stdout + done.stderr
        label = f"py{version}"
        if version == "3.13":
            assert done.returncode == pytest.ExitCode.TESTS_FAILED, out
            assert (f"offline-index-bundle [{label}] verify: the bundle has no part for Python "
                    f"3.13 (it has: py3.11, py3.12); add --offline-index-python=3.13 where the "
                    f"bundle is made") in out
        else:
            assert done.returncode == 0, out
            assert "3 passed" in out.splitlines()[-1], out
            assert f"PASSED offline-index-bundle[{label}]::import" in out
            assert "pandas" in out
        assert "Traceback" not in out
    assert snapshot_diff(before, machine_snapshot()) == {}
