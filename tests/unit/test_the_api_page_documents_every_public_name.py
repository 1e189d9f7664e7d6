"""The API page (docs/api.rst, built by Sphinx from the docstrings) documents every public
name of the package and nothing else; that each one's docstring builds without a warning is
the Sphinx build's to prove (``.ci/run``, ``tox -e lint``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest_offline_index

API = Path(__file__).resolve().parents[2] / "docs" / "api.rst"


def test_the_api_page_documents_every_public_name() -> None:
    documented = re.findall(r"^\.\. auto(?:class|exception):: pytest_offline_index\.(\w+)",
                            API.read_text(), flags=re.M)
    assert sorted(documented) == sorted(pytest_offline_index.__all__)


def test_every_public_name_has_a_docstring_of_its_own() -> None:
    for name in pytest_offline_index.__all__:
        doc = (getattr(pytest_offline_index, name).__dict__.get("__doc__") or "").strip()
        assert doc and not doc.startswith(f"{name}("), name  # not a dataclass's signature
