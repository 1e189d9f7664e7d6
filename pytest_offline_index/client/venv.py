"""Fresh virtualenvs on the air-gapped client: hermetic install and import checks."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ..errors import (
    CutNotEffectiveError,
    ForeignFileError,
    ImportCheckError,
    NotAsWarmedError,
    OfflineInstallError,
)
from ..execute.commands import Completed, LineCallback, Runner
from ..findings import ImportResult as ImportResult  # re-exported
from ..inputs.parsing import parse_packages
from ..inputs.requirements import check_sources
from ..proof.as_warmed import added, differences, distributions_in
from ..proof.holes import holes_in, pip_error
from ..proof.origin import Held, foreign_installs, sent_elsewhere
from ..util.words import count
from .farside import FarSide
from .installers import PIP, InstallRequest, installer_named

# A module-level smoke test beyond "it imports", for packages whose import is lazy.
SMOKE = {
    "pandas": 'm.DataFrame({"col1": [1, 2, 3], "col2": [4, 5, 6]}).sum().sum() == 21',
}

# One interpreter: the requested distributions' top-level modules (when no module is named),
# then each module imported. argv: the smoke tests, the modules (a JSON list, or null), the
# distributions, and whether every one of them must have a module.
IMPORT_SCRIPT = r"""
import importlib, json, os, sys, sysconfig, time
smoke, modules, distributions, every = (json.loads(a) for a in sys.argv[1:5])

def top_level(name):
    import importlib.metadata as md
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:
        return None  # not installed here: excluded by an environment marker
    top = (dist.read_text("top_level.txt") or "").split()
    if not top:
        for f in dist.files or []:
            first = f.parts[0]
            if first.endswith((".dist-info", ".data")) or first in ("..", "__pycache__"):
                continue
            if len(f.parts) > 1 and f.parts[1] == "__init__.py":
                top.append(first)
            elif len(f.parts) == 1 and first.endswith((".py", ".so", ".pyd")):
                top.append(first.split(".")[0])
    return sorted({t for t in top if t.isidentifier()})

def public(tops):
    return [t for t in tops if not t.startswith("_")] or tops

shipped = {}  # top-level module -> the requested distribution that ships it
for n in distributions:
    for t in top_level(n) or []:
        shipped.setdefault(t, n)
if modules is None:
    tops = {n: public(t) for n in distributions if (t := top_level(n)) is not None}
    missing = [n for n, t in tops.items() if not t]
    if (every and missing) or not any(tops.values()):
        print(json.dumps({"no_module": missing if every else list(tops)}))
        sys.exit(0)
    modules = [m for t in tops.values() for m in t]
stdlib = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")}
def in_stdlib(path):
    real = os.path.realpath(path)
    return "site-packages" not in real.split(os.sep) and any(
        real.startswith(lib + os.sep) for lib in stdlib)
out = {}
for name in modules:
    t = time.perf_counter()
    try:
        m = importlib.import_module(name)
        if name in smoke:
            assert eval(smoke[name]), "smoke test returned False: " + smoke[name]
        file = getattr(m, "__file__", None)
        out[name] = {"ok": True, "file": file, "stdlib": bool(file) and in_stdlib(file)
                     or name in sys.stdlib_module_names, "shipped_by": shipped.get(name),
                     "version": str(getattr(m, "__version__", "")),
                     "seconds": time.perf_counter() - t}
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        if isinstance(exc, ModuleNotFoundError) and exc.name == name.split(".")[0]:
            offered = sorted({t for n in distributions for t in public(top_level(n) or [])})
            if offered:  # a distribution's name is not its module's (pyyaml ships yaml)
                error += "; the requested distributions provide " + ", ".join(offered)
        out[name] = {"ok": False, "error": error}
print(json.dumps({"modules": modules, "results": out}))
"""


def requirement_name(spec: str) -> str:
    """The normalised project name of a (valid) requirement spec."""
    return canonicalize_name(Requirement(spec).name)


@dataclass(frozen=True)
class IndexTerms:
    """What every venv an index hands out installs from and is held to (the harness sets
    them; a venv made by hand has the first alone).

    ``simple_url``: the index its installs use. ``held``: what the index under test holds
    (sha256 -> file name; None: judge by URL alone). ``crossings``: requests the relay
    carried so far, None while the index is not cut. ``alive``: raises ServerError when the
    index's server is gone — before an install, and after one failed, the better
    explanation than the holes. An existing index's: ``proxy``, the relay, the installers'
    only way there; ``cert``, what they verify it with; ``file_hosts``, where its pages may
    send them; ``refusals``, the hosts the relay turned away since a time; ``netrc``, its
    credentials."""

    simple_url: str | None = None
    held: Callable[[], Held] | None = None
    crossings: Callable[[], int | None] | None = None
    alive: Callable[[], None] | None = None
    proxy: str | None = None
    cert: Path | None = None
    file_hosts: tuple[str, ...] = ()
    refusals: Callable[[float], list[tuple[str, int]]] | None = None
    netrc: Path | None = None


class FreshVenv:
    """A brand-new virtualenv created and used on the client host (``run``'s namespace).

    ``terms`` say which index its installs use and what they are held to; ``factory`` (set
    by the harness) makes :meth:`for_python` hand out a fresh venv of another target on the
    same client. ``installer`` makes and fills it: ``pip`` (``python -m venv``, ``pip
    install``), ``uv`` (``uv venv``, ``uv pip install``) or ``devpi`` (``python -m venv``,
    ``devpi use`` + ``devpi install``). Its venv is the far side's (``far_side``: as
    ``python -m venv`` makes one, nothing of the harness's in it); the warmer's
    (``download_only``) is the harness's own: virtualenv's. ``added`` is what the last
    ``install`` added or changed, by distribution name.
    """

    def __init__(self, path: Path, *, base_python: str, run: Runner | None = None,
                 terms: IndexTerms | None = None,
                 factory: Callable[[str], FreshVenv] | None = None,
                 installer: str = PIP, download_only: bool = False,
                 warmed: Callable[[], Mapping[str, Sequence[str]]] | None = None,
                 far_side: FarSide | None = None) -> None:
        self.way = installer_named(installer)
        self.installer = installer
        self.path = Path(path)
        self.base_python = base_python
        self._run = run or Runner()
        self.terms = terms or IndexTerms()
        self.factory = factory
        # a venv the harness only runs pip download in, never installs into (the warmer):
        # its seed packages are links to virtualenv's image, compiled once per machine, not
        # copies that every venv's first pip compiles again (~3 s of each warm, 2 cores)
        self.download_only = download_only
        self.added: dict[str, str] = {}  # what the last install added or changed, by name
        self.warmed = warmed  # what the run's warms fetched for this venv's target
        self.far_side = far_side or FarSide(None, lambda argv: self._run(argv, here=True))

    @property
    def simple_url(self) -> str | None:
        """The index its installs use, or None for a venv made by hand without one."""
        return self.terms.simple_url

    def for_python(self, spec: str) -> FreshVenv:
        """A new fresh venv of another target Python ("3.12" or a path), same client."""
        if self.factory is None:
            raise OfflineInstallError("this venv was not made by the harness: no for_python")
        return self.factory(spec)

    @property
    def python(self) -> str:
        """Its interpreter, ``bin/python`` (a path on the client's file system: the host's)."""
        return str(self.path / "bin" / "python")

    def create(self) -> FreshVenv:
        """Make it (the harness does before handing it out); a path that exists is refused."""
        if self.path.exists():
            raise OfflineInstallError(f"venv path {self.path} already exists; not reusing it")
        if self.download_only:
            self._make_warmer()
        else:
            self.way.make_venv(self._run, self.base_python, self.path, self.far_side)
        return self

    def _make_warmer(self) -> None:
        """virtualenv's venv, its seed linked from virtualenv's image (compiled once per
        machine): the warm only runs the harness's own ``pip download`` in it."""
        done = self._run([sys.executable, "-m", "virtualenv", "--python", self.base_python,
                          "--no-periodic-update", "--quiet", "--symlink-app-data",
                          str(self.path)])
        if not done.ok:
            raise OfflineInstallError(f"virtualenv failed for {self.base_python}: "
                                      f"{done.why()}")

    def install(self, *requirements: str, requirements_file: Path | str | None = None,
                index_url: str | None = None, on_line: LineCallback | None = None,
                warmed: Mapping[str, Sequence[str]] | None = None) -> float:
        """Install from the index alone; raises OfflineInstallError naming the holes.

        On a cut index it keeps the check's promises too: no request crossed the relay
        meanwhile (CutNotEffectiveError), and every distribution it added is at a version a
        warm fetched — ``warmed``, by default every warm of the run for this target
        (NotAsWarmedError). And it left the seed it shares with the run's other venvs of
        its Python as ``python -m venv`` made it (SeedWrittenError).
        """
        simple_url = index_url or self.terms.simple_url
        if not simple_url:
            raise OfflineInstallError("no index to install from: pass index_url")
        started = time.monotonic()
        terms = self.terms
        if terms.alive is not None:
            terms.alive()
        crossed = terms.crossings() if terms.crossings else None  # None: not cut
        before = distributions_in(self.path)
        what = list(requirements)
        path = Path(requirements_file).resolve() if requirements_file is not None else None
        if path is not None:
            what.append(f"-r {path.name}")
            check_sources(path)
        request = InstallRequest(simple_url, parse_packages(requirements) if requirements
                                 else (), path,
                                 self.path.with_name(f"{self.path.name}-install-report"),
                                 proxy=terms.proxy, cert=terms.cert, netrc=terms.netrc)
        done = self._install(request, on_line)
        if not done.ok:
            self._not_installable(done, what, started)
        self.added = added(before, distributions_in(self.path))
        origins = self.way.origins(self._run, self.python, request)
        if seeded := self._seeded(request, before):
            # the venv's own seed satisfied these (pip, setuptools): the far side would not
            # ask the index for them, but they were asked for, so the index must serve them
            again = replace(request, requirements=seeded, requirements_file=None,
                            report=request.report.with_name(f"{request.report.name}-seeded"),
                            reinstall=True)
            done = self._install(again, on_line)
            if not done.ok:
                self._not_installable(done, seeded, started)
            after = distributions_in(self.path)
            self.added = {**added(before, after), **{
                n: after[n] for n in map(requirement_name, seeded) if n in after}}
            origins.update(self.way.origins(self._run, self.python, again))
        if foreign := foreign_installs(self.added, origins, simple_url,
                                       terms.held() if terms.held else None, terms.file_hosts,
                                       witness=terms.refusals, since=started):
            raise ForeignFileError(f"{' '.join(what)}: not installed from the index alone: "
                                   + "; ".join(foreign), foreign=foreign)
        if crossed is not None:
            self._keep_the_cut_promises(crossed, warmed)
        return time.monotonic() - started

    def _install(self, request: InstallRequest, on_line: LineCallback | None) -> Completed:
        done = self.way.install(self._run, self.python, self.path, request, on_line)
        self.check_seed()
        return done

    def check_seed(self) -> None:
        """Raise SeedWrittenError if what was run in this venv wrote into a file of the
        seed it shares with its template (and the run's other venvs of its Python) in place.
        The harness checks after each install it runs here."""
        self.far_side.check_seed(self.path)

    def _seeded(self, request: InstallRequest, before: Mapping[str, str]) -> tuple[str, ...]:
        """The requested distributions that the install left as the venv's seed had them."""
        return tuple(r for r in request.requirements if (name := requirement_name(r)) in before
                     and name not in self.added)

    def _not_installable(self, done: Completed, what: Sequence[str], started: float) -> None:
        """Raise OfflineInstallError naming why the install ``done`` of ``what`` failed."""
        terms = self.terms
        if terms.alive is not None:
            terms.alive()
        where = "the index" if terms.proxy else "the cache"  # an existing index, or devpi
        holes = holes_in(done.output, where)
        refused = terms.refusals(started) if terms.refusals else []
        if done.timed_out:
            why = done.why()
        elif refused:
            why = sent_elsewhere(refused[0], done.output, terms.refusals, started)
        elif holes:
            why = f"missing from {where}: " + ", ".join(str(h) for h in holes)
        else:
            why = pip_error(done.output)
        raise OfflineInstallError(
            f"{' '.join(what)}: not installable from {where} alone: {why}",
            holes=holes, output=done.output)

    def command(self, argv: Sequence[str]) -> Completed:
        """Run ``argv`` on the client, as this venv's own commands run."""
        return self._run(argv)

    def _keep_the_cut_promises(self, crossed: int,
                               warmed: Mapping[str, Sequence[str]] | None) -> None:
        assert self.terms.crossings is not None
        if (now := self.terms.crossings()) is not None and now > crossed:
            raise CutNotEffectiveError(f"the cut did not hold: "
                                       f"{count(now - crossed, 'connection')} crossed the "
                                       f"relay during the install")
        if warmed is None and self.warmed is not None:
            warmed = self.warmed()
        # pip passes on a quiet backtrack to an older cached release: not a pass here
        if warmed and (unlike := differences(warmed, self.added)):
            raise NotAsWarmedError("installed is not what the warm resolved: "
                                   + "; ".join(str(d) for d in unlike), unlike, self.added)

    def run(self, code: str) -> Completed:
        """Run Python ``code`` with this venv's interpreter on the client."""
        return self._run([self.python, "-c", code])

    def check_imports(self, *modules: str, distributions: Sequence[str] = (),
                      every: bool = True) -> list[ImportResult]:
        """Import each module in the venv — or, with none named, the installed top-level
        modules of ``distributions``: of ``every`` one (one with none is refused), or of
        those that have any (a lock's entries include stubs and data-only distributions).
        Raise ImportCheckError naming every failure; a module that imports from outside
        the venv counts as a failure too. One interpreter does it all."""
        if not modules and not distributions:
            raise ImportCheckError("nothing to import: name a module (or the distributions "
                                   "whose modules to import)")
        # -I: not the harness's working dir first on sys.path, where a same-named dir wins
        done = self._run([self.python, "-I", "-c", IMPORT_SCRIPT, json.dumps(SMOKE),
                          json.dumps(list(modules) or None), json.dumps(list(distributions)),
                          json.dumps(every)])
        if not done.ok:
            ended = "did not finish" if done.timed_out else "crashed"
            raise ImportCheckError(f"import check {ended}: {done.why()}")
        answer = json.loads(done.output.strip().splitlines()[-1])
        if "no_module" in answer:
            names = ", ".join(answer["no_module"] or distributions)
            raise ImportCheckError(
                f"no importable top-level module found for {names}; name one with "
                f"--offline-index-import" if every else
                f"none of {names} has a top-level module to import; name one with "
                f"--offline-index-import")
        rows = answer["results"]
        results = []
        for name in answer["modules"]:
            row = rows[name]
            if row["ok"] and row["stdlib"] and row["shipped_by"]:
                # the interpreter's module comes first on sys.path: the one the
                # distribution ships never imports, here or on the far side
                results.append(ImportResult(
                    name, False, f"{name} is the standard library's "
                    f"({row['file'] or 'built in'}), not the one {row['shipped_by']} ships: "
                    f"the standard library shadows it"))
            elif row["ok"] and row["file"] and not row["stdlib"] and not Path(
                    row["file"]).resolve().is_relative_to(self.path.resolve()):
                results.append(ImportResult(
                    name, False, f"imported from outside the venv: {row['file']}"))
            elif row["ok"] and row["stdlib"]:
                results.append(ImportResult(name, True, f"{name} (the standard library's)",
                                            row["seconds"]))
            elif row["ok"]:
                detail = f"{name} {row['version']}".strip()
                results.append(ImportResult(name, True, detail, row["seconds"]))
            else:
                results.append(ImportResult(name, False, row["error"]))
        if failed := [r for r in results if not r.ok]:
            raise ImportCheckError("; ".join(f"import {r.module} failed: {r.detail}"
                                             for r in failed), results=results)
        return results
