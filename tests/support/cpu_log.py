"""Where the suite's CPU goes: with ``OFFLINE_INDEX_SUITE_CPU_LOG=DIR`` set, each test's CPU
(its worker's own and that of every process the worker reaped, directly or through its
children) and wall time go, one JSON line per test, to ``DIR/<worker>.jsonl``;
``benchmarks/suite_cpu.py DIR`` sums them. Processes nobody in the worker reaps (a daemon
handed to init) are not counted: the controller writes the machine's own CPU over the
session beside them, so the summary says how much the lines cover."""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

VARIABLE = "OFFLINE_INDEX_SUITE_CPU_LOG"


def directory() -> Path | None:
    value = os.environ.get(VARIABLE)
    return Path(value) if value else None


def cpu_seconds() -> float:
    """This process's CPU and that of every descendant it reaped so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime


def machine_cpu_seconds() -> float:
    """Every CPU's busy time since boot (/proc/stat: user, nice, system, irq, softirq)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def record(where: Path, worker: str, entry: dict[str, object]) -> None:
    where.mkdir(parents=True, exist_ok=True)
    with open(where / f"{worker}.jsonl", "a") as log:
        log.write(json.dumps(entry) + "\n")


class Span:
    """CPU and wall time from its start to :meth:`end`."""

    def __init__(self) -> None:
        self.cpu, self.wall = cpu_seconds(), time.monotonic()

    def end(self) -> dict[str, float]:
        return {"cpu": round(cpu_seconds() - self.cpu, 3),
                "wall": round(time.monotonic() - self.wall, 3)}
