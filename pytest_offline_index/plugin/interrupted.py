"""How a run of the check that Ctrl-C or SIGTERM cut short ends: pytest's "interrupted"
(exit 2) with one line naming the signal and the step it landed in, where pytest would show
its traceback of the KeyboardInterrupt, and the step's item counted "interrupted" in the last
line, so that line never reads as a plain pass."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest

from ..check.plan import StepRecord
from ..check.scenario import AirgapScenario
from ..execute.interrupts import interrupted_by
from ..steps import Status

MARK = "offline_index_interrupted"  # set on the report of the item it landed in


class Interrupted(KeyboardInterrupt):
    """The run's KeyboardInterrupt as pytest's closing lines show it: "Interrupted: ..."
    (pytest's own word for a run cut short), one line, no traceback."""

    __module__ = "builtins"


def interrupted(exc: KeyboardInterrupt, checks: Iterable[AirgapScenario],
                session: pytest.Session) -> Interrupted:
    """``exc`` as one line; the item of the step it landed in is reported "interrupted"."""
    landed = [(check, record) for check in checks for record in check.report.steps.values()
              if record.status == Status.INTERRUPTED][:1]
    line = f"offline-index: {interrupted_by(exc)}" + "".join(
        f" during {_title(record)}" for _, record in landed)
    for check, record in landed:
        nodeid = _nodeid(session.items, record) or check.name
        session.config.hook.pytest_runtest_logreport(report=pytest.TestReport(
            nodeid, (nodeid, None, nodeid), {}, "failed", line, "call",
            offline_index_interrupted=True))
    return Interrupted(line)


def teststatus(report: pytest.TestReport) -> tuple[str, str, str] | None:
    """How pytest's terminal counts and shows that report: its own category."""
    return ("interrupted", "I", "INTERRUPTED") if getattr(report, MARK, False) else None


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
