"""Used from Python, the harness says what it does through ``logging`` (the
``pytest_offline_index`` loggers, INFO), and to a ``progress`` callback as well when given."""

from __future__ import annotations

import logging

import pytest

from pytest_offline_index import AirgapScenario, Settings
from tests.support.dists import Dist


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name.startswith("pytest_offline_index") and r.levelno == logging.INFO]


def test_every_line_goes_to_logging_and_to_the_callback(upstream, unique, tmp_path,
                                                          caplog) -> None:
    name = unique("logged")
    upstream.publish(Dist(name, "1.0"))
    settings = Settings.resolve(cli={"packages": [name], **upstream.settings})
    caplog.set_level(logging.INFO, logger="pytest_offline_index")
    lines: list[str] = []
    with AirgapScenario(settings, workdir=tmp_path / "run", progress=lines.append) as run:
        run.warm()
        run.cut()
    assert any(line.startswith("devpi-server up") for line in lines)
    assert any(line.startswith("warm [py3.") and "passed" in line for line in lines)
    said = set(lines)
    assert [message for message in logged(caplog) if message in said] == lines


def test_without_a_callback_the_lines_are_logged(upstream, unique, tmp_path, caplog) -> None:
    name = unique("logged")
    upstream.publish(Dist(name, "1.0"))
    settings = Settings.resolve(cli={"packages": [name], **upstream.settings})
    caplog.set_level(logging.INFO, logger="pytest_offline_index")
    with AirgapScenario(settings, workdir=tmp_path / "run") as run:
        run.warm()
        run.cut()
    messages = logged(caplog)
    assert any(m.startswith("devpi-server up") for m in messages)
    assert any(m.startswith("warm [py3.") and "passed" in m for m in messages)
    assert any(m.startswith("cut: passed") for m in messages)
