"""A worker thread that lives inside a network namespace.

A socket keeps the network namespace it was created in, and ``setns`` moves only the calling
thread. So a thread that entered a namespace once opens every socket there: the harness uses
one to reach devpi's API, to probe a cut, and to make the relay's listening socket — without
any link, address or route in the root namespace.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import TypeVar

from .errors import TopologyError
from .nsexec import enter

T = TypeVar("T")


class NamespaceThread:
    """Runs callables on one thread inside ``namespace`` (None: this process's namespace)."""

    def __init__(self, namespace: str | None) -> None:
        self.namespace = namespace
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"netns-{namespace or 'host'}",
            initializer=self._enter)

    def _enter(self) -> None:
        if self.namespace:
            enter(self.namespace)

    def call(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Run ``fn(*args, **kwargs)`` in the namespace and return (or raise) its result."""
        try:
            future = self._pool.submit(fn, *args, **kwargs)
        except concurrent.futures.BrokenExecutor:
            raise TopologyError(
                f"could not enter network namespace {self.namespace}: is the run still up?"
            ) from None
        try:
            return future.result()
        except concurrent.futures.BrokenExecutor:
            raise TopologyError(
                f"could not enter network namespace {self.namespace}: is the run still up?"
            ) from None

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> NamespaceThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
