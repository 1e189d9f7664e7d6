"""Ctrl-C at any moment of a run ends it "interrupted" (exit 2), never with a pass, and
leaves nothing behind (issue 30).

One run of the smallest check (a one-file package from a local upstream) is timed; then
SIGINT goes to a fresh run at each of ``OFFLINE_INDEX_SIGINT_MOMENTS`` (50) moments drawn
with a fixed seed, uniformly over that length, each moment printed (``-s`` or ``-rA``
shows them). Only before the run has started its index (its holder) may a Ctrl-C end the
run as pytest or Python ends any (pytest's traceback, or killed by SIGINT): the run has
started nothing then. A moment that comes after the run has ended interrupts nothing and
says so — also when it comes after pytest's last line but before the process is gone (the
run's result is said and everything torn down: Python ends it as it ends any).

What the signal came during is told from processes, never from when a line was read (on a
loaded machine, a line the run wrote before the signal reached this test a second later):
a process seen alive just after the signal was sent was alive when it came. The run's
holder alive then: the run had not torn down, so it must say interrupted. A step's pip
alive then: that step had not done its work, so it must not pass.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.support.dists import Dist
from tests.support.guard import HOLDER, HolderWatcher
from tests.support.machine import machine_snapshot, snapshot_diff
from tests.support.processes import commands_under

SEED = 30  # the number: the same moments on every run of this test
MOMENTS = int(os.environ.get("OFFLINE_INDEX_SIGINT_MOMENTS", "50"))
# the processes doing a step's work: alive after the signal, the step must not pass
WORKERS = {"warm": ["-m", "pip", "download"], "install": ["-m", "pip", "install"]}
PASSED_LAST_LINE = re.compile(r"^=+ \d+ passed in [\d.]+s")  # pytest's last line, for a pass


@dataclass
class Run:
    """One run of the check: its lines as they came (with when), its exit status."""

    child: subprocess.Popen[bytes]
    started: float = field(default_factory=time.monotonic)
    lines: list[tuple[float, str]] = field(default_factory=list)
    reader: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.child.stdout is not None
        for raw in self.child.stdout:
            self.lines.append((time.monotonic(), raw.decode(errors="replace").rstrip("\n")))

    def finish(self) -> int:
        returncode = self.child.wait(timeout=120)
        assert self.reader is not None
        self.reader.join(timeout=10)
        return returncode

    @property
    def text(self) -> str:
        return "\n".join(line for _, line in self.lines)


def test_sigint_at_any_moment_ends_the_run_interrupted(fresh_upstream, spawn_check,
                                                      tmp_path: Path, monkeypatch) -> None:
    fresh_upstream.publish(Dist("momentary", "1.0"))
    work = tmp_path / "work"  # every run's work dir is made in here, and must go
    work.mkdir()
    # and its control dir in here (a short path, as a Unix socket's needs), which must go too
    temp = Path(tempfile.mkdtemp(prefix="oi-moments-", dir="/tmp"))
    monkeypatch.setenv("TMPDIR", str(temp))
    args = [*fresh_upstream.args, "--offline-index-package", "momentary",
            "--offline-index-workdir", str(work)]
    try:
        _at_moments(spawn_check, args, [work, temp])
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _at_moments(spawn_check: Callable[..., subprocess.Popen[bytes]], args: list[str],
                empty: list[Path]) -> None:
    """SIGINT at each moment; after each run, the dirs ``empty`` are empty."""
    lengths = []  # of whole runs: the first makes the far side's venv, later runs reuse it
    for _ in range(2):
        timed = Run(spawn_check(*args))
        assert timed.finish() == 0, timed.text
        lengths.append(time.monotonic() - timed.started)
    lengths = lengths[1:]
    draw = random.Random(SEED)
    fractions = sorted(draw.random() for _ in range(MOMENTS))
    print(f"one run: {lengths[0]:.1f}s; SIGINT at {MOMENTS} moments (seed {SEED}), each a "
          f"fraction of the runs' median length so far (a run a moment outlived is one more)")

    for number, fraction in enumerate(fractions, 1):
        moment = fraction * statistics.median(lengths)
        before = machine_snapshot()  # each run's own: the machine may have other users
        run = Run(spawn_check(*args))
        watcher = HolderWatcher(run.child.pid).start()
        time.sleep(max(0.0, run.started + moment - time.monotonic()))
        working = _working(run.child.pid)  # the candidates: alive a moment before ...
        had_index = bool(watcher.holders)  # the run had started its index by now
        ended_first = run.child.poll() is not None
        run.child.send_signal(signal.SIGINT)  # by the pid we started
        alive = {what for what, procs in working.items()  # ... and still after: when it came
                 if any(_alive(proc) for proc in procs)}
        doing, torn_down = alive - {"holder"}, "holder" not in alive
        returncode = run.finish()
        watcher.stop()
        text = run.text
        landed = re.search(r"^!+ Interrupted: (.*?) !+$", text, re.M)
        passed_last = any(PASSED_LAST_LINE.match(line) for _, line in run.lines)
        print(f"moment {number:2}: {moment:5.2f}s -> exit {returncode}: "
              + ("the run had ended" if ended_first else landed.group(1) if landed else
                 "after the run's last line" if passed_last else "before the index started")
              + (f" (running: {', '.join(sorted(doing))})" if doing else ""))
        if ended_first:  # it interrupted nothing: the run had passed
            assert returncode == 0, text
            lengths.append(run.lines[-1][0] - run.started if run.lines else moment)
        elif landed:
            assert returncode == 2, text  # pytest's "interrupted"
            assert "KeyboardInterrupt" not in text
            cut_short = set(doing)  # steps whose work the signal cut short: none passes
            if during := re.search(r" during (\S+ \[[^]]+\])$", landed.group(1)):
                cut_short.add(during.group(1))  # the step it landed in, as the run says
            assert [step for step in cut_short if _passed(text, step)] == [], text
        else:  # it came before the run started anything, or after it had torn all down
            assert torn_down, text  # the run's holder was alive: it had to say interrupted
            assert not doing, text
            if passed_last:  # the process was ending: Python's own end, or none
                assert had_index, text  # else it came before the run started: and was lost
                assert returncode in (0, -signal.SIGINT), text
                lengths.append(run.lines[-1][0] - run.started if run.lines else moment)
            else:  # pytest's or Python's end, before the session was up; or a
                # KeyboardInterrupt that CPython turned into another error (exit 1) while
                # Python or pytest still started: in site's import of a .pth ("Fatal Python
                # error: init_import_site"), in argparse's cleanup ("... no attribute
                # 'save_required'"), in a dataclass's __set_name__ (3.11). Never in the
                # plugin's code (no frame of it), never once the run had begun:
                assert returncode in (2, -signal.SIGINT) or (
                    returncode == 1 and "KeyboardInterrupt" in text
                    and "pytest_offline_index" not in text), text
                assert not watcher.holders, text  # nothing of the run had started yet
        assert watcher.leftovers() == [], text
        assert [list(path.iterdir()) for path in empty] == [[] for _ in empty], text
        assert snapshot_diff(before, machine_snapshot()) == {}, text


def _passed(text: str, step: str) -> bool:
    """Whether the run said ``step`` passed ("install": for any target; "install [py3.11]")."""
    name = re.escape(step) if "[" in step else re.escape(step) + r" \[[^]]+\]"
    return re.search(rf"^offline-index: {name}: passed in ", text, re.M) is not None


def _working(pid: int) -> dict[str, list[psutil.Process]]:
    """The processes doing each step's work under ``pid`` now, and its index's holders."""
    found: dict[str, list[psutil.Process]] = {}
    for proc, argv in commands_under(pid):
        if _alive(proc):
            for what in [step for step, words in WORKERS.items() if argv[1:4] == words] + (
                    ["holder"] if any(HOLDER in arg for arg in argv) else []):
                found.setdefault(what, []).append(proc)
    return found


def _alive(proc: psutil.Process) -> bool:
    """Running and not a zombie (a zombie has ended: it says nothing of when)."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
