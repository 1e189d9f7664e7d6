"""SIGTERM at any moment of ``commands.run`` kills the child: none outlives the call.

The signal comes from another thread at a random moment in the first milliseconds, which
lands some of them inside ``subprocess.Popen`` after its fork. Before ``interrupts.Deferral``
about one call in six left its child running (a pip that then wrote into the removed work
dir). The loop runs in a fresh interpreter, with a handler like the session's.
"""

from __future__ import annotations

import subprocess
import sys

DRIVER = r'''
import os, random, signal, threading, time
import psutil
from pytest_offline_index.execute import commands

def handler(signum, frame):
    raise KeyboardInterrupt(signum)

go, fired = threading.Event(), threading.Event()

def killer():  # another thread: the kernel may hand it the signal, as the relay's
    while True:
        go.wait()
        go.clear()
        time.sleep(random.uniform(0, 0.03))
        os.kill(os.getpid(), signal.SIGTERM)
        fired.set()

signal.signal(signal.SIGTERM, handler)
threading.Thread(target=killer, daemon=True).start()
orphans = interrupted = 0
for _ in range(ROUNDS):
    try:
        go.set()
        commands.run(["sleep", "30"])
    except KeyboardInterrupt:  # also one that lands before run() is entered: no child then
        interrupted += 1
    fired.wait()
    fired.clear()
    alive = [c for c in psutil.Process().children() if c.status() != psutil.STATUS_ZOMBIE]
    orphans += bool(alive)
    for child in alive:
        child.kill()
print(orphans, interrupted)
'''


def test_sigterm_while_spawning_kills_the_child_and_still_interrupts() -> None:
    rounds = 100
    done = subprocess.run([sys.executable, "-c", DRIVER.replace("ROUNDS", str(rounds))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    orphans, interrupted = map(int, done.stdout.split())
    assert orphans == 0
    assert interrupted == rounds  # held while spawning, never swallowed
