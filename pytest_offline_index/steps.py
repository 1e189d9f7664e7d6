"""The check's vocabulary: its steps and their statuses, one word each from the records to
the items, the terminal, the JSON report and junit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum

Progress = Callable[[str], None]  # where a run says what it does, one line at a time


def reporting(progress: Progress | None, logger: str) -> Progress:
    """Where a run's lines go: always to ``logging`` (the logger ``logger``, at INFO), and
    to ``progress`` too when one is given (the plugin's terminal, a script's ``print``)."""
    log = logging.getLogger(logger)

    def report(line: str) -> None:
        log.info("%s", line)
        if progress is not None:
            progress(line)
    return report

class Step(str, Enum):
    WARM = "warm"
    CUT = "cut"
    INSTALL = "install"
    IMPORT = "import"
    ISOLATION = "isolation"  # an existing index's check: the client reaches only that index
    BUNDLE = "bundle"  # the export's part for a target, installed alone with no network
    VERIFY = "verify"  # a bundle where it lands: its files against its manifest

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return self.value.__format__(spec)


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_RUN = "not run"
    NOT_CHECKED = "not checked"  # a foreign target: warmed, never install-checked
    INTERRUPTED = "interrupted"  # Ctrl-C or SIGTERM landed in it: neither passed nor failed

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return self.value.__format__(spec)


def step_key(step: str, target: str | None) -> str:
    """How a step is named in the records, the report and the items."""
    return f"{target}::{step}" if target else str(step)
