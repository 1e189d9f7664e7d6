"""The far side's venv is what the target's own ``python -m venv`` makes, copied from a
template that is made once and kept across runs (as virtualenv keeps its app-data), its seed
shared by hard links and held unchanged."""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_offline_index.client.farside import FarSide
from pytest_offline_index.client.seed import changed_files
from pytest_offline_index.errors import OfflineInstallError
from pytest_offline_index.execute.commands import Completed, run
from pytest_offline_index.inputs.targets import find_python
from pytest_offline_index.proof.as_warmed import distributions_in
from tests.support.dists import Dist


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


def _site(venv: Path) -> Path:
    (site,) = venv.glob("lib/python*/site-packages")
    return site


def test_a_venv_shares_its_seed_with_the_template_and_pip_replacing_a_seed_file_keeps_it(
        tmp_path) -> None:
    """The seed's files are the template's (hard links); its scripts and pyvenv.cfg are
    the venv's own. A real pip install of a wheel that brings a file of pip's own replaces
    that file in the venv and leaves the template, and so every other venv, as it was."""
    far_side = FarSide(tmp_path / "run", run, tmp_path / "cache")
    venv = tmp_path / "a"
    far_side.make(sys.executable, venv)
    template = far_side.template(sys.executable)
    shared = "pip/__init__.py"
    assert (_site(venv) / shared).stat().st_ino == (_site(template) / shared).stat().st_ino
    for own in ("bin/pip", "pyvenv.cfg"):
        assert (venv / own).stat().st_ino != (template / own).stat().st_ino
    pristine = (_site(template) / shared).read_bytes()

    Dist("clobbers-pip", "1.0", payload=((shared, "CLOBBERED = True\n"),)).write(tmp_path / "w")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-index",
                    "--no-cache-dir", "--find-links", str(tmp_path / "w"), "clobbers-pip"],
                   check=True, capture_output=True)
    assert (_site(venv) / shared).read_text() == "CLOBBERED = True\n"
    assert (_site(template) / shared).read_bytes() == pristine
    assert changed_files(template) == []
    far_side.check_seed(sys.executable)  # nothing written into: no error
    far_side.make(sys.executable, tmp_path / "b")
    assert (_site(tmp_path / "b") / shared).read_bytes() == pristine


def test_a_seed_written_into_in_place_fails_the_check_and_is_never_copied_again(
        tmp_path) -> None:
    asked: list[list[str]] = []
    here = recording(asked)
    cache = tmp_path / "cache"
    far_side = FarSide(tmp_path / "run1", here, cache)
    far_side.make(sys.executable, tmp_path / "a")
    with open(_site(tmp_path / "a") / "pip" / "__init__.py", "ab") as written:  # in place
        written.write(b"\n# written into\n")
    with pytest.raises(OfflineInstallError, match=r"^1 file of the venv's seed written into in "
                       r"place \(pip/__init__\.py\): the run's other venvs of this Python "
                       r"share them"):
        far_side.check_seed(sys.executable)
    assert list(cache.iterdir()) == []  # discarded

    asked.clear()
    far_side.make(sys.executable, tmp_path / "b")  # a new template, whole
    assert [a[1:3] for a in asked if "venv" in a] == [["-m", "venv"]]
    assert changed_files(tmp_path / "b") == []

    # a template written into by a run that ended before it could check (killed): the next
    # run's venv is not made from it
    with open(_site(tmp_path / "b") / "pip" / "__init__.py", "ab") as written:
        written.write(b"\n# written into\n")
    asked.clear()
    FarSide(tmp_path / "run2", here, cache).make(sys.executable, tmp_path / "c")
    assert [a[1:3] for a in asked if "venv" in a] == [["-m", "venv"]]
    assert changed_files(tmp_path / "c") == []


def test_a_venv_s_python_and_its_base_share_one_kept_template(tmp_path) -> None:
    """pytest run from a project's venv: the far side's venv is the one its base Python
    makes, so every project's venv of that Python shares one template with it."""
    project = tmp_path / "project-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project)], check=True)
    asked: list[list[str]] = []
    cache = tmp_path / "cache"
    FarSide(tmp_path / "run1", recording(asked), cache).make(str(project / "bin" / "python"),
                                                              tmp_path / "a")
    FarSide(tmp_path / "run2", recording(asked), cache).make(sys.executable, tmp_path / "b")
    assert [a[1:3] for a in asked if "venv" in a] == [["-m", "venv"]]
    assert asked[[a[1:3] for a in asked].index(["-m", "venv"])][0] == os.path.realpath(
        sys._base_executable)  # made by the base, as the far side, which has no venv
    assert len(list(cache.iterdir())) == 1
