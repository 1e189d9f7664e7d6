"""Hermeticity: nothing on the client machine can fill a hole in the cache.

The cache is given a hole (the one file it held is lost from devpi's storage), and every
trap these machines really have points at the missing file: ``PIP_FIND_LINKS``,
``PIP_EXTRA_INDEX_URL``, a global ``pip.conf`` (via ``XDG_CONFIG_DIRS``) and a user
``pip.conf`` with ``find-links``, and a pip HTTP cache that already holds the very URL.
The check must still fail, naming the file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_offline_index.commands import run
from pytest_offline_index.errors import OfflineInstallError
from pytest_offline_index.hermetic import hermetic_env, index_args
from tests.support.dists import Dist
from tests.support.upstream import write_simple_index


def write_pip_conf(directory: Path, wheels: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pip.conf").write_text(f"[global]\nfind-links = {wheels}\nno-index = false\n")


def test_local_wheels_config_and_cache_cannot_fill_a_hole(upstream, make_scenario, unique,
                                                          tmp_path, monkeypatch) -> None:
    dist = Dist(unique("holey"), "1.0")
    upstream.publish(dist)
    scenario = make_scenario(upstream, dist.name)
    scenario.warm()

    # A pip HTTP cache under $HOME that holds the file's URL on the cache server.
    home = tmp_path / "home"
    env = {**hermetic_env(), "HOME": str(home)}
    args = [a for a in index_args(scenario.server.simple_url) if a != "--no-cache-dir"]
    cached = run([sys.executable, "-m", "pip", "download", "--no-deps", *args,
                  "-d", str(tmp_path / "dl"), dist.name],
                 namespace=scenario.topology.names.client_ns, env=env)
    assert cached.ok, cached.output
    assert any((home / ".cache" / "pip" / "http").rglob("*")), "pip cache not populated"

    # The hole: the cache server loses the file it held.
    stored = list(scenario.server.serverdir.rglob(dist.filename))
    assert len(stored) == 1
    stored[0].unlink()

    # Every local trap points at a copy of the missing file.
    local = tmp_path / "local"
    dist.write(local / "files")
    write_simple_index(local, [dist])
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PIP_FIND_LINKS", str(local / "files"))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", (local / "simple").as_uri())
    monkeypatch.setenv("PIP_NO_INDEX", "0")
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "xdg"))
    write_pip_conf(tmp_path / "xdg" / "pip", local / "files")
    write_pip_conf(home / ".config" / "pip", local / "files")

    scenario.cut()
    with pytest.raises(OfflineInstallError) as excinfo:
        scenario.install()
    assert f"missing from the cache: {dist.name} 1.0 ({dist.filename})" in str(excinfo.value)
