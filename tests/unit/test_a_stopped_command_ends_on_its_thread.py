"""``commands.run(stop=...)``: a command on a worker thread ends when another thread sets
``stop`` — the only way to end it there, as a KeyboardInterrupt reaches the main thread only.
"""

from __future__ import annotations

import threading

import psutil

from pytest_offline_index import commands


def test_setting_stop_kills_the_command_and_its_group() -> None:
    stop = threading.Event()
    done: list[commands.Completed] = []
    # a shell and its own child: the whole group must go, not only the shell
    worker = threading.Thread(target=lambda: done.append(commands.run(
        ["sh", "-c", "sleep 60 & echo $!; wait"], timeout=120, stop=stop,
        on_line=lambda line: started.append(int(line)))))
    started: list[int] = []
    worker.start()
    while not started and worker.is_alive():
        worker.join(timeout=0.05)
    stop.set()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the command did not end on stop"
    (result,) = done
    assert result.timed_out and not result.ok
    sleeper = started[0]
    assert not psutil.pid_exists(sleeper) or (
        psutil.Process(sleeper).status() == psutil.STATUS_ZOMBIE)


def test_without_stop_the_command_runs_to_its_end() -> None:
    stop = threading.Event()
    result = commands.run(["sh", "-c", "echo ran"], timeout=30, stop=stop)
    assert result.ok and not result.timed_out and result.output.strip() == "ran"
