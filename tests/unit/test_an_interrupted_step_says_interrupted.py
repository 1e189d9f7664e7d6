"""A step that Ctrl-C or SIGTERM lands in is recorded "interrupted", naming which: neither
"failed" (nothing was wrong with the packages) nor "KeyboardInterrupt()" (issue 30)."""

from __future__ import annotations

import pytest

from pytest_offline_index.check.plan import StepRecord, recorded
from pytest_offline_index.relay.records import RelayStats
from pytest_offline_index.steps import Status
from pytest_offline_index.util.interrupts import SIGTERM_MESSAGE


@pytest.mark.parametrize(("interrupt", "detail"), [
    (KeyboardInterrupt(), "by Ctrl-C (SIGINT)"),
    (KeyboardInterrupt(SIGTERM_MESSAGE), "by SIGTERM"),
])
def test_an_interrupt_is_recorded_as_one(interrupt, detail) -> None:
    record, said = StepRecord("warm", "py3.11"), []
    with pytest.raises(KeyboardInterrupt), recorded(record, said.append, RelayStats):
        raise interrupt
    assert (record.status, record.detail) == (Status.INTERRUPTED, detail)
    assert said[-1].startswith("warm [py3.11]: interrupted in ") and said[-1].endswith(
        f"({detail})")


def test_a_failure_is_still_a_failure() -> None:
    record = StepRecord("warm", "py3.11")
    with pytest.raises(RuntimeError), recorded(record, lambda line: None, RelayStats):
        raise RuntimeError("boom")
    assert (record.status, record.detail) == (Status.FAILED, "RuntimeError('boom')")
