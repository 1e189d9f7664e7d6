"""The far side's venv is what the target's own ``python -m venv`` makes, copied from a
template that is made once and kept across runs (as virtualenv keeps its app-data), its seed
shared by hard links and held unchanged."""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_offline_index.client.farside import FarSide
from pytest_offline_index.client.seed import MANIFEST, Seed
from pytest_offline_index.errors import SeedWrittenError
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


# a cache whose path makes its scripts' #! line too long: pip writes them as #!/bin/sh
@pytest.mark.parametrize("cache_name", ["cache", "c" * 120])
def test_a_kept_template_serves_later_runs_and_each_copy_is_its_own_venv(
        tmp_path, cache_name: str) -> None:
    asked: list[list[str]] = []
    here = recording(asked)
    cache = tmp_path / cache_name
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


def test_a_kept_template_removed_while_a_run_uses_it_is_made_anew(tmp_path) -> None:
    """Another run that found the kept template written into discards it, as its user may
    (the cache is theirs to delete): this run's next venv comes from a new one."""
    asked: list[list[str]] = []
    cache = tmp_path / "cache"
    far_side = FarSide(tmp_path / "run", recording(asked), cache)
    far_side.make(sys.executable, tmp_path / "a")
    (kept,) = cache.iterdir()
    shutil.rmtree(kept)

    asked.clear()
    far_side.make(sys.executable, tmp_path / "b")
    assert [a[1:3] for a in asked if "venv" in a] == [["-m", "venv"]]
    assert distributions_in(tmp_path / "b") == distributions_in(tmp_path / "a")
    assert (cache / kept.name / "pyvenv.cfg").is_file()  # kept again, for later runs


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


def _written_into(venv: Path) -> list[str]:
    """The files of ``venv`` this test wrote into (a marker it appends)."""
    return sorted(str(p.relative_to(venv)) for p in venv.rglob("*")
                  if p.is_file() and not p.is_symlink() and MARK in p.read_bytes())


MARK = b"# written into in place by a test"


def _write_into(path: Path) -> None:
    with open(path, "ab") as written:  # in place: the same inode, every link of it
        written.write(b"\n" + MARK + b"\n")


def test_a_venv_shares_its_seed_with_the_template_and_pip_replacing_a_seed_file_keeps_it(
        tmp_path) -> None:
    """The seed's files are the template's (hard links); its scripts and pyvenv.cfg are
    the venv's own. A real pip install of a wheel that brings a file of pip's own replaces
    that file in the venv and leaves the template, and so every other venv, as it was."""
    far_side = FarSide(tmp_path / "run", run, tmp_path / "cache")
    venv = tmp_path / "a"
    far_side.make(sys.executable, venv)
    template, _ = far_side._template(sys.executable)  # what its venvs are linked to
    shared = "pip/__init__.py"
    assert (_site(venv) / shared).stat().st_ino == (_site(template) / shared).stat().st_ino
    for own in ("bin/pip", "pyvenv.cfg"):
        assert (venv / own).stat().st_ino != (template / own).stat().st_ino
    assert not (venv / MANIFEST).exists()
    pristine = (_site(template) / shared).read_bytes()

    Dist("clobbers-pip", "1.0", payload=((shared, "CLOBBERED = True\n"),)).write(tmp_path / "w")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-index",
                    "--no-cache-dir", "--find-links", str(tmp_path / "w"), "clobbers-pip"],
                   check=True, capture_output=True)
    assert (_site(venv) / shared).read_text() == "CLOBBERED = True\n"
    assert (_site(template) / shared).read_bytes() == pristine
    seed = Seed.kept_in(template)
    assert seed is not None and seed.changed_in(template) == []
    far_side.check_seed(venv)  # replaced, not written into: no error
    far_side.make(sys.executable, tmp_path / "b")
    assert (_site(tmp_path / "b") / shared).read_bytes() == pristine


def test_a_seed_written_into_in_place_fails_every_venv_sharing_it_and_is_not_used_again(
        tmp_path) -> None:
    asked: list[list[str]] = []
    here = recording(asked)
    cache = tmp_path / "cache"
    far_side = FarSide(tmp_path / "run1", here, cache)
    for name in ("a", "a2"):  # both made before anything is written into
        far_side.make(sys.executable, tmp_path / name)
    _write_into(_site(tmp_path / "a2") / "pip" / "__init__.py")
    for name in ("a2", "a"):  # the writer's check discards the template; a's still fails
        with pytest.raises(SeedWrittenError, match=r"^1 file of the venv's seed written "
                           r"into in place \(lib/python3\.\d+/site-packages/pip/__init__\.py"
                           r"\): the run's other venvs of this Python share them"):
            far_side.check_seed(tmp_path / name)
    assert list(cache.iterdir()) == []  # discarded, nothing left aside

    asked.clear()
    far_side.make(sys.executable, tmp_path / "b")  # a new template, whole
    assert [a[1:3] for a in asked if "venv" in a] == [["-m", "venv"]]
    assert _written_into(tmp_path / "b") == []
    far_side.check_seed(tmp_path / "b")
    (kept,) = cache.iterdir()
    with pytest.raises(SeedWrittenError):  # a's own files still say so, and only that:
        far_side.check_seed(tmp_path / "a")  # the new template at the same path stays
    assert list(cache.iterdir()) == [kept] and _written_into(kept) == []

    # written into between two venvs by something no install check saw: the next venv is
    # made from a new template
    _write_into(_site(tmp_path / "b") / "pip" / "__init__.py")
    asked.clear()
    far_side.make(sys.executable, tmp_path / "b2")
    assert [a[1:3] for a in asked if "venv" in a] == [["-m", "venv"]]
    assert _written_into(tmp_path / "b2") == []

    # a file no RECORD has a hash for (RECORD itself; bytecode) written into by a run that
    # ended before it could check (killed): the next run's venv is not made from it
    (record,) = _site(tmp_path / "b2").glob("pip-*.dist-info/RECORD")
    _write_into(record)
    asked.clear()
    FarSide(tmp_path / "run2", here, cache).make(sys.executable, tmp_path / "c")
    assert [a[1:3] for a in asked if "venv" in a] == [["-m", "venv"]]
    assert _written_into(tmp_path / "c") == []

    # what each venv gets a copy of, edited in the kept template between runs: a
    # pyvenv.cfg that lets the harness's site-packages in would reach every venv
    (kept,) = cache.iterdir()
    config = kept / "pyvenv.cfg"
    config.write_text(config.read_text().replace("include-system-site-packages = false",
                                                 "include-system-site-packages = true"))
    asked.clear()
    FarSide(tmp_path / "run3", here, cache).make(sys.executable, tmp_path / "d")
    assert [a[1:3] for a in asked if "venv" in a] == [["-m", "venv"]]
    assert "include-system-site-packages = false" in (tmp_path / "d" / "pyvenv.cfg").read_text()

    # a file added to the kept template (a .pth runs at every start): linked into every venv
    (kept,) = cache.iterdir()
    (_site(kept) / "added.pth").write_text("import os\n")
    asked.clear()
    FarSide(tmp_path / "run4", here, cache).make(sys.executable, tmp_path / "e")
    assert [a[1:3] for a in asked if "venv" in a] == [["-m", "venv"]]
    assert not (_site(tmp_path / "e") / "added.pth").exists()


def test_a_venv_s_python_and_its_base_share_one_kept_template(tmp_path) -> None:
    """pytest run from a project's venv: its Python is a link to its base's, so every
    project's venv of that Python shares one template with it."""
    project = tmp_path / "project-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project)], check=True)
    asked: list[list[str]] = []
    cache = tmp_path / "cache"
    FarSide(tmp_path / "run1", recording(asked), cache).make(str(project / "bin" / "python"),
                                                              tmp_path / "a")
    FarSide(tmp_path / "run2", recording(asked), cache).make(sys.executable, tmp_path / "b")
    made = [a for a in asked if a[1:3] == ["-m", "venv"]]
    assert [a[0] for a in made] == [os.path.realpath(sys.executable)]  # once, by the base
    assert len(list(cache.iterdir())) == 1
