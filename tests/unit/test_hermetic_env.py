"""The hermetic environment: nothing inherited can point pip anywhere but the index."""

from __future__ import annotations

import os

from pytest_offline_index.execute.hermetic import hermetic_env, index_args
from tests.support.hermetic_checks import leaked_variables

POLLUTED = {
    "PATH": "/usr/bin",
    "HOME": "/root",
    "PIP_FIND_LINKS": "/opt/wheels",
    "PIP_EXTRA_INDEX_URL": "file:///opt/pypi/simple",
    "PIP_CONSTRAINT": "/etc/constraints.txt",
    "PIP_CERT": "/etc/ssl/certs/ca-certificates.crt",
    "UV_INDEX_URL": "http://elsewhere/simple",
    "VIRTUALENV_EXTRA_SEARCH_DIR": "/opt/wheels",
    "PYTHONPATH": "/opt/site",
    "XDG_CONFIG_DIRS": "/tmp/evil",
    "PIP_CONFIG_FILE": "/etc/pip-evil.conf",
}


def test_inherited_pip_uv_virtualenv_and_python_variables_are_dropped() -> None:
    env = hermetic_env(POLLUTED)
    assert leaked_variables(env) == []
    for key in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "UV_INDEX_URL", "PYTHONPATH",
                "XDG_CONFIG_DIRS", "VIRTUALENV_EXTRA_SEARCH_DIR", "PIP_CONSTRAINT"):
        assert key not in env


def test_pip_config_files_are_disabled_and_path_kept() -> None:
    env = hermetic_env(POLLUTED)
    assert env["PIP_CONFIG_FILE"] == os.devnull
    assert env["VIRTUALENV_CONFIG_FILE"] == os.devnull
    assert env["PATH"] == "/usr/bin"


def test_leaked_variables_reports_what_a_raw_environment_would_pass() -> None:
    assert "PIP_FIND_LINKS" in leaked_variables(POLLUTED)


def test_index_args_name_one_index_trust_its_host_and_use_no_cache() -> None:
    args = index_args("http://10.213.0.5:3141/offline/airgap/+simple/")
    assert args[args.index("--index-url") + 1] == "http://10.213.0.5:3141/offline/airgap/+simple/"
    assert args[args.index("--trusted-host") + 1] == "10.213.0.5"
    assert "--no-cache-dir" in args
    assert "--isolated" in args
    assert not any(a.startswith(("--extra-index-url", "--find-links")) for a in args)
