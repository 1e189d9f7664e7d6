"""An index removes the work dir it made even when it never ran: collected but not run
(``--collect-only``, ``-k``), or refused before anything started (an upstream whose host does
not resolve). No namespace is needed to show it: nothing got that far."""

from __future__ import annotations

import pytest

from pytest_offline_index import OfflineIndex, Settings
from pytest_offline_index.errors import SettingsError


def test_an_index_made_and_closed_unstarted_removes_its_work_dir() -> None:
    index = OfflineIndex(Settings())
    assert index.workdir.is_dir()
    index.close()
    assert not index.workdir.exists()


def test_an_index_refused_before_it_started_removes_its_work_dir() -> None:
    index = OfflineIndex(Settings(upstream="http://no-such-host.invalid/simple/"))
    with pytest.raises(SettingsError, match="its host does not resolve"):
        index.start()
    assert not index.workdir.exists()
