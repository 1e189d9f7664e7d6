"""Suite-wide guard: the suite's runs must leave nothing, and the root namespace no change.

What is compared (``tests/support/guard.py``):

* Whole machine, before against after: the root namespace's links, addresses, routes (v4
  and v6, every table), nftables ruleset and ``ip_forward``. No run ever touches the root
  namespace, so a concurrent run does not change them either.
* Only this suite's runs: the guard sets ``OFFLINE_INDEX_STATE_DIR`` to a fresh registry
  for the session (pytester subprocesses and xdist workers inherit it; each xdist worker
  guards its own) and polls it every 20 ms, remembering every run record it saw —
  including the local test upstream's, which registers itself there. At the end, for each
  remembered run: no record left, no namespace left, no path (work dir) left, no recorded
  process alive (pid and start time), no live process (any thread) in one of its network
  namespaces (by inode, even after the name is gone), and none whose cwd or command line
  is in one of its paths. Each leftover is named with its run id.

Namespaces, registries and processes of runs outside this suite are not looked at. Limits:
what a record held for less than one poll (20 ms) may be missed; a namespace inode is reused once
freed, so a foreign process in an *unnamed* namespace that got one of ours would be named
(one that got a foreign name is recognised and skipped).

The fixture lives in ``tests.support.guard`` so that a pytester suite can load the very
same guard with ``-p tests.support.guard``.
"""

from __future__ import annotations

pytest_plugins = ["pytester", "tests.support.guard"]
