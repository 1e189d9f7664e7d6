"""How fast is the check, against doing the same work by hand? Ratios in one run.

Run as any user from the repository (it builds real namespaces and reaches the public
index)::

    python3 benchmarks/compare.py                    # six, pandas, jupyterlab; 3 rounds
    python3 benchmarks/compare.py --case pandas --rounds 5 --hot --cache --matrix 3.11,3.12

For each case it alternates, round by round, the *floor* — a fresh virtualenv, a hermetic
``pip download`` straight from the public index, ``pip install --no-index --find-links`` of
those files, the import — with the *cold check* (``AirgapScenario``: a new devpi-server in new
namespaces, warm through it, cut, a fresh venv, install, import, teardown), and prints every
raw time and the ratio of the medians. ``--hot`` adds the check against an index that is
already warm (fresh venv + install + import) against the floor's venv + install + import;
``--cache`` a second run on a ``--offline-index-cache-dir`` against the first (and the
bytes the second took from the upstream); ``--matrix`` a check of two Pythons against one.
Each cold case also sets the warm step (devpi's start included) against the floor's
download. Nothing here is a test: the numbers are
for people, and only ratios taken in the same run mean anything.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pytest_offline_index import AirgapScenario, OfflineIndex, Settings
from pytest_offline_index.execute.hermetic import hermetic_env
from pytest_offline_index.inputs.targets import find_python

CASES = {"six": ["six"], "pandas": ["pandas"], "jupyterlab": ["jupyterlab"]}
PUBLIC = "https://pypi.org/simple/"


def timed(work: Callable[[], object]) -> float:
    started = time.monotonic()
    work()
    return time.monotonic() - started


def _run(argv: Sequence[str]) -> None:
    done = subprocess.run(argv, env=hermetic_env(), capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(argv[:4])}...: {done.stdout[-2000:]}{done.stderr[-2000:]}")


def floor(packages: Sequence[str], imports: Sequence[str], steps: dict[str, float]) -> None:
    """The same work done directly: venv, download, offline install, import."""
    with tempfile.TemporaryDirectory(prefix="oi-floor-") as tmp:
        venv, files = Path(tmp) / "venv", Path(tmp) / "files"
        python = str(venv / "bin" / "python")
        pip = [python, "-m", "pip", "--isolated", "--disable-pip-version-check"]
        steps["venv"] = timed(lambda: _run([sys.executable, "-m", "virtualenv", "--quiet",
                                            "--no-periodic-update", str(venv)]))
        steps["download"] = timed(lambda: _run([*pip, "download", "--no-cache-dir",
                                                "--index-url", PUBLIC, "-d", str(files),
                                                *packages]))
        steps["install"] = timed(lambda: _run([*pip, "install", "--no-cache-dir", "--no-index",
                                               "--find-links", str(files), *packages]))
        steps["import"] = timed(lambda: _run([python, "-c", "; ".join(
            f"import {m}" for m in imports)]))


def cold_check(packages: Sequence[str], pythons: Sequence[str] = (),
               seen: dict[str, float] | None = None, cache_dir: Path | None = None) -> None:
    """The check, as ``pytest --offline-index`` runs it; ``seen`` gets the first warm step's
    seconds (devpi's start included) and the bytes that crossed from the upstream."""
    cli: dict[str, object] = {"packages": list(packages), "pythons": list(pythons)}
    if cache_dir is not None:
        cli["cache_dir"] = str(cache_dir)
    settings = Settings.resolve(cli=cli)
    targets = [find_python(p) for p in pythons] or None
    with AirgapScenario(settings, targets=targets, progress=lambda line: None) as check:
        check.run_all()
        steps = list(check.report.steps.values())
    if seen is not None:
        seen["warm"] = steps[0].seconds
        seen["upstream bytes"] = sum(s.upstream.bytes for s in steps if s.upstream)
        for record in steps:  # each step's seconds, summed over the targets
            seen[f"step {record.name}"] = seen.get(f"step {record.name}", 0.0) + record.seconds


def hot_pair(packages: Sequence[str], imports: Sequence[str], rounds: int) -> None:
    """Installs from an index that is already warm, against the floor's offline install."""
    with OfflineIndex(Settings.resolve(), progress=lambda line: None) as index:
        index.warm(list(packages))
        index.cut()
        checks, floors = [], []
        for _ in range(rounds):
            steps: dict[str, float] = {}
            floor(packages, imports, steps)
            floors.append(steps["venv"] + steps["install"] + steps["import"])

            def hot() -> None:
                venv = index.fresh_venv()
                venv.install(*packages)
                venv.check_imports(*imports)

            checks.append(timed(hot))
        report("hot check vs venv + offline install + import", checks, floors)


def cache_pair(packages: Sequence[str], rounds: int) -> None:
    """A second run on a cache dir against the first run that filled it."""
    firsts, seconds, crossed = [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(prefix="oi-cache-") as tmp:
            cache = Path(tmp) / "cache"
            firsts.append(timed(functools.partial(cold_check, packages, cache_dir=cache)))
            seen: dict[str, float] = {}
            seconds.append(timed(functools.partial(cold_check, packages, seen=seen,
                                                   cache_dir=cache)))
            crossed.append(seen["upstream bytes"])
    report("second run on a cache dir vs the first", seconds, firsts)
    print(f"  upstream bytes on the second run: {', '.join(f'{b:.0f}' for b in crossed)}",
          flush=True)


def report(what: str, checks: list[float], floors: list[float]) -> None:
    ratio = statistics.median(checks) / statistics.median(floors)
    print(f"{what}: {ratio:.2f}x  (check {fmt(checks)}; floor {fmt(floors)})", flush=True)


def breakdown(rounds: list[dict[str, float]], totals: list[float]) -> str:
    """Each step's median seconds, and the rest of the total (set-up before the first step
    and teardown after the last)."""
    parts = {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
    parts["rest"] = statistics.median(
        total - sum(r.values()) for r, total in zip(rounds, totals, strict=True))
    return ", ".join(f"{name} {seconds:.1f}s" for name, seconds in parts.items())


def fmt(times: list[float]) -> str:
    return " / ".join(f"{t:.1f}s" for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES),
                        help="packages to compare (repeatable; default: all)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hot", action="store_true", help="also the hot check")
    parser.add_argument("--cache", action="store_true",
                        help="also a second run on a cache dir against the first")
    parser.add_argument("--matrix", metavar="A,B",
                        help="also a check of two Pythons against one, e.g. 3.11,3.12")
    args = parser.parse_args()
    for case in args.case or list(CASES):
        packages, imports = CASES[case], [CASES[case][0].replace("-", "_")]
        checks, floors, warms, downloads = [], [], [], []
        check_steps: list[dict[str, float]] = []
        floor_steps: list[dict[str, float]] = []
        for _ in range(args.rounds):
            steps: dict[str, float] = {}
            floors.append(timed(functools.partial(floor, packages, imports, steps)))
            downloads.append(steps["download"])
            floor_steps.append(steps)
            seen: dict[str, float] = {}
            checks.append(timed(functools.partial(cold_check, packages, seen=seen)))
            warms.append(seen["warm"])
            check_steps.append({k.split(" ", 1)[1]: v for k, v in seen.items()
                                if k.startswith("step ")})
        report(f"cold check vs floor [{case}]", checks, floors)
        print(f"  check minus floor [{case}]: "
              f"{statistics.median(checks) - statistics.median(floors):.1f}s", flush=True)
        print(f"  medians: check {breakdown(check_steps, checks)}; "
              f"floor {breakdown(floor_steps, floors)}", flush=True)
        report(f"warm step (devpi's start included) vs direct download [{case}]",
               warms, downloads)
        if args.cache:
            cache_pair(packages, args.rounds)
        if args.hot:
            hot_pair(packages, imports, args.rounds)
        if args.matrix:
            two = args.matrix.split(",")
            many, one = [], []
            for _ in range(args.rounds):  # alternating, like the rest
                many.append(timed(functools.partial(cold_check, packages, two)))
                one.append(timed(functools.partial(cold_check, packages, two[:1])))
            report(f"matrix {'+'.join(two)} vs {two[0]} [{case}]", many, one)


if __name__ == "__main__":
    main()
