"""Fixtures shared by the integration and regression layers."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import cpu_log
from tests.support.alone import held, run_lock
from tests.support.ordinary_user import ORDINARY_USER_GROUP, OrdinaryUser, build_wheel


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup``: the tests of the ordinary user on one worker (its venv is
    made once per worker), and the tests that must run alone one after the other there
    (none of them waits for the lock while another worker holds it for the next)."""
    for item in items:
        if "user" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(ORDINARY_USER_GROUP))
        elif item.get_closest_marker("alone") is not None:
            item.add_marker(pytest.mark.xdist_group("alone"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Each test's CPU, when asked for (tests/support/cpu_log.py)."""
    where = cpu_log.directory()
    span = cpu_log.Span() if where else None
    yield
    if where and span:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        cpu_log.record(where, worker, {"test": item.nodeid, **span.end()})


def pytest_sessionstart(session: pytest.Session) -> None:
    if cpu_log.directory() and not hasattr(session.config, "workerinput"):
        session.config.stash[_MACHINE_CPU] = (cpu_log.machine_cpu_seconds(), time.monotonic())


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if (where := cpu_log.directory()) and (start := session.config.stash.get(_MACHINE_CPU,
                                                                               None)):
        cpu, wall = start
        cpu_log.record(where, "machine", {"cpu": round(cpu_log.machine_cpu_seconds() - cpu, 1),
                                          "wall": round(time.monotonic() - wall, 1)})


_MACHINE_CPU = pytest.StashKey[tuple[float, float]]()

XDIST_WORKER_VARIABLES = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT",
                          "PYTEST_XDIST_TESTRUNUID")
# plugins a machine may have that no test here uses; loading them costs each pytest a test
# starts 1.2 s of CPU on this machine (hypothesis's import, mostly)
UNUSED_PLUGINS = "-p no:hypothesispytest -p no:benchmark -p no:anyio"


@pytest.fixture(scope="session")
def _bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the Pythons a test starts keep their bytecode, for this session only (in
    pytest's temp root: a worker that crashed leaves it where pytest's own cleanup looks)."""
    where = tmp_path_factory.mktemp("bytecode")
    try:
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _session_cache(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``XDG_CACHE_HOME`` of every check the session runs, shared by its xdist workers:
    the far side's venv templates (``python -m venv``, 4-5 CPU-s each) are made once per
    target Python for the session, not once per test (pytester gives each test a HOME of
    its own), and never in the machine user's ~/.cache. It is in the run's numbered temp
    dir, which pytest removes after a passed run. Set for the whole session, before any
    module's fixture runs a check."""
    base = tmp_path_factory.getbasetemp()
    where = (base.parent if hasattr(request.config, "workerinput") else base) / "xdg-cache"
    where.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(where))
        yield where


@pytest.fixture(autouse=True)
def _inner_runs_are_their_own(monkeypatch: pytest.MonkeyPatch, _bytecode_cache: Path) -> None:
    """An xdist worker's environment says it is one; a pytest that a test starts is not
    (pytest-benchmark, for one, would warn that xdist is active in its output). Nor does
    it load plugins no test uses. Its Pythons keep their bytecode: with none (a machine
    with PYTHONDONTWRITEBYTECODE set, as these are) each inner pytest compiled and
    assertion-rewrote the harness's modules again, 11 % of a smallest check's CPU
    (median of 8, interleaved). Its checks share the session's cache (``_session_cache``)."""
    for name in XDIST_WORKER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    given = os.environ.get("PYTEST_ADDOPTS", "")
    monkeypatch.setenv("PYTEST_ADDOPTS", f"{given} {UNUSED_PLUGINS}".strip())
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(_bytecode_cache))


@pytest.fixture(autouse=True)
def _beside_the_others(request: pytest.FixtureRequest,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Under xdist: side by side with the run's other tests, or alone for one marked
    ``alone`` (see tests/support/alone.py)."""
    alone = request.node.get_closest_marker("alone") is not None
    with held(run_lock(request.config, tmp_path_factory), alone=alone):
        yield


@pytest.fixture(scope="session")
def user() -> Iterator[OrdinaryUser]:
    """uid 65534 with a venv of its own holding this checkout's harness (made once)."""
    root = Path(tempfile.mkdtemp(prefix="oi-user-", dir="/tmp"))  # /tmp: the user can reach it
    try:
        yield OrdinaryUser(root).set_up(build_wheel(root / "wheels"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
