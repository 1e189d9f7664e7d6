"""Sphinx configuration for the API page (docs/api.rst), generated from the docstrings.

Built by ``.ci/run`` and ``tox -e lint`` with warnings as errors, outside the tree (how:
docs/developing.md). The other pages of docs/ are Markdown, read on the forge as they are:
Sphinx reads only ``.rst`` files, so the API page alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

# the tree being built, not whichever copy of the package is installed
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest_offline_index

project = "pytest-offline-index"
author = "The pytest-offline-index contributors"
copyright = f"2026, {author}"
release = version = pytest_offline_index.__version__

root_doc = "api"  # the one page
extensions = ["sphinx.ext.autodoc"]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True  # defaults as written (installer=PIP), not their reprs
html_theme = "alabaster"
