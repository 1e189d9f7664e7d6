"""Sizes as pip prints them and counts with their noun: never "0.0 MB" for 11 kB, "1 files"
or "request(s)"."""

from __future__ import annotations

import pytest

from pytest_offline_index.util.words import count, size


@pytest.mark.parametrize(("n_bytes", "said"), [
    (0, "0 bytes"), (1, "1 byte"), (999, "999 bytes"), (11_264, "11 kB"),
    (999_499, "999 kB"), (27_812_345, "27.8 MB"), (3_000_000_000, "3.0 GB"),
])
def test_a_size_is_said_in_decimal_units(n_bytes: int, said: str) -> None:
    assert size(n_bytes) == said


@pytest.mark.parametrize(("n", "said"), [(0, "0 files"), (1, "1 file"), (2, "2 files")])
def test_a_count_takes_its_noun_s_plural_unless_one(n: int, said: str) -> None:
    assert count(n, "file") == said


def test_an_irregular_plural_is_given() -> None:
    assert count(3, "address", "addresses") == "3 addresses"
