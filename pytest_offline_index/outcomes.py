"""Outcomes of a step that are not errors: it did not run, or it is reported, never passed.

They steer the scenario and the pytest items (a skip, a record "not run" or "not checked");
a user never has to catch them, so they are not in the error family.
"""

from __future__ import annotations


class Outcome(Exception):
    """Base of the step outcomes; like the errors, the message is one line."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


class StepNotRun(Outcome):
    """A step whose prerequisite did not pass, or that the ending run stopped."""


class NotInstallChecked(Outcome):
    """A foreign target is warmed only: its install step is reported, never passed."""
