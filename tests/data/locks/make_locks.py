"""Write the kept locks again with the uv on PATH: ``python tests/data/locks/make_locks.py``.

A local upstream serves the locked project (tests/support/locked.py); uv locks a project that
needs it (``uv.lock``) and exports that lock as ``pylock.toml``. Run it only when uv's output
itself is what changed, and name the new uv version in tests/support/locked.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.support.locked import LOCKS, publish_locked
from tests.support.upstream import LocalUpstream

PYPROJECT = """\
[project]
name = "locked-project"
version = "0"
requires-python = ">=3.10"
dependencies = ["lockapp"]
"""


def main() -> None:
    version = subprocess.run(["uv", "--version"], capture_output=True, text=True,
                             check=True).stdout.split()[1]
    out = LOCKS / f"uv-{version}"
    project = out / "uv-project"
    shutil.rmtree(out, ignore_errors=True)
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    with tempfile.TemporaryDirectory() as tmp, LocalUpstream(Path(tmp) / "up") as upstream:
        publish_locked(upstream, newer=False)
        env = {"PATH": "/usr/bin:/bin", "UV_NO_CONFIG": "1",
               "UV_CACHE_DIR": str(Path(tmp) / "cache"), "HOME": tmp}
        uv = shutil.which("uv") or "uv"
        subprocess.run([uv, "lock", "--index-url", upstream.url, "--python", sys.executable],
                       cwd=project, env=env, check=True)
        subprocess.run([uv, "export", "--frozen", "--format", "pylock.toml",
                        "--no-emit-project", "-o", "../pylock.toml"],
                       cwd=project, env=env, check=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
