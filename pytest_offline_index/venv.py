"""Fresh virtualenvs on the air-gapped client: hermetic install and import checks."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .commands import LineCallback, run
from .errors import ImportCheckError, OfflineInstallError
from .hermetic import hermetic_env, index_args
from .holes import holes_in, pip_error

# A module-level smoke test beyond "it imports", for packages whose import is lazy.
SMOKE = {
    "pandas": 'm.DataFrame({"col1": [1, 2, 3], "col2": [4, 5, 6]}).sum().sum() == 21',
}

TOP_LEVEL_SCRIPT = r"""
import importlib.metadata as md, json, sys
out = {}
for name in sys.argv[1:]:
    dist = md.distribution(name)
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
import importlib, json, sys, time
smoke = json.loads(sys.argv[1])
out = {}
for name in sys.argv[2:]:
    t = time.perf_counter()
    try:
        m = importlib.import_module(name)
        if name in smoke:
            assert eval(smoke[name]), "smoke test returned False: " + smoke[name]
        out[name] = {"ok": True, "file": getattr(m, "__file__", None),
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
    """A brand-new virtualenv created and used inside ``namespace`` (the client host)."""

    def __init__(self, path: Path, *, base_python: str, namespace: str | None,
                 timeout: float = 900.0) -> None:
        self.path = Path(path)
        self.base_python = base_python
        self.namespace = namespace
        self.timeout = timeout
        self.last_output = ""

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def create(self) -> FreshVenv:
        if self.path.exists():
            raise OfflineInstallError(f"venv path {self.path} already exists; not reusing it")
        # virtualenv runs from the harness's interpreter and builds a venv of any target.
        done = run([sys.executable, "-m", "virtualenv", "--python", self.base_python,
                    "--no-periodic-update", "--quiet", str(self.path)],
                   namespace=self.namespace, env=hermetic_env(), timeout=self.timeout)
        if not done.ok:
            raise OfflineInstallError(f"virtualenv failed for {self.base_python}: "
                                      f"{done.tail(1)}")
        return self

    def install(self, specs: Sequence[str], simple_url: str,
                on_line: LineCallback | None = None) -> float:
        started = time.monotonic()
        # No retries: devpi is local, and a 502 for an uncached file will not go away.
        argv = [self.python, "-m", "pip", "install", *index_args(simple_url),
                "--retries", "0", *specs]
        done = run(argv, namespace=self.namespace, env=hermetic_env(),
                   timeout=self.timeout, on_line=on_line)
        if not done.ok:
            self.last_output = done.output
            if done.timed_out:
                why = f"timed out after {self.timeout:.0f}s"
            elif holes := holes_in(done.output):
                why = "missing from the cache: " + ", ".join(str(h) for h in holes)
            else:
                why = pip_error(done.output)
            raise OfflineInstallError(
                f"{' '.join(specs)}: not installable from the cache alone: {why}",
                holes=holes_in(done.output), output=done.output)
        return time.monotonic() - started

    def top_level_modules(self, distributions: Sequence[str]) -> dict[str, list[str]]:
        done = run([self.python, "-c", TOP_LEVEL_SCRIPT, *distributions],
                   namespace=self.namespace, env=hermetic_env(), timeout=120)
        if not done.ok:
            raise ImportCheckError(f"could not read installed metadata of "
                                   f"{', '.join(distributions)}: {done.tail(1)}")
        return json.loads(done.output.strip().splitlines()[-1])

    def check_imports(self, modules: Sequence[str]) -> list[ImportResult]:
        """Import each module in the venv; a module loaded from outside the venv fails."""
        done = run([self.python, "-c", IMPORT_SCRIPT, json.dumps(SMOKE), *modules],
                   namespace=self.namespace, env=hermetic_env(), timeout=self.timeout)
        if not done.ok:
            raise ImportCheckError(f"import check crashed: {done.tail(1)}")
        rows = json.loads(done.output.strip().splitlines()[-1])
        results = []
        for name in modules:
            row = rows[name]
            if row["ok"] and row["file"] and not str(row["file"]).startswith(str(self.path)):
                results.append(ImportResult(
                    name, False, f"imported from outside the venv: {row['file']}"))
            elif row["ok"]:
                detail = f"{name} {row['version']}".strip()
                results.append(ImportResult(name, True, detail, row["seconds"]))
            else:
                results.append(ImportResult(name, False, row["error"]))
        return results
