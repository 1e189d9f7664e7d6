"""The package says what it is: one version (the module's and the installed metadata's),
shown in pytest's header with the versions the check runs with, and the MIT license its
metadata names, as a file."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pytest_offline_index
from pytest_offline_index.inputs.tools import uv_binary

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_the_installed_metadata_s() -> None:
    assert pytest_offline_index.__version__ == importlib.metadata.version("pytest-offline-index")


def _installers() -> str:
    """pip and uv as this machine has them: the running Python's ensurepip seed, and the uv
    of the harness's ``uv`` package (asked here, not through the module under test)."""
    seed = "import ensurepip; print(ensurepip.version())"
    pip = subprocess.run([sys.executable, "-I", "-c", seed], capture_output=True, text=True,
                         check=True).stdout.strip()
    try:
        uv = subprocess.run([uv_binary(), "--version"], capture_output=True, text=True,
                            check=True).stdout.split()[1]
    except FileNotFoundError:
        return f"pip {pip}, uv not installed"
    return f"pip {pip}, uv {uv}"


def test_pytest_s_header_names_the_versions_the_check_runs_with(
        pytester: pytest.Pytester) -> None:
    # --collect-only makes the check's items and starts nothing: no namespaces, no devpi
    result = pytester.runpytest_subprocess("--offline-index", "--collect-only",
                                           "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()
    expected = (f"offline-index: pytest-offline-index {pytest_offline_index.__version__}, "
                f"devpi-server {importlib.metadata.version('devpi-server')}, {_installers()}, ")
    out = result.stdout.lines
    header = out[:next(i for i, line in enumerate(out) if line.startswith("collected"))]
    lines = [line for line in header if line.startswith("offline-index:")]
    assert len(lines) == 1 and lines[0].startswith(expected), result.stdout.str()
    assert re.search(r", devpi-client (\S+|not installed)$", lines[0]), lines[0]


def test_without_the_check_the_header_is_pytest_s_own(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("--collect-only", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    assert not [line for line in result.stdout.lines if line.startswith("offline-index:")]


MIT = """\
Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE."""


def test_the_license_file_is_the_mit_license_the_metadata_names() -> None:
    title, copyright_line, *body = (ROOT / "LICENSE").read_text().strip().split("\n\n")
    assert title == "MIT License"
    assert copyright_line == "Copyright (c) 2026 The pytest-offline-index contributors"
    assert [" ".join(p.split()) for p in body] == [" ".join(p.split())
                                                    for p in MIT.split("\n\n")]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'license = "MIT"' in pyproject and 'license-files = ["LICENSE"]' in pyproject
