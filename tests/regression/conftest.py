"""Regression tests reach the public package index; they need user and network namespaces."""

from __future__ import annotations

import pytest

from tests.support.machine import require_namespaces


@pytest.fixture(autouse=True)
def _needs_namespaces() -> None:
    require_namespaces("the regression tests")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/regression/" in str(item.path):
            item.add_marker(pytest.mark.regression)
