"""Suite-wide guard: the suite's runs must leave nothing, and the root namespace no change.

What is compared (``tests/support/guard.py``):

* The root namespace, before against after, as far as a run or this suite's emulations
  could touch it (``tests/support/machine.py``): ``ip_forward``, the machine's default
  routes, links a run names, addresses and routes in a run's addressing, and the suite's
  own nft tables. Other work on the machine is not compared. Under xdist the guard reads
  them when no test that emulates another host runs (``tests/support/alone.py``).
* Only this suite's runs: the guard polls the process table every 20 ms and remembers every
  namespace holder this process started, directly or through pytester subprocesses and xdist
  workers (pid, start time, its user and PID namespaces, its spec). At the end, for each: it
  is gone, no process is in one of its namespaces, no launcher of it runs, and its control
  dir and work dirs are gone. Each leftover is named with the holder's pid.

Holders of runs outside this suite are not looked at. Limit: a holder that lived for less
than one poll (20 ms) may be missed.

The fixture lives in ``tests.support.guard`` so that a pytester suite can load the very
same guard with ``-p tests.support.guard``.
"""

from __future__ import annotations

pytest_plugins = ["pytester", "tests.support.guard"]
