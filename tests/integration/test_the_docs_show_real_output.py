"""The user guide's "What a run prints" is real output: a passing run, a failing run, a run
under ``-n 2``, a run of the fixtures and one of a marked test, each captured here and
compared with the guide's block of the same name — numbers, addresses and the test's own
project names aside."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.dists import Dist

GUIDE = Path(__file__).parents[2] / "docs" / "user-guide.md"
BLOCK = re.compile(r"<!-- output: (\S+) -->\n```console\n\$ [^\n]*\n(.*?)```", re.S)
FIXTURES_SUITE = '''
def test_app_installs_offline(offline_index, fresh_venv):
    offline_index.warm(["{name}"])
    offline_index.cut()
    fresh_venv.install("{name}")
    fresh_venv.check_imports("{module}")
'''
MARKED_SUITE = '''
import pytest

@pytest.mark.offline_index(packages=["{name}"], imports=["{module}"])
def test_app_installs_offline():
    pass
'''


def normalised(text: str) -> list[str]:
    """The lines after pytest's header (from "collected N items" or "N workers [N items]"
    on), without what differs run to run: numbers, addresses, paths, padding."""
    if found := list(re.finditer(r"^(collected \d+ items?|\d+ workers \[.*)$", text, re.M)):
        text = text[found[-1].end():]
    text = re.sub(r" \(\d+:\d\d:\d\d\)", "", text)  # pytest's "(0:01:11)" past a minute
    text = re.sub(r"https?://[\w.-]+(:\d+)?(/[^\s);]*)?", "URL", text)
    text = re.sub(r"/\S*/\S+", "PATH", text)
    text = re.sub(r"\d+(\.\d+)?", "N", text)
    text = re.sub(r"([=_])\1{2,}", r"\1\1\1", text)  # pytest's rules: as wide as the line
    # pytest's short summary line: cut to the width of the terminal, but whole in CI
    text = re.sub(r"^(FAILED \S+) - .*$", r"\1", text, flags=re.M)
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]
    return [line for line in lines if line]


def documented(name: str) -> list[str]:
    blocks = {m.group(1): m.group(2) for m in BLOCK.finditer(GUIDE.read_text())}
    assert name in blocks, f"docs/user-guide.md has no '<!-- output: {name} -->' block"
    return normalised(blocks[name])


def captured(result: pytest.RunResult, project: str) -> list[str]:
    out = result.stdout.str().replace(project, "app").replace(Dist(project, "1.0").module, "app")
    return normalised(out)


@pytest.fixture
def app(upstream, unique) -> str:
    name = unique("app")
    upstream.publish(Dist(name, "1.0"))
    return name


def run(pytester: pytest.Pytester, upstream, *args: str) -> pytest.RunResult:
    pytester.makeini(f"[pytest]\n{upstream.ini}")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_a_passing_run_prints_what_the_guide_shows(pytester, upstream, app) -> None:
    result = run(pytester, upstream, "--offline-index", f"--offline-index-package={app}")
    assert result.ret == 0
    assert captured(result, app) == documented("passing")


def test_a_failing_run_prints_what_the_guide_shows(pytester, upstream, app) -> None:
    result = run(pytester, upstream, "--offline-index", f"--offline-index-package={app}==9")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert captured(result, app) == documented("failing")


# The workers join the run's index as they collect: the first starts it. A worker that
# waits here lets the other start it, which may then run none of the check's items.
LATE_COLLECTOR = """
import os, time

def pytest_collection(session):
    if os.environ.get("PYTEST_XDIST_WORKER") == {worker!r}:
        time.sleep(3)
"""


@pytest.mark.parametrize("late", ["gw0", "gw1"])
def test_a_run_under_xdist_prints_what_the_guide_shows(pytester, upstream, app,
                                                       late: str) -> None:
    """Whichever worker starts the index (the one that runs the items, or the other),
    what it said while starting is said once, before the check's first step."""
    pytester.makeconftest(LATE_COLLECTOR.format(worker=late))
    result = run(pytester, upstream, "-n", "2", "--offline-index",
                 f"--offline-index-package={app}")
    assert result.ret == 0
    assert captured(result, app) == documented("xdist")


@pytest.mark.parametrize(("block", "suite"), [("fixtures", FIXTURES_SUITE),
                                              ("marker", MARKED_SUITE)])
def test_a_suite_using_the_harness_prints_what_the_guide_shows(pytester, upstream, app,
                                                               block, suite) -> None:
    """The fixtures' run, and a marked test's (its table under its node id)."""
    pytester.makepyfile(test_offline=suite.format(name=app, module=Dist(app, "1.0").module))
    result = run(pytester, upstream)
    assert result.ret == 0
    assert captured(result, app) == documented(block)
