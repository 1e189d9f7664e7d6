"""The checks under pytest-xdist (``-n``): the ``--offline-index`` check's items are one
sequence, so they go to one worker together; every worker's closing lines (that check's
table, each marked test's) reach the controller's terminal.

A scope for the check's items (whatever ``--dist`` groups the rest by) keeps warm, cut,
install and import on one worker: split across workers, an install would find its warm on
another and not run. The worker's closing lines travel in ``workeroutput``, which xdist
hands the controller when the worker finishes.
"""

from __future__ import annotations

from typing import Any

import pytest

from .output import Output, is_check_item, no_lone_progress

SUMMARY = "offline_index_summary"
SUMMARIES = pytest.StashKey["list[str]"]()
CHECK_SCOPE = "offline-index"
SCOPED = ("load", "loadscope", "loadfile", "loadgroup", "worksteal")


def xdist_run(config: pytest.Config) -> str | None:
    """The xdist run this process is a worker of (its ``testrunuid``), else None. Read from
    the worker's config, not the environment: a pytest that a worker's test starts (a
    pytester run) inherits xdist's variables without being a worker."""
    workerinput: dict[str, object] | None = getattr(config, "workerinput", None)
    return None if workerinput is None else str(workerinput.get("testrunuid") or "") or None


def under_xdist(config: pytest.Config) -> bool:
    """This run is pytest-xdist's: its controller (``-n``) or one of its workers."""
    return bool(config.getoption("numprocesses", None) or hasattr(config, "workerinput"))


def one_worker_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's scheduling for ``--dist``, with the check's items in one scope of their own
    (``load`` and ``worksteal`` become a scope per item, which is what they do for the
    rest)."""
    from xdist.scheduler import (  # type: ignore[import-untyped]
        LoadFileScheduling,
        LoadGroupScheduling,
        LoadScopeScheduling,
    )

    dist = config.getvalue("dist")
    base: type[Any] = {"loadfile": LoadFileScheduling, "loadgroup": LoadGroupScheduling,
                       "loadscope": LoadScopeScheduling}.get(dist, LoadScopeScheduling)
    per_item = dist not in ("loadfile", "loadgroup", "loadscope")

    class CheckOnOneWorker(base):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            if is_check_item(nodeid):
                return CHECK_SCOPE
            return nodeid if per_item else str(super()._split_scope(nodeid))

    return CheckOnOneWorker(config, log)


class Summaries:
    """The controller's side of what the workers' checks say: each phase's line with the
    report of the item it came in, and the closing lines when a worker finishes (the
    ``--offline-index`` check's table and each marked test's, wherever it ran)."""

    def __init__(self, config: pytest.Config, output: Output) -> None:
        self.config = config
        self.output = output

    @pytest.hookimpl(tryfirst=True)  # before the item's letter
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if lines := getattr(report, "offline_index_lines", None):
            self.output.say_settled(list(lines))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        lines = getattr(node, "workeroutput", {}).get(SUMMARY)
        if lines:
            summaries = self.config.stash.setdefault(SUMMARIES, [])
            summaries.extend([*([""] if summaries else []), *lines])


class Workers:
    """The controller's side of the ``--offline-index`` check: its items in one scope."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(optionalhook=True, tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") not in SCOPED:
            return None  # "each" runs everything on every worker: the check stays whole
        return one_worker_scheduler(config, log)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        no_lone_progress(self.config.pluginmanager.get_plugin("terminalreporter"), ids)


def send_summary(config: pytest.Config, lines: list[str]) -> None:
    """On a worker: hand the check's closing lines to the controller."""
    workeroutput: dict[str, object] | None = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[SUMMARY] = lines


def received_summaries(config: pytest.Config) -> list[str]:
    """On the controller: the closing lines the workers sent."""
    return config.stash.get(SUMMARIES, [])
