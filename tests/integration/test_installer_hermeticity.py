"""With uv or devpi-client too, nothing on the client machine can fill a hole in the cache.

As ``test_hermeticity.py`` does for pip: the cache loses the wheel it held, and every trap
points at it: the installer's own cache under ``$HOME`` primed with that very file, ``PIP_*``
and ``UV_*`` variables naming local files and indexes, a user ``pip.conf`` and ``uv.toml``, and
a ``uv.toml`` and ``pyproject.toml`` in the working directory. The check must still fail,
naming the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_offline_index.client.installers import uv_binary, uv_env
from pytest_offline_index.errors import OfflineInstallError
from pytest_offline_index.execute.commands import run
from pytest_offline_index.execute.hermetic import hermetic_env, index_args
from tests.support.dists import Dist
from tests.support.upstream import write_simple_index


def uv_toml(files: Path, simple: Path) -> str:
    return (f'find-links = ["{files}"]\nextra-index-url = ["{simple.as_uri()}"]\n'
            f'[pip]\nfind-links = ["{files}"]\nextra-index-url = ["{simple.as_uri()}"]\n')


@pytest.mark.parametrize("installer", ["uv", "devpi"])
def test_local_files_config_and_cache_cannot_fill_a_hole(upstream, make_scenario, unique,
                                                         tmp_path, monkeypatch,
                                                         installer: str) -> None:
    dist = Dist(unique("holey"), "1.0")
    upstream.publish(dist)
    scenario = make_scenario(upstream, dist.name, installer=installer)
    scenario.warm()
    simple_url = scenario.index.server.simple_url
    client = scenario.index.topology.client

    # Prime the installer's own cache under $HOME with the very file the cache will lose.
    home = tmp_path / "home"
    primer = scenario.index.fresh_venv()
    if installer == "uv":
        argv = [uv_binary(), "pip", "install", "--no-config", "--python", primer.python,
                "--index-url", simple_url, dist.name]
        primed = run(argv, namespace=client, env={**uv_env(), "HOME": str(home)})
        cache = home / ".cache" / "uv"
    else:
        args = [a for a in index_args(simple_url) if a != "--no-cache-dir"]
        primed = run([primer.python, "-m", "pip", "install", *args, dist.name],
                     namespace=client, env={**hermetic_env(), "HOME": str(home)})
        cache = home / ".cache" / "pip"
    assert primed.ok, primed.output
    assert [p for p in cache.rglob("*") if p.is_file()], f"nothing cached in {cache}"

    # The hole: the cache server loses the wheel it held.
    stored = list(scenario.index.server.serverdir.rglob(dist.filename))
    assert len(stored) == 1
    stored[0].unlink()

    # Every local trap points at the missing release.
    local = tmp_path / "local"
    Dist(dist.name, dist.version).write(local / "files")
    write_simple_index(local, [Dist(dist.name, dist.version)])
    files, simple = local / "files", local / "simple"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))  # not the suite's: the trap
    for name in ("PIP_FIND_LINKS", "UV_FIND_LINKS"):
        monkeypatch.setenv(name, str(files))
    for name in ("PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_DEFAULT_INDEX"):
        monkeypatch.setenv(name, simple.as_uri())
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".config" / "pip" / "pip.conf").write_text(f"[global]\nfind-links = {files}\n")
    (home / ".config" / "uv").mkdir(parents=True)
    (home / ".config" / "uv" / "uv.toml").write_text(uv_toml(files, simple))
    project = tmp_path / "project"
    project.mkdir()
    (project / "uv.toml").write_text(uv_toml(files, simple))
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "p"\nversion = "0"\n[tool.uv]\n{uv_toml(files, simple)}')
    monkeypatch.chdir(project)

    scenario.cut()
    with pytest.raises(OfflineInstallError) as excinfo:
        scenario.install()
    assert f"missing from the cache: {dist.name} 1.0 ({dist.filename})" in str(
        excinfo.value), excinfo.value.output
