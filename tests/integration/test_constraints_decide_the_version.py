"""A requirements file's ``-c`` constraints reach pip, in the warm and in the install.

The upstream has the dependency at 1.0 and 2.0; only the constraint keeps it at 1.0. So a
warm or an install that lost the constraint would fetch or ask for 2.0, and this fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.dists import Dist
from tests.support.upstream import LocalUpstream


def test_a_constraint_decides_what_is_warmed_and_installed(
        upstream: LocalUpstream, make_scenario: Any, unique: Any, tmp_path: Path) -> None:
    app, dep = unique("app"), unique("dep")
    upstream.publish(Dist(app, "1.0", requires=[dep]), Dist(dep, "1.0"), Dist(dep, "2.0"))
    (tmp_path / "constraints.txt").write_text(f"{dep}==1.0\n")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"-c constraints.txt\n{app}\n")
    scenario = make_scenario(upstream, requirements=str(requirements))

    warmed = scenario.warm()
    assert sorted(f.name for f in warmed.files) == sorted(
        [Dist(app, "1.0").filename, Dist(dep, "1.0").filename])
    assert scenario.index.cached_files(dep) == [Dist(dep, "1.0").filename]

    scenario.cut()
    venv = scenario.install()
    module = Dist(dep, "1.0").module
    done = venv.run(f"import {module}; print({module}.__version__)")
    assert done.ok, done.output
    assert done.output.strip() == "1.0"
    (result,) = scenario.check_imports()  # the requested distribution's own module
    assert result.ok, result.detail
