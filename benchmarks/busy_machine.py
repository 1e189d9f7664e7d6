"""Does the suite hold on a busy machine? Run it twice in a row while a second copy of the
reference check (the README's first command: pandas from the public index) loops beside it.

Run as root from the repository, with the dev extra installed::

    python3 benchmarks/busy_machine.py                  # the suite twice, as the README runs it
    python3 benchmarks/busy_machine.py --runs 1 -- python3 -m pytest tests/unit
    CI=true python3 benchmarks/busy_machine.py --cwd=CLONE -- bash .ci/run   # CI, twice

Each suite run is timed and its exit status kept; after each passed run, whatever it left in
pytest's temp root (``/tmp/pytest-of-$USER``) is listed — it must be nothing. The loop beside
it is bounded: at most ``--loops`` checks, each with a timeout, and it stops when the suite
runs are done; each check's exit status and time are printed. Nothing here is a test: it is
the demonstration the suite's own tests cannot give (a suite cannot run itself twice).
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUITE = [sys.executable, "-m", "pytest", "tests", "-n", "4", "--dist", "loadgroup"]
CHECK = ["-m", "pytest", "--offline-index", "-m", "offline_index", "-p", "no:cacheprovider"]


def temp_root() -> Path:
    return Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}"


def entries(path: Path) -> set[str]:
    return set(os.listdir(path)) if path.is_dir() else set()


def loop_checks(stop: threading.Event, limit: int, timeout: float,
                results: list[tuple[int, float]]) -> None:
    """The reference check, again and again in a copy of its own, until ``stop`` or
    ``limit`` checks."""
    work = Path(tempfile.mkdtemp(prefix="busy-machine-"))
    try:
        # the README's first command, in a venv and a directory of its own (what the suite's
        # runs install into its own environment meanwhile does not touch it)
        subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
        python = str(work / "venv" / "bin" / "python")
        subprocess.run([python, "-m", "pip", "install", "-q", str(REPO)], check=True)
        (work / "check").mkdir()
        (work / "check" / "pytest.ini").write_text("[pytest]\n")
        for n in range(limit):
            if stop.is_set():
                return
            started = time.monotonic()
            try:
                done = subprocess.run([python, *CHECK], cwd=work / "check",
                                      capture_output=True, text=True,
                                      timeout=timeout, stdin=subprocess.DEVNULL)
                rc = done.returncode
            except subprocess.TimeoutExpired:
                rc = -1
            took = time.monotonic() - started
            results.append((rc, took))
            print(f"  beside: reference check {n + 1}: exit {rc} in {took:.0f}s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="suite runs in a row (2)")
    parser.add_argument("--loops", type=int, default=120,
                        help="at most this many checks beside (120: enough for two runs)")
    parser.add_argument("--check-timeout", type=float, default=900.0)
    parser.add_argument("--cwd", type=Path, default=REPO, help="where the suite runs")
    parser.add_argument("command", nargs="*", default=SUITE,
                        help="the suite's command (default: the README's second command's)")
    options = parser.parse_args()
    env = {**os.environ, "OFFLINE_INDEX_REQUIRE_NETNS": "1"}
    stop = threading.Event()
    beside: list[tuple[int, float]] = []
    loop = threading.Thread(target=loop_checks,
                            args=(stop, options.loops, options.check_timeout, beside))
    loop.start()
    failed = False
    try:
        for run in range(1, options.runs + 1):
            before = entries(temp_root())
            started = time.monotonic()
            done = subprocess.run(options.command, cwd=options.cwd, env=env,
                                  stdin=subprocess.DEVNULL)
            took = time.monotonic() - started
            left = sorted(entries(temp_root()) - before)
            print(f"suite run {run}: exit {done.returncode} in {took:.0f}s; "
                  f"left in {temp_root()}: {left or 'nothing'}", flush=True)
            failed = failed or done.returncode != 0 or (done.returncode == 0 and bool(left))
    finally:
        stop.set()
        loop.join()
    passed = sum(1 for rc, _ in beside if rc == 0)
    print(f"beside the suite: {passed} of {len(beside)} reference checks passed")
    return 1 if failed or passed != len(beside) else 0


if __name__ == "__main__":
    sys.exit(main())
