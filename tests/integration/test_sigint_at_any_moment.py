"""Ctrl-C at any moment of a run ends it "interrupted" (exit 2), never with a pass, and
leaves nothing behind (issue 30).

One run of the smallest check (a one-file package from a local upstream) is timed; then
SIGINT goes to a fresh run at each of ``OFFLINE_INDEX_SIGINT_MOMENTS`` (50) moments drawn
with a fixed seed, uniformly over that length, each moment printed (``-s`` or ``-rA``
shows them). Only before pytest has started its session (its first line) may a Ctrl-C end
the run as pytest or Python ends any (pytest's traceback, or killed by SIGINT): the run has
started nothing then. A moment that comes after the run has ended interrupts nothing and
says so — also when it comes after pytest's last line but before the process is gone (the
run's result is said and everything torn down: Python ends it as it ends any).
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

from tests.support.dists import Dist
from tests.support.guard import HolderWatcher
from tests.support.machine import machine_snapshot, snapshot_diff

SEED = 30  # the number: the same moments on every run of this test
MOMENTS = int(os.environ.get("OFFLINE_INDEX_SIGINT_MOMENTS", "50"))
GRACE = 0.5  # a line the run wrote as the signal came may reach us a little later
STARTED = "test session starts"  # pytest's first line: the session, and the plugin, are up
PASSED_STEP = re.compile(r"^offline-index: \S+(?: \[[^]]+\])?: passed in ")
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

    def seen_before(self, moment: float, what: str) -> bool:
        return any(what in line for at, line in self.lines if at < moment)


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
        sent = time.monotonic()
        ended_first = run.child.poll() is not None
        run.child.send_signal(signal.SIGINT)  # by the pid we started
        returncode = run.finish()
        watcher.stop()
        text = run.text
        late = [line for at, line in run.lines if at > sent + GRACE and PASSED_STEP.match(line)]
        landed = re.search(r"^!+ Interrupted: (.*?) !+$", text, re.M)
        # the run had said it passed (its last line, not later than the signal could have
        # reached us) and nothing says interrupted: the signal came as the process ended
        after_the_end = not landed and any(at <= sent + GRACE and PASSED_LAST_LINE.match(line)
                                           for at, line in run.lines)
        print(f"moment {number:2}: {moment:5.2f}s -> exit {returncode}: "
              + ("the run had ended" if ended_first else "after the run's last line"
                 if after_the_end else
                 landed.group(1) if landed else "before the session started"
                 if not run.seen_before(sent, STARTED) else "no line"))
        if ended_first:  # it interrupted nothing: the run had passed
            assert returncode == 0, text
            lengths.append(run.lines[-1][0] - run.started if run.lines else moment)
        elif after_the_end:  # the process was ending: Python's own end, or none
            assert returncode in (0, -signal.SIGINT), text
            lengths.append(run.lines[-1][0] - run.started if run.lines else moment)
        elif not run.seen_before(sent, STARTED) and not landed:  # pytest's or Python's end
            assert returncode in (2, -signal.SIGINT), text
            assert not watcher.holders, text  # nothing of the run had started yet
        else:
            assert returncode == 2, text  # pytest's "interrupted"
            assert landed, text
            assert late == [], text  # no step passed after the interrupt
            assert "KeyboardInterrupt" not in text
        assert watcher.leftovers() == [], text
        assert [list(path.iterdir()) for path in empty] == [[] for _ in empty], text
        assert snapshot_diff(before, machine_snapshot()) == {}, text
