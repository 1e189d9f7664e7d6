"""Hermeticity: nothing on the client machine can fill a hole in the cache.

The cache is given a hole (the sdist it held is lost from devpi's storage), and every trap
these machines really have points at the missing release, as a wheel pip would even prefer:
``PIP_FIND_LINKS``, ``PIP_EXTRA_INDEX_URL``, a global ``pip.conf`` (via ``XDG_CONFIG_DIRS``)
and a user ``pip.conf`` with ``find-links``, and a pip cache under ``$HOME`` that already holds
the wheel built from that very sdist URL. The check must still fail, naming the file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_offline_index.client.venv import FreshVenv
from pytest_offline_index.errors import OfflineInstallError
from pytest_offline_index.execute.commands import Runner, run
from pytest_offline_index.execute.hermetic import hermetic_env, index_args
from tests.support.dists import Dist, embedded_wheel
from tests.support.upstream import write_simple_index


def write_pip_conf(directory: Path, wheels: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pip.conf").write_text(f"[global]\nfind-links = {wheels}\n")


def test_local_files_config_and_cache_cannot_fill_a_hole(upstream, make_scenario, unique,
                                                         tmp_path, monkeypatch) -> None:
    dist = Dist(unique("holey"), "1.0", sdist=True)
    upstream.publish_file(embedded_wheel("setuptools"))
    upstream.publish(dist)
    scenario = make_scenario(upstream, dist.name)
    scenario.warm()  # preparing the sdist's metadata warms its backend, setuptools, too

    # Prime a pip cache under $HOME: building the sdist caches a wheel keyed by its URL.
    home = tmp_path / "home"
    client = scenario.index.topology.client
    primer = FreshVenv(tmp_path / "primer", base_python=sys.executable,
                       run=Runner(client)).create()
    args = [a for a in index_args(scenario.index.server.simple_url) if a != "--no-cache-dir"]
    primed = run([primer.python, "-m", "pip", "install", *args, dist.name],
                 namespace=client, env={**hermetic_env(), "HOME": str(home)})
    assert primed.ok, primed.output
    assert list((home / ".cache" / "pip" / "wheels").rglob("*.whl")), "no wheel cached"

    # The hole: the cache server loses the sdist it held.
    stored = list(scenario.index.server.serverdir.rglob(dist.filename))
    assert len(stored) == 1
    stored[0].unlink()

    # Every local trap points at the missing release, as a wheel pip would even prefer.
    local = tmp_path / "local"
    local_wheel = Dist(dist.name, dist.version)
    local_wheel.write(local / "files")
    write_simple_index(local, [local_wheel])
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))  # not the suite's: the trap
    monkeypatch.setenv("PIP_FIND_LINKS", str(local / "files"))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", (local / "simple").as_uri())
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "xdg"))
    write_pip_conf(tmp_path / "xdg" / "pip", local / "files")
    write_pip_conf(home / ".config" / "pip", local / "files")

    scenario.cut()
    with pytest.raises(OfflineInstallError) as excinfo:
        scenario.install()
    assert f"missing from the cache: {dist.name} 1.0 ({dist.filename})" in str(excinfo.value)
