"""The venvs a check is made with start ready, without being anything but fresh.

The install check's venv is the far side's: a copy of the target's own ``python -m venv``
(made once per target), with pip compiled as ensurepip leaves it, so its first pip does not
compile itself on the install step's clock. The warmer, which only runs ``pip download``,
links virtualenv's compiled seed image instead of copying it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pytest_offline_index.proof.as_warmed import distributions_in, site_packages
from tests.support.dists import Dist

SEED = {"pip", "setuptools"}  # what ensurepip seeds (setuptools up to 3.11)


def _pip(venv: Path) -> Path:
    (packages,) = site_packages(venv)
    return packages / "pip"


def test_the_check_venv_has_pip_compiled_and_the_warmer_links_the_seed(
        upstream, make_scenario, unique) -> None:
    name = unique("ready")
    upstream.publish(Dist(name, "1.0"))
    scenario = make_scenario(upstream, name)
    scenario.warm()  # makes the warmer, and the check's venv ahead of the install
    (warmer,) = (scenario.workdir / "venvs").glob("warmer-*")
    assert _pip(warmer).is_symlink(), "the warmer's pip is a copy, not virtualenv's image"

    venv = scenario.index.fresh_venv(scenario.targets[0])  # the one the install would get
    pip = _pip(venv.path)
    assert not pip.is_symlink()  # a plain copy: nothing shared with other venvs
    sources = sorted(pip.rglob("*.py"))
    uncompiled = [p for p in sources
                  if not Path(importlib.util.cache_from_source(str(p))).is_file()]
    assert sources and uncompiled == [], uncompiled[:5]
    assert set(distributions_in(venv.path)) <= SEED  # and nothing else: still fresh
