"""pytest loads the plugin into every run of a project that has it installed. A run that
does not use the check imports none of its machinery (devpi's client side, requests, the
namespaces, the installers): pytest rewrites each plugin module it imports, and with no
bytecode cache (PYTHONDONTWRITEBYTECODE, a read-only site-packages) the whole harness cost
each such run ~0.4 s of CPU here. The public API still imports on first use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# (psutil and xprocess are pytest-xprocess's: its own plugin loads them into every run)
MACHINERY = ("requests", "pyroute2", "pytest_offline_index.check.scenario",
             "pytest_offline_index.index.offline", "pytest_offline_index.index.warm",
             "pytest_offline_index.netns", "pytest_offline_index.devpi.server",
             "pytest_offline_index.client.venv", "pytest_offline_index.bundle.proof")

RECORDER = '''
import json, os, sys

def pytest_unconfigure(config):
    with open(os.environ["LOADED_MODULES"], "w") as f:
        json.dump(sorted(sys.modules), f)
'''


def loaded_by(tmp_path: Path, *args: str) -> list[str]:
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    (tmp_path / "conftest.py").write_text(RECORDER)
    record = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "LOADED_MODULES": str(record)})
    assert done.returncode == 0, done.stdout + done.stderr
    return list(json.loads(record.read_text()))


def test_a_plain_run_imports_none_of_the_machinery(tmp_path: Path) -> None:
    loaded = loaded_by(tmp_path)
    assert "pytest_offline_index.plugin.hooks" in loaded  # the plugin is there...
    assert [m for m in MACHINERY if m in loaded] == []  # ...and nothing of the check


def test_the_public_names_import_on_first_use() -> None:
    code = ("import sys, pytest_offline_index as p; "
            "before = 'pytest_offline_index.index.offline' in sys.modules; "
            "print(before, p.OfflineIndex.__module__, p.WarmError.__name__, "
            "'OfflineIndex' in dir(p))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == ["False", "pytest_offline_index.index.offline", "WarmError",
                                   "True"]
