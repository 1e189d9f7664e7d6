"""The check's lines on pytest's terminal, one per phase, as pip and uv print theirs.

Its items print no node id and no dot of their own (their phase lines say it all), so the
lines never interleave with pytest's progress; on a terminal, a phase's start and its
sub-lines (each file downloading) share one live line with the time so far, which the
phase's result line replaces; elsewhere (CI, a pipe) every line is printed plainly.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Generator
from typing import Any

import pytest

PREFIXES = ("offline-index[", "offline-index::", "offline-index-bundle[")
# "<phase> [<target>]: <status> in 1.2s (...)": a phase's outcome, kept on the terminal
RESULT = re.compile(r"^\S+(?: \[[^\]]+\])?(?: \S+)?: (?:passed|failed|skipped|not run|"
                    r"not checked|interrupted)\b")


def is_check_item(nodeid: str) -> bool:
    """Whether ``nodeid`` is one of the check's generated items."""
    return nodeid.startswith(PREFIXES)


def no_lone_progress(reporter: Any, nodeids: list[str]) -> None:
    """Where the run's items are the check's alone, pytest's "[100%]" would stand on a line
    of its own, saying nothing: it is left out."""
    if (nodeids and all(is_check_item(nodeid) for nodeid in nodeids)
            and hasattr(reporter, "_show_progress_info")):
        reporter._show_progress_info = False


class Output:
    """The check's writer (a ``Progress``) and the hooks that keep pytest's per-item
    output off its items."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._live: tuple[str, float] | None = None  # the phase on the live line, since
        self._wrote = False  # lines written in the middle of the running test's line
        # an xdist worker has no terminal: its lines go to the controller with the reports
        self._worker = hasattr(config, "workerinput")
        self._pending: list[str] = []
        # lines to say before a worker's first check lines (the shared index's start)
        self.preamble: Callable[[], list[str]] = list

    @property
    def _reporter(self) -> Any:
        return self.config.pluginmanager.get_plugin("terminalreporter")

    def _on_a_terminal(self) -> bool:
        reporter = self._reporter
        return bool(reporter is not None and reporter.isatty()
                    and self.config.get_verbosity() < 1)

    def write(self, line: str) -> None:
        """Say ``line`` (without the ``offline-index:`` prefix)."""
        if line.startswith("  ") and self.config.get_verbosity() < 1:
            return  # a detail: shown with -v
        if self._worker:
            self._pending.append(line)
            return
        reporter = self._reporter
        if reporter is None:
            return
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        with (capture.global_and_fixture_disabled() if capture is not None
              else contextlib.nullcontext()):  # progress must reach the terminal live
            self._say(reporter, line)

    def _say(self, reporter: Any, line: str) -> None:
        text = f"offline-index: {line}"
        if (reporter._tw.width_of_current_line and self._live is None
                and reporter.currentfspath is None):
            reporter._tw.line()  # pytest's "[100%]", say, ends its line first
        self._wrote = True
        if not self._on_a_terminal():
            reporter.write_line(text)
            return
        if line.endswith(" ..."):  # a phase starts: the live line
            self._live = (line[:-4], time.monotonic())
            reporter.rewrite(text, erase=True)
        elif self._live is not None and RESULT.match(line):  # it replaces the live line
            reporter.rewrite(text, erase=True)
            reporter._tw.line()
            self._live = None
        elif self._live is None:
            reporter.write_line(text)
        else:  # a phase's sub-line: it updates the live one
            phase, since = self._live
            sub = line.removeprefix(phase).removeprefix(":").strip()
            width = reporter._tw.fullwidth - 1
            said = f"offline-index: {phase} ... {time.monotonic() - since:.0f}s {sub}"
            reporter.rewrite(said[:width], erase=True)

    def say_settled(self, lines: list[str]) -> None:
        """Lines a worker said during an item, printed when the item's report arrives:
        each phase's result, not its start and progress (they are history by now)."""
        for line in settled(lines):
            self.write(line)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any
                                  ) -> Generator[None, Any, Any]:
        report = yield
        if self._worker and self._pending:  # xdist sends it to the controller with the report
            report.offline_index_lines, self._pending = self.preamble() + self._pending, []
        return report

    # -- hooks: the check's items print no node id, no dot ------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        no_lone_progress(self._reporter, [item.nodeid for item in session.items])

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self._wrote = False
        reporter = self._reporter
        if reporter is not None and self.config.get_verbosity() < 1:
            reporter.showfspath = False if is_check_item(nodeid) else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """A test of the suite (the fixtures', the marker's) that the check's lines
        interrupted gets its file's name again, so its dot follows it, as with live logs."""
        reporter = self._reporter
        if (self._wrote and reporter is not None and reporter.showfspath
                and (report.when == "call" or not report.passed)  # its letter comes next
                and self.config.get_verbosity() < 1 and not is_check_item(report.nodeid)):
            reporter.write_fspath_result(report.nodeid, "")
            self._wrote = False

    def pytest_runtest_logfinish(self) -> None:
        self._wrote = False

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(self, report: pytest.TestReport
                                 ) -> Generator[None, Any, Any]:
        status = yield
        if is_check_item(report.nodeid) and self.config.get_verbosity() < 1 and status:
            category, _, word = status
            return category, "", word
        return status


def settled(lines: list[str]) -> list[str]:
    """``lines`` without each phase's start (``... ...``) and the sub-lines that followed it
    until its result."""
    kept: list[str] = []
    phase: str | None = None
    for line in lines:
        if line.endswith(" ..."):
            phase = line[:-4]
        elif phase is not None and RESULT.match(line):
            kept.append(line)
            phase = None
        elif phase is None or not line.startswith(phase):
            kept.append(line)
    return kept
