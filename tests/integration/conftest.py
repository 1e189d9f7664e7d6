"""Integration fixtures: root, real namespaces, a real devpi-server, a local upstream."""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_offline_index.check.scenario import AirgapScenario
from pytest_offline_index.index.offline import OfflineIndex
from pytest_offline_index.inputs.settings import Settings
from pytest_offline_index.inputs.targets import Target, pyenv_roots, running_target
from tests.support.machine import require_namespaces
from tests.support.processes import as_a_shell_starts_it
from tests.support.upstream import LocalUpstream

_counter = itertools.count()

# pytester gives each test, and the pytest it runs inside, a HOME of its own, which hides
# ~/.pyenv: name pyenv's root (found now, with the real HOME) so inner runs find the same
# Pythons as this one, with or without PYENV_ROOT in the environment (tox, CI).
if "PYENV_ROOT" not in os.environ and (_roots := pyenv_roots()):
    os.environ["PYENV_ROOT"] = str(_roots[0])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _needs_namespaces() -> None:
    require_namespaces("integration tests")


@pytest.fixture(scope="session")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalUpstream]:
    """One local upstream host for the session; tests publish uniquely named projects."""
    require_namespaces("integration tests")
    with LocalUpstream(tmp_path_factory.mktemp("upstream")) as host:
        yield host


@pytest.fixture
def fresh_upstream(tmp_path: Path) -> Iterator[LocalUpstream]:
    """A private upstream for tests that stop or slow it."""
    with LocalUpstream(tmp_path / "upstream") as host:
        yield host


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Project names unique to this test, so tests can share one upstream."""
    n = next(_counter)
    return lambda stem: f"{stem}-t{n}"


@pytest.fixture
def spawn_check(pytester: pytest.Pytester) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start ``pytest --offline-index ARGS`` as a child we can signal; reaped at teardown.
    ``sigint_blocked=True``: started with SIGINT blocked (see :func:`as_a_shell_starts_it`)."""
    children: list[subprocess.Popen[bytes]] = []

    def spawn(*args: str, sigint_blocked: bool = False) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(
            [sys.executable, "-m", "pytest", "--offline-index", "-p", "no:cacheprovider", *args],
            cwd=pytester.path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, preexec_fn=as_a_shell_starts_it(sigint_blocked))
        children.append(child)
        return child

    yield spawn
    for child in children:
        if child.poll() is None:
            child.kill()  # by the pid we started
        child.communicate()


@pytest.fixture
def make_scenario(tmp_path: Path) -> Iterator[Callable[..., AirgapScenario]]:
    made: list[AirgapScenario] = []
    indexes: list[OfflineIndex] = []  # made here for a scenario that does not own it

    def make(upstream: LocalUpstream, *packages: str, imports: tuple[str, ...] = (),
             targets: list[Target] | None = None, replace: dict[str, object] | None = None,
             index_class: type[OfflineIndex] | None = None,
             progress: Callable[[str], None] | None = None,
             **settings: object) -> AirgapScenario:
        resolved = Settings.resolve(cli={"packages": list(packages), "imports": list(imports),
                                         **upstream.settings, **settings})
        resolved = dataclasses.replace(resolved, **(replace or {}))
        workdir = tmp_path / f"run{len(made)}"
        index = index_class(resolved, workdir=workdir, progress=progress) if index_class else None
        if index is not None:
            indexes.append(index)
        scenario = AirgapScenario(resolved, workdir=workdir, index=index, progress=progress,
                                  targets=targets or [running_target()])
        made.append(scenario)
        return scenario

    yield make
    for scenario in made:
        scenario.close()
    for index in indexes:
        index.close()
