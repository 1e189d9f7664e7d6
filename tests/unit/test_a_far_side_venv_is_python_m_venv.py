"""The far side's venv is what the target's own ``python -m venv`` makes, copied from a
template that is made once and kept across runs (as virtualenv keeps its app-data)."""

from __future__ import annotations

import concurrent.futures
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pytest_offline_index.client.farside import FarSide
from pytest_offline_index.execute.commands import Completed, run
from pytest_offline_index.inputs.targets import find_python
from pytest_offline_index.proof.as_warmed import distributions_in


def recording(asked: list[list[str]]) -> Callable[[list[str]], Completed]:
    """Runs each command on the host, as the harness does, and writes it down in ``asked``."""
    def here(argv: list[str]) -> Completed:
        asked.append(argv)
        return run(argv)
    return here


def test_a_kept_template_serves_later_runs_and_each_copy_is_its_own_venv(tmp_path) -> None:
    asked: list[list[str]] = []
    here = recording(asked)
    cache = tmp_path / "cache"
    first = FarSide(tmp_path / "run1", here, cache)
    first.make(sys.executable, tmp_path / "a")
    assert [a[1:3] for a in asked if "venv" in a] == [["-m", "venv"]]
    (kept,) = [p for p in cache.iterdir()]  # whole, no partial left beside it
    assert (kept / "pyvenv.cfg").is_file()

    asked.clear()
    later = FarSide(tmp_path / "run2", here, cache)  # another run, the same cache
    later.make(sys.executable, tmp_path / "b")
    assert [a for a in asked if "venv" in a] == []  # no python -m venv this time
    assert distributions_in(tmp_path / "b") == distributions_in(kept)
    # the copy is a venv of its own: its prefix, its scripts
    prefix = subprocess.run([str(tmp_path / "b" / "bin" / "python"), "-c",
                             "import sys; print(sys.prefix)"], capture_output=True,
                            text=True, check=True).stdout.strip()
    assert Path(prefix) == tmp_path / "b"
    assert str(kept) not in (tmp_path / "b" / "bin" / "activate").read_text()
    # the scripts of the first copy and a later one start their own venv's Python (what
    # devpi-client runs: <venv>/bin/pip)
    for venv in ("a", "b"):
        pip = subprocess.run([str(tmp_path / venv / "bin" / "pip"), "--version"],
                             capture_output=True, text=True, check=True).stdout
        assert f"from {tmp_path / venv}/lib/" in pip, pip


def test_an_unwritable_cache_means_a_template_of_the_run_s_own(tmp_path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    far_side = FarSide(tmp_path / "run", run, blocked / "cache")
    far_side.make(sys.executable, tmp_path / "v")
    assert (tmp_path / "v" / "pyvenv.cfg").is_file()
    (made,) = (tmp_path / "run").iterdir()
    assert made.name.startswith("far-side-") and (made / "venv" / "pyvenv.cfg").is_file()


def test_two_pythons_made_at_once_each_get_their_own_template(tmp_path) -> None:
    pythons = {v: find_python(v).executable or "" for v in ("3.11", "3.12")}
    far_side = FarSide(tmp_path / "run", run)  # no cache: the run's own templates
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda v: far_side.make(pythons[v], tmp_path / v), pythons))
    for version in pythons:
        cfg = (tmp_path / version / "pyvenv.cfg").read_text()
        assert f"version = {version}." in cfg, cfg
        assert list((tmp_path / version).glob(f"lib/python{version}/site-packages/pip"))


def test_a_kept_template_that_does_not_name_itself_is_not_copied(tmp_path) -> None:
    asked: list[list[str]] = []
    here = recording(asked)
    cache = tmp_path / "cache"
    FarSide(tmp_path / "run1", here, cache).make(sys.executable, tmp_path / "a")
    (kept,) = cache.iterdir()
    pip = kept / "bin" / "pip"  # as an earlier harness left it: naming where it was made
    pip.write_bytes(pip.read_bytes().replace(str(kept).encode(), b"/gone/elsewhere"))
    asked.clear()
    FarSide(tmp_path / "run2", here, cache).make(sys.executable, tmp_path / "b")
    assert [a[1:3] for a in asked if "venv" in a] == [["-m", "venv"]]  # the run's own
    subprocess.run([str(tmp_path / "b" / "bin" / "pip"), "--version"], check=True,
                   capture_output=True)
