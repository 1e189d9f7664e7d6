"""The CI recipe (docs/ci.md) is one the plugin runs: the GitHub workflow passes actionlint,
the GitLab file has its two stages and its matrix, each far-side Python has its parts in the
bundle, every pytest line of both files and of docs/ci.md uses only options the plugin
registers (valued ones written with ``=``), and they are the regression test's options
(``test_a_pandas_bundle_lands_on_each_python.py``, the recipe run locally) plus what CI adds.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from pytest_offline_index.inputs.settings import OPTIONS

# PyYAML is a dev tool (the dev extra, which CI installs); a checkout with the harness alone
# (the README's first command) must still collect the suite, so this module skips there
yaml = pytest.importorskip("yaml", reason="PyYAML comes with the dev extra")

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "docs" / "examples" / "github-actions" / "offline-index.yml"
GITLAB = ROOT / "docs" / "examples" / "gitlab-ci" / "offline-index.gitlab-ci.yml"
GUIDE = ROOT / "docs" / "ci.md"
REGRESSION = ROOT / "tests" / "regression" / "test_a_pandas_bundle_lands_on_each_python.py"
VALUED = {o.flag for o in OPTIONS if not o.flag_only}  # written --flag=VALUE
BARE = {o.flag for o in OPTIONS if o.flag_only} | {"--offline-index"}  # hooks.py's own
# what CI adds to the regression test's runs: a team's inputs, the cache, the reports
ADDED = {"bundle": {"--offline-index-requirements", "--offline-index-platform",
                    "--offline-index-cache-dir", "--offline-index-report"},
         "far-side": {"--offline-index-report"}}


def load_yaml(path: Path) -> Any:
    """``path`` read as YAML."""
    return yaml.safe_load(path.read_text())


def pytest_lines(script: str) -> list[list[str]]:
    """The arguments of each pytest command of a shell script."""
    words = (shlex.split(line, comments=True) for line in script.replace("\\\n", " ").splitlines())
    return [line[line.index("pytest") + 1:] for line in words if "pytest" in line]


def scripts(path: Path) -> dict[str, str]:
    """Each job's shell: a GitHub job's ``run`` steps, a GitLab job's ``script``."""
    config: dict[str, Any] = load_yaml(path)
    if path == GITHUB:
        return {name: "\n".join(step.get("run", "") for step in job["steps"])
                for name, job in config["jobs"].items()}
    return {name: "\n".join(job["script"]) for name, job in config.items()
            if isinstance(job, dict) and "script" in job}


def guide_lines() -> list[list[str]]:
    """The pytest commands of docs/ci.md's console (``$ `` lines) and bash blocks."""
    blocks = re.findall(r"```(console|bash)\n(.*?)```", GUIDE.read_text(), re.S)
    return pytest_lines("\n".join(line.removeprefix("$ ") for kind, block in blocks
                                  for line in block.splitlines()
                                  if kind == "bash" or line.startswith("$ ")))


def flags(args: list[str]) -> set[str]:
    """The plugin's flags on one line, without their values."""
    return {arg.partition("=")[0] for arg in args if arg.startswith("--offline-index")}


def every_line() -> list[Any]:
    """Each pytest line of the recipe, named by where it is."""
    lines = [(f"{path.name}:{job}", args) for path in (GITHUB, GITLAB)
             for job, script in scripts(path).items() for args in pytest_lines(script)]
    lines += [(f"ci.md:{n}", args) for n, args in enumerate(guide_lines(), 1)]
    return [pytest.param(where, args, id=where) for where, args in lines]


def test_the_github_workflow_passes_actionlint() -> None:
    here = os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", "")])
    actionlint = shutil.which("actionlint", path=here)
    assert actionlint, "no actionlint: the dev extra installs it (pip install -e '.[dev]')"
    done = subprocess.run([actionlint, "-no-color", str(GITHUB)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_gitlab_file_makes_one_bundle_and_checks_it_on_each_runner() -> None:
    config: dict[str, Any] = load_yaml(GITLAB)
    bundle, far = config["bundle"], config["far-side"]
    assert config["stages"] == [bundle["stage"], far["stage"]] == ["bundle", "far-side"]
    assert far["needs"] == ["bundle"]
    assert "bundle/" in bundle["artifacts"]["paths"]
    assert bundle["cache"]["key"]["files"] == ["requirements.txt"]
    assert far["parallel"]["matrix"] == [{"PYTHON": ["3.11", "3.12"], "RUNNER_TAG": [
        "saas-linux-small-amd64", "saas-linux-small-arm64"]}]
    assert (far["image"], far["tags"]) == ("python:$PYTHON", ["$RUNNER_TAG"])


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=lambda p: p.name)
def test_each_far_side_python_has_its_parts_in_the_bundle(path: Path) -> None:
    config: dict[str, Any] = load_yaml(path)
    matrix = config["jobs"]["far-side"]["strategy"]["matrix"]["python"] if path == GITHUB \
        else config["far-side"]["parallel"]["matrix"][0]["PYTHON"]
    [args] = pytest_lines(scripts(path)["bundle"])
    made = {"py" + re.findall(r"3\.\d+", a)[-1] for a in args  # a version, or a path to one
            if a.startswith("--offline-index-python=")}
    made |= {"{}-py{}".format(*a.partition("=")[2].split(":")) for a in args
             if a.startswith("--offline-index-platform=")}
    assert made == {f"{tag}py{v}" for v in matrix for tag in ("", "manylinux2014_aarch64-")}


@pytest.mark.parametrize(("where", "args"), every_line())
def test_every_pytest_line_uses_the_plugin_s_options(pytester: pytest.Pytester, where: str,
                                                     args: list[str]) -> None:
    assert flags(args), where  # a check line, not some other pytest
    for arg in args:
        flag, eq, value = arg.partition("=")
        if flag.startswith("--offline-index"):
            assert flag in VALUED | BARE, f"{where}: {flag} is no option of the plugin"
            assert (flag in VALUED) == bool(eq and value), f"{where}: {arg}: " + (
                "write FLAG=VALUE" if flag in VALUED else "takes no value")
    pytester.parseconfig(*args)  # and pytest's own parser takes the whole line


def test_the_recipe_runs_what_the_regression_test_runs() -> None:
    runs = {"bundle": set[str](), "far-side": set[str]()}
    for call in ast.walk(ast.parse(REGRESSION.read_text())):
        if isinstance(call, ast.Call):
            found = flags([node.value for node in ast.walk(call) if isinstance(
                node, ast.Constant) and isinstance(node.value, str)])
            if found:
                runs["far-side" if "--offline-index-bundle" in found else "bundle"] |= found
    assert runs["bundle"] and runs["far-side"]
    for path in (GITHUB, GITLAB):
        jobs = scripts(path)
        for job, added in ADDED.items():
            recipe = set().union(*map(flags, pytest_lines(jobs[job])))
            assert recipe == runs[job] | added, (path.name, job)
