"""On the public index: one pandas bundle for 3.11 and 3.12, made by one check, is checked
again where it lands — by pytest running under each of those Pythons, in a fresh empty
directory, with the harness installed there as a user of uv would install it — and a Python it
does not cover (3.13) fails naming what to add."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pytest_offline_index.inputs.targets import find_python
from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.ordinary_user import build_wheel, harness_install

VERSIONS = ("3.11", "3.12", "3.13")


def harness_under(version: str, wheels: Path, where: Path) -> str:
    """A venv of Python ``version`` holding this checkout's harness; its python. No pip in
    it (as ``uv venv`` makes it; ensurepip's costs 5 CPU-s): the harness never uses its own."""
    venv = where / f"harness-{version}"
    base = find_python(version).executable or ""
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True,
                   capture_output=True)
    python = str(venv / "bin" / "python")
    wheel = next(wheels.glob("pytest_offline_index-*.whl"))
    done = subprocess.run(harness_install(python, str(wheel)), capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return python


def landed(python: str, bundle: Path, where: Path) -> subprocess.CompletedProcess[str]:
    """pytest checking ``bundle`` under ``python``, in the fresh empty directory ``where``."""
    where.mkdir()
    return subprocess.run([python, "-m", "pytest", "-p", "no:cacheprovider", "-rA",
                           f"--offline-index-bundle={bundle}"], cwd=where,
                          capture_output=True, text=True, timeout=1200)


def test_one_pandas_bundle_is_checked_under_each_python_it_claims(
        pytester: pytest.Pytester, tmp_path: Path) -> None:
    before = machine_snapshot()
    # the far sides' harness venvs are made while the bundle is, and they check it side by
    # side: each is a machine of its own
    with ThreadPoolExecutor() as pool:
        wheels = pool.submit(build_wheel, tmp_path / "wheels")
        pythons = {version: pool.submit(lambda v: harness_under(v, wheels.result(), tmp_path),
                                        version) for version in VERSIONS}
        made = pytester.runpytest_subprocess(
            "--offline-index", "-p", "no:cacheprovider", "--offline-index-python=3.11",
            "--offline-index-python=3.12", "--offline-index-export=bundle")
        made.assert_outcomes(passed=9)  # warm x2, cut, install x2, import x2, bundle x2
        bundle = pytester.path / "bundle"
        assert json.loads((bundle / "manifest.json").read_text())["complete"] is True
        checks = {version: pool.submit(landed, python.result(), bundle,
                                       tmp_path / f"far-side-{version}")
                  for version, python in pythons.items()}
        done = {version: check.result() for version, check in checks.items()}

    for version, result in done.items():
        out = result.stdout + result.stderr
        label = f"py{version}"
        if version == "3.13":
            assert result.returncode == pytest.ExitCode.TESTS_FAILED, out
            assert (f"offline-index-bundle [{label}] verify: the bundle has no part for Python "
                    f"3.13 (it has: py3.11, py3.12); add --offline-index-python=3.13 where the "
                    f"bundle is made") in out
        else:
            assert result.returncode == 0, out
            assert "3 passed" in out.splitlines()[-1], out
            assert f"PASSED offline-index-bundle[{label}]::import" in out
            assert "pandas" in out
        assert "Traceback" not in out
    assert snapshot_diff(before, machine_snapshot()) == {}
