"""The checks' closing lines in pytest's terminal summary: for the ``--offline-index`` check
and each ``@pytest.mark.offline_index`` test that ran, each step, what crossed the gap, the
project table — and the hint when ``-m offline_index`` selected nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..steps import Status
from ..util.words import count, size

if TYPE_CHECKING:
    from ..check.scenario import AirgapScenario


def hint_the_check(terminalreporter: Any) -> None:
    """``-m offline_index`` alone selects nothing: the check's items come with the flag."""
    config = terminalreporter.config
    ran = any(terminalreporter.stats.get(k) for k in ("passed", "failed", "error", "skipped"))
    if ("offline_index" in (config.getoption("markexpr", "") or "") and not ran
            and not config.getoption("offline_index", False)):
        terminalreporter.write_line("offline-index: -m offline_index selects the check's "
                                    "items, which only --offline-index adds: pytest "
                                    "--offline-index -m offline_index")


def closing_lines(flag_check: AirgapScenario | None,
                  marker_checks: Sequence[AirgapScenario]) -> list[str]:
    """The tables of the checks that ran: the ``--offline-index`` check's as it always was,
    then each marked test's under its node id (one that never started prints nothing)."""
    lines = summary_lines(flag_check) if flag_check is not None and ran(flag_check) else []
    for scenario in marker_checks:
        if ran(scenario):
            lines += [*([""] if lines else []), f"{scenario.name}:", *summary_lines(scenario)]
    return lines


def ran(scenario: AirgapScenario) -> bool:
    return any(r.status != Status.NOT_RUN for r in scenario.report.steps.values())


def summary_lines(scenario: AirgapScenario) -> list[str]:
    """The check's table: each step, what crossed the gap, then target x project."""
    from ..check.report import gap, project_table  # the check's own modules: loaded by now

    lines: list[str] = []
    for record in scenario.report.steps.values():
        lines.append(
            f"{record.target or '':<28} {record.name:<8} {record.status:<12} "
            f"{record.seconds:7.1f}s  {record.detail}")
    if scenario.existing:
        fetched = [r.upstream for r in scenario.report.steps.values() if r.upstream]
        lines.append(
            f"through the relay: the client fetched {size(sum(f.bytes for f in fetched))} "
            f"in {count(sum(f.requests for f in fetched), 'connection')} from the index "
            f"(allowed: {', '.join(scenario.settings.allowed_hosts)})")
    elif crossed := gap(scenario):
        before, after = crossed["before_cut"], crossed["after_cut"]
        lines.append(
            f"through the relay: {size(before['bytes'])} in "
            f"{count(before['requests'], 'connection')} before the cut (devpi's start and "
            f"the warms'), {size(after['bytes'])} in {count(after['requests'], 'connection')} "
            f"after it (allowed: {', '.join(crossed['allowed_hosts'])})")
    return [*lines, "", *project_table(scenario)]
