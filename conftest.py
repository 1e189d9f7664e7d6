"""Suite-wide guard: the suite's runs must leave nothing, and the root namespace no change.

What is compared (``tests/support/guard.py``):

* Whole machine, before against after: the root namespace's links, addresses, routes (v4
  and v6, every table), nftables ruleset and ``ip_forward``. No run ever touches the root
  namespace, so a concurrent run does not change them either.
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
