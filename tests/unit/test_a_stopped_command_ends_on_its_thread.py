"""``commands.run(stop=...)``: a command on a worker thread ends when another thread sets
``stop`` — the only way to end it there, as a KeyboardInterrupt reaches the main thread only.
"""

from __future__ import annotations

import threading

import psutil

from pytest_offline_index.execute import commands


def test_setting_stop_kills_the_command_and_its_group() -> None:
    stop = threading.Event()
    done: list[commands.Completed] = []
    started: list[int] = []
    # a shell and its own child: the whole group must go, not only the shell
    worker = threading.Thread(target=lambda: done.append(commands.run(
        ["sh", "-c", "sleep 60 & echo $!; wait"], timeout=120, stop=stop,
        on_line=lambda line: started.append(int(line)))))
    worker.start()
    while not started and worker.is_alive():
        worker.join(timeout=0.05)
    assert started, "the command never started"
    stop.set()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the command did not end on stop"
    (result,) = done
    assert result.stopped and not result.timed_out and not result.ok
    sleeper = started[0]
    assert not psutil.pid_exists(sleeper) or (
        psutil.Process(sleeper).status() == psutil.STATUS_ZOMBIE)


def test_while_stop_is_unset_the_command_runs_to_its_end() -> None:
    stop = threading.Event()  # several polls of it pass while the command runs
    result = commands.run(["sh", "-c", "sleep 0.5; echo ran"], timeout=30, stop=stop)
    assert result.ok and not result.stopped and result.output.strip() == "ran"


def test_nothing_starts_once_stop_is_set(tmp_path) -> None:
    stop = threading.Event()
    stop.set()
    marker = tmp_path / "ran"
    result = commands.run(["touch", str(marker)], timeout=30, stop=stop)
    assert result.stopped and not marker.exists()
