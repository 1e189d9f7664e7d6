"""Fresh virtualenvs on the air-gapped client: hermetic install and import checks."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .commands import Completed, LineCallback, run
from .errors import (
    CutNotEffectiveError,
    ForeignFileError,
    ImportCheckError,
    NotAsWarmedError,
    OfflineInstallError,
)
from .hermetic import hermetic_env, index_args, with_tmpdir
from .holes import holes_in, pip_error
from .installed import added, differences, distributions_in, site_packages
from .installers import (
    DEVPI,
    INSTALLERS,
    PIP,
    UV,
    clientdir_for,
    devpi_command,
    devpi_env,
    devpi_install_argv,
    devpi_use_argv,
    not_installed,
    uv_binary,
    uv_env,
    uv_install_argv,
    uv_resolve_argv,
    uv_venv_argv,
)
from .netns import Place
from .origin import Held, Origin, foreign_installs, from_pip_report, from_pylock
from .outcomes import StepNotRun
from .requirements import check_sources, pins_hashes
from .settings import parse_packages

# A module-level smoke test beyond "it imports", for packages whose import is lazy.
SMOKE = {
    "pandas": 'm.DataFrame({"col1": [1, 2, 3], "col2": [4, 5, 6]}).sum().sum() == 21',
}

TOP_LEVEL_SCRIPT = r"""
import importlib.metadata as md, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:
        continue  # not installed here: excluded by an environment marker
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
    public = sorted({t for t in top if t.isidentifier() and not t.startswith("_")})
    out[name] = public or sorted({t for t in top if t.isidentifier()})
print(json.dumps(out))
"""

IMPORT_SCRIPT = r"""
import importlib, json, os, sys, sysconfig, time
smoke = json.loads(sys.argv[1])
stdlib = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")}
def in_stdlib(path):
    real = os.path.realpath(path)
    return "site-packages" not in real.split(os.sep) and any(
        real.startswith(lib + os.sep) for lib in stdlib)
out = {}
for name in sys.argv[2:]:
    t = time.perf_counter()
    try:
        m = importlib.import_module(name)
        if name in smoke:
            assert eval(smoke[name]), "smoke test returned False: " + smoke[name]
        file = getattr(m, "__file__", None)
        out[name] = {"ok": True, "file": file, "stdlib": bool(file) and in_stdlib(file),
                     "version": str(getattr(m, "__version__", "")),
                     "seconds": time.perf_counter() - t}
    except BaseException as exc:
        out[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}".splitlines()[0]}
print(json.dumps(out))
"""


@dataclass(frozen=True)
class ImportResult:
    module: str
    ok: bool
    detail: str
    seconds: float = 0.0


class FreshVenv:
    """A brand-new virtualenv created and used inside ``namespace`` (the client host).

    ``simple_url`` is the index its installs use; ``factory`` (set by the harness) makes
    :meth:`for_python` hand out a fresh venv of another target on the same client.
    ``installer`` makes and fills it: ``pip`` (virtualenv, ``pip install``), ``uv`` (``uv
    venv``, ``uv pip install``) or ``devpi`` (virtualenv, ``devpi use`` + ``devpi install``).
    """

    def __init__(self, path: Path, *, base_python: str, namespace: Place | None,
                 timeout: float = 900.0, simple_url: str | None = None,
                 factory: Callable[[str], FreshVenv] | None = None,
                 installer: str = PIP, build_tools: bool = False, download_only: bool = False,
                 tmpdir: Path | None = None, stop: threading.Event | None = None,
                 held: Callable[[], Held] | None = None,
                 crossings: Callable[[], int | None] | None = None,
                 warmed: Callable[[], Mapping[str, Sequence[str]]] | None = None) -> None:
        if installer not in INSTALLERS:
            raise OfflineInstallError(f"installer {installer!r} is not one of "
                                      f"{', '.join(INSTALLERS)}")
        if why := not_installed(installer):
            raise OfflineInstallError(why)
        self.path = Path(path)
        self.base_python = base_python
        self.namespace = namespace
        self.timeout = timeout
        self.simple_url = simple_url
        self.factory = factory
        self.installer = installer
        # seed setuptools on every Python (virtualenv seeds none from 3.12 on): a warm
        # without build isolation prepares sdists' metadata with the venv's own tools
        self.build_tools = build_tools
        # a venv the harness only runs pip download in, never installs into (the warmer):
        # its seed packages are links to virtualenv's image, compiled once per machine, not
        # copies that every venv's first pip compiles again (~3 s of each warm, 2 cores)
        self.download_only = download_only
        self.tmpdir = tmpdir  # TMPDIR of what runs here (None: the environment's)
        self.stop = stop  # set when the harness tears down: ends what runs here at once
        self.added: dict[str, str] = {}  # what the last install added or changed, by name
        # what the index under test holds (sha256 -> file name); None: judge by URL alone
        self.held = held
        # requests the relay carried so far, None while the index is not cut; and what the
        # run's warms fetched for this venv's target (the harness sets both)
        self.crossings = crossings
        self.warmed = warmed

    def _env(self, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """``env`` (default: the hermetic one) with this venv's TMPDIR."""
        return with_tmpdir(hermetic_env() if env is None else env, self.tmpdir)

    def _exec(self, argv: Sequence[str], env: Mapping[str, str] | None = None,
              on_line: LineCallback | None = None, *, on_client: bool = True,
              timeout: float | None = None) -> Completed:
        """``argv`` on the client (or, ``on_client=False``, here), with :meth:`_env`, this
        venv's timeout, and its ``stop``: set from another thread as the run ends, it ends
        ``argv``, and the step is recorded "not run", not as a failure of the packages."""
        done = run(argv, namespace=self.namespace if on_client else None, env=self._env(env),
                   timeout=self.timeout if timeout is None else timeout, on_line=on_line,
                   stop=self.stop)
        if done.stopped:
            raise StepNotRun("stopped: the run ended before this step did")
        return done

    def for_python(self, spec: str) -> FreshVenv:
        """A new fresh venv of another target Python ("3.12" or a path), same client."""
        if self.factory is None:
            raise OfflineInstallError("this venv was not made by the harness: no for_python")
        return self.factory(spec)

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def create(self) -> FreshVenv:
        if self.path.exists():
            raise OfflineInstallError(f"venv path {self.path} already exists; not reusing it")
        if self.installer == UV:
            done = self._exec(uv_venv_argv(uv_binary(), self.base_python, str(self.path)),
                              uv_env())
            if not done.ok:
                raise OfflineInstallError(f"uv venv failed for {self.base_python}: "
                                          f"{done.tail(1)}")
            return self
        # virtualenv runs from the harness's interpreter and builds a venv of any target.
        seed = ["--setuptools", "bundle"] if self.build_tools else []
        if self.download_only:
            seed.append("--symlink-app-data")
        done = self._exec([sys.executable, "-m", "virtualenv", "--python", self.base_python,
                           "--no-periodic-update", "--quiet", *seed, str(self.path)])
        if not done.ok:
            raise OfflineInstallError(f"virtualenv failed for {self.base_python}: "
                                      f"{done.tail(1)}")
        if not self.download_only:
            self._compile_pip()
        return self

    def _compile_pip(self) -> None:
        """Leave pip compiled, as ``python -m venv`` does (ensurepip compiles it): a copied
        virtualenv seed has no bytecode, and the first pip would compile itself on the
        install step's clock (~1.3 s). Done where the venv is made, ahead of the check."""
        pips = [str(p / "pip") for p in site_packages(self.path) if (p / "pip").is_dir()]
        if pips:  # bytecode is an optimisation: a failure here only costs that time back
            self._exec([self.python, "-m", "compileall", "-q", "-j0", *pips], on_client=False)

    def install(self, *requirements: str, requirements_file: Path | str | None = None,
                index_url: str | None = None, on_line: LineCallback | None = None,
                warmed: Mapping[str, Sequence[str]] | None = None) -> float:
        """Install from the index alone; raises OfflineInstallError naming the holes.

        On a cut index it keeps the check's promises too: no request crossed the relay
        meanwhile (CutNotEffectiveError), and every distribution it added is at a version a
        warm fetched — ``warmed``, by default every warm of the run for this target
        (NotAsWarmedError).
        """
        simple_url = index_url or self.simple_url
        if not simple_url:
            raise OfflineInstallError("no index to install from: pass index_url")
        started = time.monotonic()
        crossed = self.crossings() if self.crossings else None  # None: not cut
        before = distributions_in(self.path)
        what = list(requirements)
        path = Path(requirements_file).resolve() if requirements_file is not None else None
        if path is not None:
            what.append(f"-r {path.name}")
        if path is not None:
            check_sources(path)
        requirements = parse_packages(requirements) if requirements else ()
        report = self.path.with_name(f"{self.path.name}-install-report")
        done = self._run_installer(simple_url, requirements, path, on_line, report)
        if not done.ok:
            holes = holes_in(done.output)
            if done.timed_out:
                why = f"timed out after {self.timeout:.0f}s"
            elif holes:
                why = "missing from the cache: " + ", ".join(str(h) for h in holes)
            else:
                why = pip_error(done.output)
            raise OfflineInstallError(
                f"{' '.join(what)}: not installable from the cache alone: {why}",
                holes=holes, output=done.output)
        self.added = added(before, distributions_in(self.path))
        origins = self._origins(simple_url, requirements, path, report)
        if foreign := foreign_installs(self.added, origins, simple_url,
                                       self.held() if self.held else None):
            raise ForeignFileError(f"{' '.join(what)}: not installed from the index alone: "
                                   + "; ".join(foreign), foreign=foreign)
        if crossed is not None:
            self._keep_the_cut_promises(crossed, warmed)
        return time.monotonic() - started

    def _keep_the_cut_promises(self, crossed: int,
                               warmed: Mapping[str, Sequence[str]] | None) -> None:
        assert self.crossings is not None
        if (now := self.crossings()) is not None and now > crossed:
            raise CutNotEffectiveError(f"the cut did not hold: {now - crossed} request(s) "
                                       f"crossed the relay during the install")
        if warmed is None and self.warmed is not None:
            warmed = self.warmed()
        # pip passes on a quiet backtrack to an older cached release: not a pass here
        if warmed and (unlike := differences(warmed, self.added)):
            raise NotAsWarmedError("installed is not what the warm resolved: "
                                   + "; ".join(str(d) for d in unlike), unlike, self.added)

    def _origins(self, simple_url: str, requirements: Sequence[str],
                 requirements_file: Path | None, report: Path) -> dict[str, Origin]:
        """Where the install took each distribution from: pip's report, or for uv (which
        keeps none) uv's own resolution of the same input through the same index."""
        if self.installer != UV:
            return from_pip_report(report) if report.is_file() else {}
        sources = report.with_suffix(".in")
        sources.write_text("".join(f"{line}\n" for line in [
            *requirements, *([f"-r {requirements_file}"] if requirements_file else [])]))
        lock = report.with_name(f"{report.name}-uv") / "pylock.toml"  # uv takes no other name
        lock.parent.mkdir(exist_ok=True)
        done = self._exec(uv_resolve_argv(uv_binary(), self.python, simple_url,
                                          str(sources), str(lock)), uv_env())
        if not done.ok:
            raise OfflineInstallError(f"uv installed, but its resolution through the index, "
                                      f"to check where each file came from, failed: "
                                      f"{pip_error(done.output)}", output=done.output)
        return from_pylock(lock)

    def _run_installer(self, simple_url: str, requirements: Sequence[str],
                       requirements_file: Path | None,
                       on_line: LineCallback | None, report: Path) -> Completed:
        """One install with this venv's installer, on the client, hermetic; pip (and the
        pip devpi-client runs) writes its ``--report`` to ``report``."""
        hashes = requirements_file is not None and pins_hashes(requirements_file)
        reqs_file = str(requirements_file) if requirements_file is not None else None
        if self.installer == UV:
            argv = uv_install_argv(uv_binary(), self.python, simple_url, requirements,
                                   reqs_file, require_hashes=hashes)
            return self._exec(argv, uv_env(), on_line)
        if self.installer == DEVPI:
            clientdir, venv = clientdir_for(str(self.path)), str(self.path)
            env = devpi_env(simple_url)  # _exec adds TMPDIR
            if hashes:
                env["PIP_REQUIRE_HASHES"] = "1"
            env["PIP_REPORT"] = str(report)  # devpi install passes no options to its pip
            used = self._exec(devpi_use_argv(devpi_command(), simple_url, clientdir, venv),
                              env, on_line)
            if not used.ok:
                return used
            done = self._exec(devpi_install_argv(devpi_command(), clientdir, venv,
                                                 requirements, reqs_file), env, on_line)
            return Completed(done.argv, done.returncode, used.output + done.output,
                             done.timed_out)
        # No retries: devpi is local, and a 502 for an uncached file will not go away.
        argv = [self.python, "-m", "pip", "install", *index_args(simple_url), "--retries", "0",
                "--report", str(report)]
        if reqs_file is not None:
            argv += ["-r", reqs_file]
            if hashes:
                argv.append("--require-hashes")
        return self._exec([*argv, *requirements], on_line=on_line)

    def run(self, code: str) -> Completed:
        """Run Python ``code`` with this venv's interpreter on the client."""
        return self._exec([self.python, "-c", code])

    def modules_to_import(self, imports: Sequence[str],
                          distributions: Sequence[str]) -> list[str]:
        """``imports`` if given, else the installed top-level modules of ``distributions``."""
        if imports:
            return list(imports)
        tops = self.top_level_modules(distributions)
        if missing := [d for d, names in tops.items() if not names]:
            raise ImportCheckError(f"no importable top-level module found for "
                                   f"{', '.join(missing)}; name one with --offline-index-import")
        return [m for names in tops.values() for m in names]

    def top_level_modules(self, distributions: Sequence[str]) -> dict[str, list[str]]:
        done = self._exec([self.python, "-I", "-c", TOP_LEVEL_SCRIPT, *distributions],
                          timeout=120)
        if not done.ok:
            raise ImportCheckError(f"could not read installed metadata of "
                                   f"{', '.join(distributions)}: {done.tail(1)}")
        found: dict[str, list[str]] = json.loads(done.output.strip().splitlines()[-1])
        return found

    def check_imports(self, *modules: str) -> list[ImportResult]:
        """Import each module in the venv; raise ImportCheckError naming every failure.

        A module that imports from outside the venv counts as a failure too.
        """
        # -I: not the harness's working dir first on sys.path, where a same-named dir wins
        done = self._exec([self.python, "-I", "-c", IMPORT_SCRIPT, json.dumps(SMOKE),
                           *modules])
        if not done.ok:
            raise ImportCheckError(f"import check crashed: {done.tail(1)}")
        rows = json.loads(done.output.strip().splitlines()[-1])
        results = []
        for name in modules:
            row = rows[name]
            if row["ok"] and row["file"] and not row["stdlib"] and not Path(
                    row["file"]).resolve().is_relative_to(self.path.resolve()):
                results.append(ImportResult(
                    name, False, f"imported from outside the venv: {row['file']}"))
            elif row["ok"]:
                detail = f"{name} {row['version']}".strip()
                results.append(ImportResult(name, True, detail, row["seconds"]))
            else:
                results.append(ImportResult(name, False, row["error"]))
        if failed := [r for r in results if not r.ok]:
            raise ImportCheckError("; ".join(f"import {r.module} failed: {r.detail}"
                                             for r in failed), results=results)
        return results
