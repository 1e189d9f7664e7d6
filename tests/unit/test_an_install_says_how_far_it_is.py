"""An install's output, read as it comes, says what is collected, downloaded and installed,
counted — pip's lines and uv's."""

from __future__ import annotations

from pytest_offline_index.client.progress import install_progress

PIP = """\
Looking in indexes: http://10.213.0.5:3141/offline/airgap/+simple/
Collecting pandas
  Downloading http://10.213.0.5/+f/0a1/pandas-2.3.1-cp311-cp311-linux_x86_64.whl (12.4 MB)
Collecting numpy>=1.23.2 (from pandas)
  Downloading numpy-2.3.1-cp311-cp311-manylinux_2_28_x86_64.whl (16.9 MB)
Installing collected packages: numpy, pandas
Successfully installed numpy-2.3.1 pandas-2.3.1
"""
UV = """\
Resolved 4 packages in 12ms
Prepared 4 packages in 1.02s
Installed 4 packages in 30ms
 + pandas==2.3.1
"""


def said(output: str) -> list[str]:
    lines: list[str] = []
    reader = install_progress(lines.append)
    for line in output.splitlines():
        reader(line)
    return lines


def test_pip_s_install_is_said_step_by_step() -> None:
    assert said(PIP) == [
        "collecting pandas (1 requirement so far)",
        "downloading pandas-2.3.1-cp311-cp311-linux_x86_64.whl (12.4 MB)",
        "collecting numpy>=1.23.2 (2 requirements so far)",
        "downloading numpy-2.3.1-cp311-cp311-manylinux_2_28_x86_64.whl (16.9 MB)",
        "installing 2 distributions",
    ]


def test_uv_s_install_is_said_by_its_counts() -> None:
    assert said(UV) == ["resolved 4 packages", "prepared 4 packages", "installed 4 packages"]


def test_a_step_s_name_goes_before_each_line() -> None:
    lines: list[str] = []
    install_progress(lines.append, "install [py3.11]")("Collecting six")
    assert lines == ["install [py3.11]: collecting six (1 requirement so far)"]
