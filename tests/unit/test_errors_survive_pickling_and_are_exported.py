"""Errors are one exported family whose payloads survive pickling (as xdist carries them);
what steers the steps is not an error."""

from __future__ import annotations

import inspect
import pickle

import pytest

import pytest_offline_index
from pytest_offline_index import errors
from pytest_offline_index.client.venv import ImportResult
from pytest_offline_index.outcomes import NotInstallChecked, StepNotRun
from pytest_offline_index.proof.as_warmed import Difference
from pytest_offline_index.proof.holes import Hole

FAMILY = [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
          if issubclass(cls, errors.OfflineIndexError)]


@pytest.mark.parametrize("cls", FAMILY, ids=lambda cls: cls.__name__)
def test_every_error_a_user_can_see_is_exported(cls: type) -> None:
    assert getattr(pytest_offline_index, cls.__name__) is cls
    assert cls.__name__ in pytest_offline_index.__all__


def test_the_step_outcomes_are_not_errors() -> None:
    for outcome in (StepNotRun, NotInstallChecked):
        assert not issubclass(outcome, errors.OfflineIndexError)


def roundtrip(exc: Exception) -> Exception:
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc) and str(copy) == str(exc)
    return copy


def test_an_install_error_keeps_its_holes_and_output() -> None:
    hole = Hole("app", "1.1", "app-1.1-py3-none-any.whl")
    copy = roundtrip(errors.OfflineInstallError("py3.11: app: missing", holes=[hole],
                                                output="pip said\nthis"))
    assert isinstance(copy, errors.OfflineInstallError)
    assert copy.holes == [hole] and copy.output == "pip said\nthis"


def test_the_other_payloads_survive_too() -> None:
    diff = Difference("app", ("2.0",), "1.0")
    copy = roundtrip(errors.NotAsWarmedError("app: warmed 2.0, installed 1.0", [diff]))
    assert isinstance(copy, errors.NotAsWarmedError) and copy.differences == [diff]
    foreign = roundtrip(errors.ForeignFileError("x", foreign=["local 1.0: from file:///w"]))
    assert isinstance(foreign, errors.ForeignFileError)
    assert foreign.foreign == ["local 1.0: from file:///w"]
    result = ImportResult("app", False, "ModuleNotFoundError: no app")
    imported = roundtrip(errors.ImportCheckError("import app failed", results=[result]))
    assert isinstance(imported, errors.ImportCheckError) and imported.results == [result]


def test_a_message_is_one_line_whatever_it_carries() -> None:
    assert str(errors.WarmError("pip said:\n  no\n  such thing")) == "pip said: no such thing"
