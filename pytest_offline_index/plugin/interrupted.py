"""How a run of the check that Ctrl-C or SIGTERM cut short ends: pytest's "interrupted"
(exit 2) with one line naming the signal and the step it landed in, where pytest would show
its traceback of the KeyboardInterrupt, and the step's item counted "interrupted" in the last
line, so that line never reads as a plain pass. A Ctrl-C that comes while the run tears down
is held until the teardown is done (see ``HeldSigint``), then ends the run the same way.
Not under pytest-xdist, whose controller handles a KeyboardInterrupt of its own."""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from ..steps import Status
from ..util.interrupts import HeldSigint, interrupted_by
from .workers import under_xdist

if TYPE_CHECKING:
    from ..check.plan import StepRecord
    from ..check.scenario import AirgapScenario
    from .session import SessionIndex

MARK = "offline_index_interrupted"  # set on the report of the item it landed in
RUN = pytest.StashKey[pytest.Session]()  # the session, for the run's last hook


class Interrupted(KeyboardInterrupt):
    """The run's KeyboardInterrupt as pytest's closing lines show it: "Interrupted: ..."
    (pytest's own word for a run cut short), one line, no traceback."""

    __module__ = "builtins"


class Interruptions:
    """The plugin's hooks for an interrupt, registered with it for every run; they act
    where the session's index exists (``index_session``) and not under pytest-xdist."""

    def __init__(self, index_session: Callable[[], SessionIndex | None],
                 check: Callable[[], AirgapScenario | None]) -> None:
        self.index_session = index_session
        self.check = check  # the --offline-index check, once made

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, Any, Any]:
        """The run's phases (its start, collection and items) end in one line."""
        try:
            return (yield)
        except KeyboardInterrupt as exc:
            raise self._one_line(exc, session) from None

    pytest_sessionstart = pytest_collection = pytest_runtestloop

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport
                                 ) -> tuple[str, str, str] | None:
        """pytest's terminal counts and shows such a report in a category of its own."""
        return ("interrupted", "I", "INTERRUPTED") if getattr(report, MARK, False) else None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """The teardown begins: from here to the run's last hook a Ctrl-C is held."""
        if (index_session := self.index_session()) is not None:
            session.config.stash[RUN] = session
            index_session.sigint.hold()

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Before pytest's last line, which then counts it."""
        if (index_session := self.index_session()) is not None:
            said_if_held(terminalreporter.config, index_session.sigint, terminalreporter)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """The run's last hook, after the index's teardown: Ctrl-C is pytest's again."""
        if (index_session := self.index_session()) is not None:
            index_session.sigint.release()
            said_if_held(config, index_session.sigint)

    def _one_line(self, exc: KeyboardInterrupt, session: pytest.Session
                  ) -> KeyboardInterrupt:
        """``exc`` as one line, the item of the step it landed in reported "interrupted";
        or ``exc`` itself where the check does not run (or under xdist)."""
        index_session = self.index_session()
        if (isinstance(exc, (Interrupted, pytest.Session.Interrupted))  # pytest's own stop:
                or index_session is None or under_xdist(session.config)):  # -x, a bad collection
            return exc
        checks = [c for c in [self.check()] if c is not None] + index_session.checks
        landed = [(check, record) for check in checks
                  for record in check.report.steps.values()
                  if record.status == Status.INTERRUPTED][:1]
        line = f"offline-index: {interrupted_by(exc)}" + "".join(
            f" during {_title(record)}" for _, record in landed)
        for check, record in landed:
            _report(session, _nodeid(session.items, record) or check.name, line)
        return Interrupted(line)


def said_if_held(config: pytest.Config, held: HeldSigint, reporter: Any = None) -> None:
    """A Ctrl-C held during the teardown: now that it is done, the run ends "interrupted",
    saying so in one line (once; not if the run was interrupted already). ``reporter``:
    pytest's terminal, before its last line, which then counts "1 interrupted"; without
    it, the run's last hook says it after that line."""
    session = config.stash.get(RUN, None)
    if not held.caught or held.said or session is None or under_xdist(config):
        return
    held.said = True
    if session.exitstatus == pytest.ExitCode.INTERRUPTED:
        return
    session.exitstatus = pytest.ExitCode.INTERRUPTED
    line = "offline-index: by Ctrl-C (SIGINT) as the run ended; its teardown went on to the end"
    if reporter is not None:  # a report, for the count alone: every item has reported
        reporter.stats.setdefault("interrupted", []).append(pytest.TestReport(
            "offline-index", ("offline-index", None, "offline-index"), {}, "failed", line,
            "teardown", offline_index_interrupted=True))
    else:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_sep("!", f"Interrupted: {line}", red=True)
        reporter.flush()


def _report(session: pytest.Session, nodeid: str, line: str) -> None:
    session.config.hook.pytest_runtest_logreport(report=pytest.TestReport(
        nodeid, (nodeid, None, nodeid), {}, "failed", line, "call",
        offline_index_interrupted=True))


def _title(record: StepRecord) -> str:
    return f"{record.name} [{record.target}]" if record.target else record.name


def _nodeid(items: Sequence[pytest.Item], record: StepRecord) -> str | None:
    """The check item of ``record``'s step (the ``--offline-index`` check's), if any."""
    for item in items:
        target = getattr(item, "target", None)
        if getattr(item, "step", None) == record.name and (
                target.label if target else None) == record.target:
            return item.nodeid
    return None
