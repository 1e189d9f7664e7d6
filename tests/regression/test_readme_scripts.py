"""The user guide's Python scripts run as written against the public index (pandas), including
pandas checked for two target Pythons."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.machine import machine_snapshot, snapshot_diff

USER_GUIDE = Path(__file__).resolve().parents[2] / "docs" / "user-guide.md"
SCRIPT = re.compile(r"<!-- example-script: (\S+) -->\n```python\n(.*?)```", re.S)
SCRIPTS = dict(SCRIPT.findall(USER_GUIDE.read_text()))


def test_the_user_guide_has_its_scripts() -> None:
    assert set(SCRIPTS) == {"reference_check.py", "two_pythons.py"}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_readme_script_runs(name: str, tmp_path: Path) -> None:
    script = tmp_path / name
    script.write_text(SCRIPTS[name])
    before = machine_snapshot()
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=1200, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "pandas" in done.stdout
    assert snapshot_diff(before, machine_snapshot()) == {}
