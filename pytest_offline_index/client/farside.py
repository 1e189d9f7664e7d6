"""The far side's venv: what ``python -m venv`` gives on the air-gapped machine.

A pass must hold where the set lands, so the install check's venv holds what the target
Python's own ``venv`` module and its ``ensurepip`` seed put there (3.11: pip 23.x and
setuptools 65.5; 3.12 and later: pip alone) and nothing of the harness's own (virtualenv
seeds pip 26 and setuptools 8x: a requirement they satisfy is one the far side may lack).

``python -m venv`` costs ~3-4 s (ensurepip installs its wheels with pip). So one venv is made
that way per target Python and kept as a template; each fresh venv is a copy of it with its
paths moved — the same files, byte for byte, pip's bytecode included — whose seed files are
hard links to the template's (``seed.py``: held unchanged by every install).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from array import array
from collections.abc import Callable
from pathlib import Path

from ..errors import OfflineInstallError, SeedWrittenError
from ..execute.commands import Completed
from ..util.words import count
from .seed import Seed, linked_copy

MakeHere = Callable[[list[str]], Completed]  # runs a command on the host, hermetically


def no_venv_module(base_python: str, output: str) -> str | None:
    """One line saying that ``base_python`` lacks ``venv``/``ensurepip`` (Debian and Ubuntu
    split them into ``python3.X-venv``), or None when that is not why it failed."""
    if "ensurepip" not in output and "No module named venv" not in output:
        return None
    return (f"{base_python} cannot make a venv the way the far side does: its venv module "
            f"or ensurepip is missing (on Debian and Ubuntu: apt-get install python3-venv, "
            f"or python3.X-venv for that version)")


def python_m_venv(make_here: MakeHere, base_python: str, path: Path) -> None:
    """``base_python -m venv path``, or OfflineInstallError in one line."""
    done = make_here([base_python, "-m", "venv", str(path)])
    if not done.ok:
        shutil.rmtree(path, ignore_errors=True)
        raise OfflineInstallError(no_venv_module(base_python, done.output) or
                                  f"python -m venv failed for {base_python}: {done.why()}")


class FarSide:
    """Makes far-side venvs: one ``python -m venv`` template per target Python in
    ``directory``, copied for each venv asked for (no ``directory``: each venv made by
    ``python -m venv`` itself). Safe to use from several threads."""

    def __init__(self, directory: Path | None, make_here: MakeHere,
                 cache: Path | None = None) -> None:
        self.directory = directory
        self.cache = cache  # where templates outlive the run (None: they do not)
        self._make_here = make_here
        self._templates: dict[str, tuple[Path, Seed]] = {}  # by target, each held whole
        self._made: dict[Path, tuple[str, Path, Seed, array[int]]] = {}  # by venv
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def make(self, base_python: str, path: Path) -> None:
        """A venv of ``base_python`` at ``path``, as ``python -m venv`` makes it there."""
        if self.directory is None:
            python_m_venv(self._make_here, base_python, path)
            return
        for _ in range(2):
            template, seed = self._template(base_python)
            try:
                linked_copy(template, path)
            except OSError:
                if seed.is_in(template):
                    raise  # the copy's own failure
                # removed (or made anew) since this run took it: by hand, or by another
                # run that found it written into
                why = "was removed as it was copied"
            else:
                _moved(path, template)
                links, stale = seed.linked(path)
                if not stale:
                    break
                why = f"changed as it was copied ({stale[0]})"  # written into since checked
            shutil.rmtree(path, ignore_errors=True)  # once more, from a new one
            self._drop(base_python, template, seed)
        else:
            raise OfflineInstallError(
                f"the far side's venv template for {base_python} {why}, twice: is another "
                f"program changing {template}?")
        with self._guard:
            self._made[path] = (base_python, template, seed, links)

    def check_seed(self, venv: Path) -> None:
        """Raise SeedWrittenError if a file ``venv`` shares with its template (and every
        other venv made from it) was written into in place; the template is then
        discarded, and the next venv asked for gets a new one."""
        with self._guard:
            made = self._made.get(venv)
        if made is None:
            return  # not made from a template: it shares nothing
        base_python, template, seed, links = made
        if not (written := seed.written_into(venv, links)):
            return
        self._drop(base_python, template, seed)
        raise SeedWrittenError(
            f"{count(len(written), 'file')} of the venv's seed written into in place "
            f"({', '.join(written[:3])}): the run's other venvs of this Python share them "
            f"(hard links), so they are not fresh any more; their template is discarded and "
            f"the next venv gets a new one")

    def _drop(self, base_python: str, template: Path, seed: Seed) -> None:
        """Stop using ``template``, and remove it — unless it is already another one,
        made anew at the same path."""
        with self._guard:
            if self._templates.get(base_python) == (template, seed):
                del self._templates[base_python]
        if seed.is_in(template):
            _discard(template)

    def _template(self, base_python: str) -> tuple[Path, Seed]:
        assert self.directory is not None
        with self._guard:
            lock = self._locks.setdefault(base_python, threading.Lock())
        with lock:  # one template per Python, however many threads ask at once
            if (made := self._templates.get(base_python)) is not None:
                return made
            made = self._kept(base_python) if self.cache is not None else None
            if made is None:  # a name of its own: templates of two Pythons are made at once
                self.directory.mkdir(parents=True, exist_ok=True)
                venv = Path(tempfile.mkdtemp(prefix=f"far-side-{os.getpid()}-",
                                             dir=self.directory)) / "venv"
                python_m_venv(self._make_here, base_python, venv)
                made = venv, Seed.record(venv)
            self._templates[base_python] = made
            return made

    def _kept(self, base_python: str) -> tuple[Path, Seed] | None:
        """The template of ``base_python`` kept in the cache, made there first if need be
        (or anew, if it was written into); None when the cache cannot hold it (then the
        run makes its own)."""
        assert self.cache is not None
        if (keyed := self._key(base_python)) is None:
            return None  # python -m venv will say what is wrong with this Python
        key, base = keyed
        kept = self.cache / key
        if (kept / "pyvenv.cfg").is_file():
            if not _names_itself(kept):
                return None  # not one to copy: make the run's own
            if (seed := Seed.kept_in(kept)) is not None and not seed.changed_in(kept):
                return kept, seed
            _discard(kept)  # written into by a run that ended before it could tell
            if kept.exists():
                return None
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            partial = Path(tempfile.mkdtemp(prefix=f"{key}.", suffix=".part", dir=self.cache))
        except OSError:
            return None
        try:
            python_m_venv(self._make_here, base, partial / "venv")
            _moved(partial / "venv", partial / "venv", kept)  # named where it will be
            seed = Seed.record(partial / "venv")
            # whole or not at all: another run may be making the same one meanwhile
            with contextlib.suppress(OSError):
                (partial / "venv").rename(kept)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        if not ((kept / "pyvenv.cfg").is_file() and _names_itself(kept)):
            return None
        return kept, Seed.kept_in(kept) or seed  # another run's, if it was first

    def _key(self, base_python: str) -> tuple[str, str] | None:
        """What a kept template of ``base_python`` is valid for — the interpreter it runs
        (path, version and build: a venv's Python is its base's, linked) and the ensurepip
        seed it carries — and that interpreter, which makes it."""
        done = self._make_here([base_python, "-I", "-c", KEY])
        said = done.output.strip().splitlines()[-1:] if done.ok else []
        try:  # the last line: what it printed on stderr (a warning) comes before
            base = json.loads(said[0])[0]
        except (IndexError, ValueError, TypeError, KeyError):
            return None
        if not isinstance(base, str) or not os.path.isabs(base):
            return None
        what = f"{TEMPLATE_FORMAT}\n{said[0]}"
        return hashlib.sha256(what.encode()).hexdigest()[:16], base


# what a kept template depends on, printed by the target Python itself as one JSON line:
# the interpreter it runs (a venv's Python, a link to its base, runs the base's), that
# interpreter's version and build, and the ensurepip seed it carries
# how this module lays a kept template out: a change to that makes earlier ones unused
TEMPLATE_FORMAT = 5
KEY = ("import ensurepip, json, os, sys; b = os.path.realpath(sys.executable); "
       "d = os.path.join(os.path.dirname(ensurepip.__file__), '_bundled'); "
       "print(json.dumps([b, sys.version, os.stat(b).st_mtime_ns, ensurepip.version(), "
       "sorted(os.listdir(d)) if os.path.isdir(d) else None]))")


def user_cache() -> Path:
    """Where this user's kept templates go (``$XDG_CACHE_HOME``, else ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pytest-offline-index" / "far-side"


def _discard(template: Path) -> None:
    """Remove ``template`` (moved aside first: other runs may be copying it right now)."""
    with contextlib.suppress(OSError):
        aside = Path(tempfile.mkdtemp(prefix=f"{template.name}.discarded-",
                                      dir=template.parent))
        try:
            template.rename(aside / "venv")
        finally:
            shutil.rmtree(aside, ignore_errors=True)


def _names_itself(venv: Path) -> bool:
    """Whether ``venv``'s own scripts start its own Python (a template copied whole): in
    their ``#!`` line, or — where that line would be too long for the kernel — in the
    ``exec`` line of the ``#!/bin/sh`` form pip writes instead."""
    bin_dir = os.fsencode(venv / "bin")
    with contextlib.suppress(OSError):
        head = (venv / "bin" / "pip").read_bytes()[:4096]
        return head.startswith((b"#!" + bin_dir, SH_EXEC + bin_dir, SH_EXEC + b'"' + bin_dir))
    return False


# pip's script for a Python whose path is too long for a #! line (the path quoted or not)
SH_EXEC = b"#!/bin/sh\n'''exec' "


def _moved(venv: Path, old: Path, new: Path | None = None) -> None:
    """Name ``new`` (default: ``venv``) instead of ``old`` where ``venv`` writes its own
    path: the scripts in ``bin`` (``activate``, ``pip``'s shebang) and ``pyvenv.cfg``'s
    command line. Python finds its prefix from where ``pyvenv.cfg`` is, so nothing else
    holds the old path. Only the whole path is replaced, never a path it begins."""
    whole = re.compile(re.escape(os.fsencode(old)) + rb"(?=[/\"'\s]|$)", re.M)
    after = os.fsencode(new or venv)
    for file in [venv / "pyvenv.cfg", *(venv / "bin").iterdir()]:
        if file.is_symlink() or not file.is_file():
            continue
        data = file.read_bytes()
        if (moved := whole.sub(lambda _: after, data)) != data:
            file.write_bytes(moved)
