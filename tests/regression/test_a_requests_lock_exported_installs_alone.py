"""On the public index: a lock of requests is checked through the index, exported, and the
export installs on its own — proven by the bundle item, and again here, by this test's own
hand: a fresh venv, a network namespace with no route, ``pip install --no-index``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.machine import machine_snapshot, snapshot_diff

LOCK = Path(__file__).resolve().parents[1] / "data" / "locks" / "requests" / "pylock.toml"


def test_a_lock_of_requests_exports_a_bundle_that_installs_with_no_network(
        pytester: pytest.Pytester, tmp_path: Path) -> None:
    shutil.copy(LOCK, pytester.path / "pylock.toml")
    before = machine_snapshot()

    result = pytester.runpytest_subprocess(
        "--offline-index", "-p", "no:cacheprovider", "-v",
        "--offline-index-requirements", "pylock.toml", "--offline-index-export", "bundle")

    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["*offline-index?py3.*?::bundle PASSED*"])
    assert snapshot_diff(before, machine_snapshot()) == {}
    bundle = pytester.path / "bundle"
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["complete"] is True
    (label,) = manifest["targets"]
    pins = (bundle / f"requirements-{label}.txt").read_text()
    assert "requests==" in pins and "--hash=sha256:" in pins

    venv = tmp_path / "far-side"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    installed = subprocess.run(  # a network namespace of its own: not even a route
        ["unshare", "--net", python, "-m", "pip", "install", "--isolated", "--no-cache-dir",
         "--disable-pip-version-check", "--no-index", "--find-links",
         str(bundle / "wheelhouse"), "--require-hashes", "-r",
         str(bundle / f"requirements-{label}.txt")],
        capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    imported = subprocess.run([python, "-I", "-c", "import requests; print(requests.__file__)"],
                              capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip().startswith(str(venv))
